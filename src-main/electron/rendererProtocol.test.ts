import { readFile } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, rendererResponseHeaders, resolveRendererFile } from './rendererProtocol'

const root = resolve('/opt/Stylemap Studio/resources/app.asar/out/renderer')

describe('resolveRendererFile', () => {
  it('serves the page and its assets from the renderer folder', () => {
    expect(resolveRendererFile(root, 'app://stylemap/')).toEqual({ ok: true, file: join(root, 'index.html'), mime: 'text/html; charset=utf-8' })
    expect(resolveRendererFile(root, 'app://stylemap/index.html?x=1#top')).toMatchObject({ ok: true, file: join(root, 'index.html') })
    expect(resolveRendererFile(root, 'app://stylemap/assets/index-a1b2.js')).toEqual({
      ok: true,
      file: join(root, 'assets', 'index-a1b2.js'),
      mime: 'text/javascript; charset=utf-8',
    })
    expect(resolveRendererFile(root, 'app://stylemap/assets/My%20Icon.png')).toMatchObject({ ok: true, file: join(root, 'assets', 'My Icon.png') })
  })

  it('refuses every way out of the renderer folder', () => {
    for (const url of [
      'app://stylemap/../main/index.js',
      'app://stylemap/%2e%2e/%2e%2e/etc/passwd.json',
      'app://stylemap/assets/%2E%2E/%2E%2E/secret.html',
      'app://stylemap/..%2fsecret.html',
      'app://stylemap/assets/..%5c..%5csecret.html',
      'app://stylemap/%00.html',
    ]) {
      // Either refused, or (when the URL parser already folded the dots) still inside.
      const verdict = resolveRendererFile(root, url)
      if (verdict.ok) expect(verdict.file.startsWith(root + sep), url).toBe(true)
    }
    expect(resolveRendererFile(root, 'app://stylemap/../main/index.js')).toMatchObject({ ok: true, file: join(root, 'main', 'index.js') })
    expect(resolveRendererFile(root, 'app://stylemap/..%2fsecret.html')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'app://stylemap/assets/%2E%2E/%2E%2E/secret.html').ok).toBe(true) // folded by URL to /secret.html
    expect(resolveRendererFile(root, 'app://stylemap/assets/..%5c..%5csecret.html')).toMatchObject({ ok: false, status: 400 })
    expect(resolveRendererFile(root, 'app://stylemap/%00.html')).toMatchObject({ ok: false, status: 400 })
  })

  it('refuses other origins, malformed URLs and unknown file types', () => {
    expect(resolveRendererFile(root, 'app://other/index.html')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'file:///etc/passwd')).toMatchObject({ ok: false, status: 403 })
    expect(resolveRendererFile(root, 'nonsense')).toMatchObject({ ok: false, status: 400 })
    expect(resolveRendererFile(root, 'app://stylemap/%E0%A4%A.html')).toMatchObject({ ok: false, status: 400 })
    expect(resolveRendererFile(root, 'app://stylemap/models/encoder.onnx')).toMatchObject({ ok: false, status: 404 })
  })
})

describe('content security policy', () => {
  it('is strict: own scripts only, images also from data: and blob:', () => {
    expect(contentSecurityPolicy).toContain("default-src 'self'")
    expect(contentSecurityPolicy).toContain("img-src 'self' data: blob:")
    expect(contentSecurityPolicy).toContain("script-src 'self'")
    expect(contentSecurityPolicy).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline|\*/)
    expect(rendererResponseHeaders('text/html')['Content-Security-Policy']).toBe(contentSecurityPolicy)
  })

  it('agrees with the meta tag in the renderer page on every directive the page sets', async () => {
    const html = await readFile(resolve(import.meta.dirname, '../../src-renderer/index.html'), 'utf8')
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)
    expect(meta, 'index.html has a CSP meta tag').not.toBeNull()
    const directives = (policy: string) =>
      new Map(
        policy
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values.join(' ')]),
      )
    const header = directives(contentSecurityPolicy)
    for (const [name, value] of directives(meta![1]!)) expect(header.get(name), name).toBe(value)
  })
})

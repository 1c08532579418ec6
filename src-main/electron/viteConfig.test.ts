// The build config: entries in the non-default folders, natives external, a CJS preload,
// and the dev-only CSP relaxation that must never reach a build.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Plugin } from 'vite'
import config, { nativeExternals } from '../../electron.vite.config'
import { contentSecurityPolicy, developmentContentSecurityPolicy } from './rendererProtocol'

const root = resolve(import.meta.dirname, '../..')

interface Section {
  root?: string
  plugins?: unknown[]
  build?: { externalizeDeps?: boolean; rollupOptions?: { input?: unknown; external?: unknown; output?: { format?: string; entryFileNames?: string } } }
}
const sections = config as unknown as { main: Section; preload: Section; renderer: Section }

describe('electron.vite.config.ts', () => {
  it("builds main, the engine host and the importer's check process from src-main, keeping the native packages external", () => {
    expect(sections.main.build?.rollupOptions?.input).toEqual({
      index: join(root, 'src-main/index.ts'),
      host: join(root, 'src-main/engine/host.ts'),
      verifyHost: join(root, 'src-main/torch/verifyHost.ts'),
    })
    expect(nativeExternals).toEqual(['onnxruntime-node', 'sharp'])
    expect(sections.main.build?.rollupOptions?.external).toEqual(nativeExternals)
  })

  it('builds the preload as one self-contained CommonJS file (sandboxed preloads cannot be ESM)', () => {
    expect(sections.preload.build?.rollupOptions?.input).toEqual({ index: join(root, 'src-preload/index.ts') })
    expect(sections.preload.build?.rollupOptions?.output).toMatchObject({ format: 'cjs', entryFileNames: '[name].cjs' })
    expect(sections.preload.build?.externalizeDeps).toBe(false)
  })

  it('builds the renderer from src-renderer/index.html', () => {
    expect(sections.renderer.root).toBe(join(root, 'src-renderer'))
    expect(sections.renderer.build?.rollupOptions?.input).toBe(join(root, 'src-renderer/index.html'))
  })

  it('relaxes the page CSP for inline scripts only on the dev server', async () => {
    const plugin = (sections.renderer.plugins ?? []).flat().find((p) => (p as Plugin | undefined)?.name === 'stylemap:dev-csp') as Plugin
    expect(plugin.apply).toBe('serve')
    const html = await readFile(join(root, 'src-renderer/index.html'), 'utf8')
    const transform = plugin.transformIndexHtml as (html: string) => string
    const served = transform(html)
    const policyOf = (page: string) => /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(page)?.[1] ?? ''
    expect(policyOf(html)).not.toMatch(/script-src[^;]*unsafe-inline/)
    expect(policyOf(served)).toMatch(/script-src[^;]*'unsafe-inline'/)
    expect(developmentContentSecurityPolicy).toMatch(/script-src 'self' 'unsafe-inline'/)
    expect(contentSecurityPolicy).not.toMatch(/script-src[^;]*unsafe-inline/)
  })
})

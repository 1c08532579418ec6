import { describe, expect, it } from 'vitest'
import { checkSender } from './sender'

const packaged = { origin: 'app://stylemap' }
const dev = { origin: 'http://localhost:5173' }

describe('checkSender', () => {
  it('accepts the main frame of our packaged page', () => {
    expect(checkSender({ url: 'app://stylemap/index.html', isMainFrame: true }, packaged)).toEqual({ ok: true })
    expect(checkSender({ url: 'app://stylemap/index.html#/editor?x=1', isMainFrame: true }, packaged)).toEqual({ ok: true })
  })

  it('accepts the dev server page in development', () => {
    expect(checkSender({ url: 'http://localhost:5173/', isMainFrame: true }, dev)).toEqual({ ok: true })
  })

  it('rejects a sub-frame even when it shows our own page', () => {
    const verdict = checkSender({ url: 'app://stylemap/index.html', isMainFrame: false }, packaged)
    expect(verdict.ok).toBe(false)
    if (!verdict.ok) expect(verdict.reason).toMatch(/sub-frame/)
  })

  it('rejects pages from anywhere else', () => {
    for (const url of [
      'https://example.com/index.html',
      'file:///tmp/evil.html',
      'app://stylemap.evil/index.html',
      'app://evil@stylemap.example/index.html',
      'http://localhost:5174/',
      'https://localhost:5173/',
      'data:text/html,<script>1</script>',
      'about:blank',
    ]) {
      const verdict = checkSender({ url, isMainFrame: true }, packaged)
      expect(verdict.ok, url).toBe(false)
    }
    expect(checkSender({ url: 'app://stylemap/index.html', isMainFrame: true }, dev).ok).toBe(false)
  })

  it('rejects a destroyed frame, a frame without URL and a malformed URL', () => {
    expect(checkSender(null, packaged).ok).toBe(false)
    expect(checkSender(undefined, packaged).ok).toBe(false)
    expect(checkSender({ url: '', isMainFrame: true }, packaged).ok).toBe(false)
    expect(checkSender({ url: 'not a url', isMainFrame: true }, packaged).ok).toBe(false)
  })

  it('rejects everything when the trusted origin itself is malformed', () => {
    expect(checkSender({ url: 'app://stylemap/index.html', isMainFrame: true }, { origin: '' }).ok).toBe(false)
  })
})

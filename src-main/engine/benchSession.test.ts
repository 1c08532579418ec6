// The bench's memory figure comes from a session process that runs the engine as the app's
// engine process does: bundled, under plain Node, with no TypeScript loader.
import { stat } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { benchSession, bundledSessionPath } from './benchSession.js'
import { testModelDir } from './testing/models.js'

describe('benchSession', () => {
  it('runs the session from a bundle of its own sources, not through tsx, and reports its peak and edit time', async () => {
    const session = await benchSession(await testModelDir(), 1)
    expect(session.runner).toBe('bundled')
    expect((await stat(bundledSessionPath)).size).toBeGreaterThan(10_000)
    expect(session.references).toBe(3)
    // a 64 px model: node, onnxruntime and the sessions, far under a 256 px model's gigabyte
    expect(session.peak_rss_mb).toBeGreaterThan(40)
    expect(session.peak_rss_mb).toBeLessThan(1000)
    expect(session.edit3_ms).toBeGreaterThan(0)
  }, 120_000)
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { Engine } from './engine.js'
import { COLLECT_AFTER_MS, fullCollection, GarbageCollector } from './garbage.js'
import { testModelDir } from './testing/models.js'
import { gradientPng, rectMask } from './testing/photos.js'

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('garbage collection after long renders', () => {
  it('exposes V8 full collection, which frees typed arrays nothing refers to', async () => {
    const collect = fullCollection()
    expect(collect).toBeTypeOf('function')
    let held: Float32Array[] = Array.from({ length: 12 }, () => new Float32Array(2 << 20).fill(1))
    const before = process.memoryUsage().arrayBuffers
    expect(held.reduce((s, a) => s + a[0], 0)).toBe(12)
    held = []
    collect!()
    // 96 MB were dropped; V8 gives their buffers back as it sweeps, soon after
    await expect.poll(() => before - process.memoryUsage().arrayBuffers, { timeout: 2000 }).toBeGreaterThan(80e6)
    expect(held.length).toBe(0)
  })

  it('collects once, on the next turn, after work of at least its threshold, and not after shorter work', async () => {
    let runs = 0
    const collector = new GarbageCollector(() => runs++, COLLECT_AFTER_MS)
    collector.afterWork(COLLECT_AFTER_MS - 1)
    await nextTurn()
    expect(runs).toBe(0)
    collector.afterWork(COLLECT_AFTER_MS)
    collector.afterWork(5 * COLLECT_AFTER_MS)
    // not before the work's answer can go out
    expect(runs).toBe(0)
    await nextTurn()
    expect(runs).toBe(1)
    collector.afterWork(Number.NaN)
    await nextTurn()
    expect(runs).toBe(1)
  })

  it('does nothing where no collection is available', async () => {
    const collector = new GarbageCollector(null)
    expect(() => collector.afterWork(10 * COLLECT_AFTER_MS)).not.toThrow()
    await nextTurn()
  })

  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('the engine collects at once after a whole reference pyramid is cut down, where it leaves enough behind, and not after a resize', async () => {
    const now = vi.spyOn(GarbageCollector.prototype, 'now').mockImplementation(() => undefined)
    for (const [collectAfterBytes, calls] of [
      [1, 1],
      [Infinity, 0],
    ]) {
      now.mockClear()
      const engine = new Engine({ collectAfterBytes })
      try {
        await engine.loadModel(await testModelDir())
        const photo = await engine.openImage({ bytes: await gradientPng(96, 96, 0) })
        const reference = await engine.openImage({ bytes: await gradientPng(96, 96, 6) })
        // the photo's styles and the reference's whole pyramid: a resize each, which leaves no
        // float32 copy behind (the graph casts its outputs to halves)
        await engine.prepare({ original: { imageId: photo.imageId }, references: [{ imageId: reference.imageId }] })
        expect(now).not.toHaveBeenCalled()
        // the first stroke cuts the reference's pyramid down to where its mask reads it
        await engine.render({ edit: { original: { imageId: photo.imageId }, layers: [{ reference: { imageId: reference.imageId }, mask: rectMask(96, 96, 10, 10, 20, 20) }] }, output: { kind: 'generated' } })
        expect(now).toHaveBeenCalledTimes(calls)
      } finally {
        await engine.dispose()
      }
    }
  })

  it('the engine reports every render, edits and failed ones, with its duration; not when told not to collect', async () => {
    const seen: number[] = []
    vi.spyOn(GarbageCollector.prototype, 'afterWork').mockImplementation((ms: number) => void seen.push(ms))
    for (const collectGarbage of [undefined, false]) {
      const engine = new Engine({ collectGarbage })
      try {
        const { model } = await engine.loadModel(await testModelDir())
        const R = model.resolution
        const photo = await engine.openImage({ bytes: await gradientPng(R, R, 0) })
        const reference = await engine.openImage({ bytes: await gradientPng(R, R, 6) })
        const started = performance.now()
        await engine.render({
          edit: { original: { imageId: photo.imageId }, layers: [{ reference: { imageId: reference.imageId }, mask: rectMask(R, R, 4, 4, 20, 20) }] },
          output: { kind: 'generated' },
        })
        const took = performance.now() - started
        await expect(engine.render({ edit: { original: { imageId: 'no such image' }, layers: [] }, output: { kind: 'generated' } })).rejects.toThrow()
        if (collectGarbage === undefined) {
          expect(seen).toHaveLength(2)
          expect(seen[0]).toBeGreaterThan(0)
          expect(seen[0]).toBeLessThanOrEqual(took)
        } else expect(seen).toHaveLength(2) // none more
      } finally {
        await engine.dispose()
      }
    }
  })
})

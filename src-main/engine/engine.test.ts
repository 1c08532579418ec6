// The engine's requests on the real model: caching, the demo's W+ rule, local edits, random, morph.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RawImage, StylemapInfo } from './api.js'
import { Engine } from './engine.js'
import { tensorToImage } from './images.js'
import { testModelDir } from './testing/models.js'
import { gradientPng, rectMask } from './testing/photos.js'

let engine: Engine
let R: number
let original: StylemapInfo
let reference: StylemapInfo

function meanAbsDiff(a: RawImage, b: RawImage, where?: (x: number, y: number) => boolean): number {
  let sum = 0
  let n = 0
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (where && !where(x, y)) continue
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.width + x) * 3 + c] - b.data[(y * b.width + x) * 3 + c])
      n += 3
    }
  }
  return sum / n
}

beforeAll(async () => {
  engine = new Engine()
  const { model } = await engine.loadModel(await testModelDir())
  R = model.resolution
  const a = await engine.openImage({ bytes: await gradientPng(240, 200, 0) })
  const b = await engine.openImage({ bytes: await gradientPng(220, 220, 6) })
  original = await engine.encode({ imageId: a.imageId, crop: { x: 20, y: 0, size: 200 } })
  reference = await engine.encode({ imageId: b.imageId })
})
afterAll(async () => {
  await engine.dispose()
})

describe('encode', () => {
  it('is cached by content + crop + model', async () => {
    const again = await engine.encode({ imageId: original.imageId, crop: { x: 20, y: 0, size: 200 } })
    expect(again).toMatchObject({ stylemapId: original.stylemapId, cached: true })
    const other = await engine.encode({ imageId: original.imageId, crop: { x: 0, y: 0, size: 200 } })
    expect(other.cached).toBe(false)
    expect(other.stylemapId).not.toBe(original.stylemapId)
    // the same bytes opened again are the same image
    const reopened = await engine.openImage({ bytes: await gradientPng(240, 200, 0) })
    expect(reopened.imageId).toBe(original.imageId)
  })
  it('refuses crops outside the photo and unknown handles', async () => {
    await expect(engine.encode({ imageId: original.imageId, crop: { x: 100, y: 0, size: 200 } })).rejects.toMatchObject({ code: 'E_CROP_OUT_OF_BOUNDS' })
    await expect(engine.encode({ imageId: 'img:nope' })).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
    await expect(engine.reconstruct('sm:nope')).rejects.toMatchObject({ code: 'E_STYLEMAP_UNKNOWN' })
  })
})

describe('interpolate + generate', () => {
  it('W+ with one layer, strength 1, no offset reproduces the reference demo rule', async () => {
    const runtime = engine.runtime
    if (!runtime) throw new Error('no model')
    const mask = rectMask(R, R, R / 4, R / 8, R / 2, (3 * R) / 8 + 3)
    const orig = await engine.heldStylemap(original.stylemapId)
    const ref = await engine.heldStylemap(reference.stylemapId)
    // the demo, written out: per level, average-pool the mask by R/r, threshold at 0.5, copy the reference there
    const demo = runtime.info.styles.map((level, i) => {
      const f = R / level.size
      const out = Float32Array.from(orig.styles?.[i] ?? [])
      for (let y = 0; y < level.size; y++) {
        for (let x = 0; x < level.size; x++) {
          let sum = 0
          for (let yy = 0; yy < f; yy++) for (let xx = 0; xx < f; xx++) sum += mask.data[(y * f + yy) * R + x * f + xx] / 255
          if (sum / (f * f) <= 0.5) continue
          for (let c = 0; c < level.channels; c++) {
            const k = c * level.size * level.size + y * level.size + x
            out[k] = (ref.styles?.[i] ?? [])[k]
          }
        }
      }
      return out
    })
    const expected = tensorToImage(await runtime.synthesize(demo, 1), R)
    const state = await engine.interpolate({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask }], space: 'wplus' })
    const got = await engine.generate({ editId: state.editId })
    expect(Buffer.from(got.image.data).equals(Buffer.from(expected.data))).toBe(true)
  })

  it('an empty mask gives the reconstruction; a full W mask at strength 1 gives the reference', async () => {
    const recOriginal = await engine.reconstruct(original.stylemapId)
    const recReference = await engine.reconstruct(reference.stylemapId)
    for (const space of ['w', 'wplus'] as const) {
      const empty = await engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask: rectMask(R, R, 0, 0, 0, 0) }], space })
      expect(meanAbsDiff(empty.image, recOriginal.image)).toBeLessThan(0.5)
      const full = await engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask: rectMask(R, R, 0, 0, R, R) }], space })
      expect(meanAbsDiff(full.image, recReference.image)).toBeLessThan(0.5)
    }
    expect(meanAbsDiff(recOriginal.image, recReference.image)).toBeGreaterThan(2)
  })

  it('a local mask changes the image mostly inside the mask; strength 0 changes nothing', async () => {
    const rec = await engine.reconstruct(original.stylemapId)
    const [x0, y0, s] = [R / 4, R / 4, R / 2.5]
    const mask = rectMask(R, R, x0, y0, s, s)
    const inside = (x: number, y: number): boolean => x >= x0 && x < x0 + s && y >= y0 && y < y0 + s
    for (const space of ['w', 'wplus'] as const) {
      const out = await engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask }], space })
      const dIn = meanAbsDiff(out.image, rec.image, inside)
      const dOut = meanAbsDiff(out.image, rec.image, (x, y) => !inside(x, y))
      expect(dIn, space).toBeGreaterThan(1.5 * dOut)
      const none = await engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask, strength: 0 }], space })
      expect(meanAbsDiff(none.image, rec.image)).toBeLessThan(0.5)
    }
  })

  it('an offset moves where the reference lands', async () => {
    const mask = rectMask(R, R, 0, 0, R / 4, R / 4)
    const rec = await engine.reconstruct(original.stylemapId)
    const moved = await engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask, offset: { dx: R / 2, dy: R / 2 } }], space: 'wplus' })
    const target = (x: number, y: number): boolean => x >= R / 2 && x < (3 * R) / 4 && y >= R / 2 && y < (3 * R) / 4
    const source = (x: number, y: number): boolean => x < R / 4 && y < R / 4
    expect(meanAbsDiff(moved.image, rec.image, target)).toBeGreaterThan(1.5 * meanAbsDiff(moved.image, rec.image, source))
  })

  it('refuses masks of the wrong size and strengths outside 0..1', async () => {
    await expect(engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask: rectMask(R + 1, R, 0, 0, 4, 4) }] })).rejects.toMatchObject({
      code: 'E_MASK_SIZE',
    })
    await expect(engine.edit({ original: original.stylemapId, layers: [{ reference: reference.stylemapId, mask: rectMask(R, R, 0, 0, 4, 4), strength: 1.5 }] })).rejects.toMatchObject({
      code: 'E_BAD_ARGUMENT',
    })
  })
})

describe('bounded caches', () => {
  it('with room for only two style pyramids, edits with several references still match', async () => {
    const small = new Engine({ stylesBudgetBytes: 1 })
    try {
      await small.loadModel(await testModelDir())
      const ids = []
      for (const seed of [0, 6, 3, 4]) {
        const img = await small.openImage({ bytes: await gradientPng(200, 200, seed) })
        ids.push((await small.encode({ imageId: img.imageId })).stylemapId)
      }
      const request = (idList: string[]) => ({
        original: idList[0],
        layers: idList.slice(1).map((reference, i) => ({ reference, mask: rectMask(R, R, i * 8, i * 8, R / 2, R / 2), strength: 0.8 })),
        space: 'wplus' as const,
      })
      const first = await small.edit(request(ids))
      const second = await small.edit(request(ids))
      expect(Buffer.from(first.image.data).equals(Buffer.from(second.image.data))).toBe(true)
      const mainIds = []
      for (const seed of [0, 6, 3, 4]) mainIds.push((await engine.encode({ imageId: (await engine.openImage({ bytes: await gradientPng(200, 200, seed) })).imageId })).stylemapId)
      const reference = await engine.edit(request(mainIds))
      expect(Buffer.from(first.image.data).equals(Buffer.from(reference.image.data))).toBe(true)
    } finally {
      await small.dispose()
    }
  })
})

describe('morph and random', () => {
  it('morph t=0 and t=1 are the two reconstructions', async () => {
    const a = await engine.reconstruct(original.stylemapId)
    const b = await engine.reconstruct(reference.stylemapId)
    const m0 = await engine.morph({ a: original.stylemapId, b: reference.stylemapId, t: 0 })
    const m1 = await engine.morph({ a: original.stylemapId, b: reference.stylemapId, t: 1 })
    const mid = await engine.morph({ a: original.stylemapId, b: reference.stylemapId, t: 0.5 })
    expect(meanAbsDiff(m0.image, a.image)).toBeLessThan(0.5)
    expect(meanAbsDiff(m1.image, b.image)).toBeLessThan(0.5)
    expect(meanAbsDiff(mid.image, a.image)).toBeGreaterThan(0.5)
  })
  it('random is reproducible per seed; truncation 0 gives the mean for every seed', async () => {
    const a = await engine.random({ seed: 11 })
    const again = await engine.random({ seed: 11 })
    const b = await engine.random({ seed: 12 })
    expect(Buffer.from(a.image.data).equals(Buffer.from(again.image.data))).toBe(true)
    expect(meanAbsDiff(a.image, b.image)).toBeGreaterThan(1)
    const t0a = await engine.randomStylemap({ seed: 1, truncation: 0 })
    const t0b = await engine.randomStylemap({ seed: 2, truncation: 0 })
    expect([...t0a]).toEqual([...t0b])
    const half = await engine.randomStylemap({ seed: 1, truncation: 0.5 })
    const full = await engine.randomStylemap({ seed: 1 })
    for (const i of [0, 7, 100]) expect(half[i]).toBeCloseTo((t0a[i] + full[i]) / 2, 4)
    await expect(engine.random({ seed: -1 })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})

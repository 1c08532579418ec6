// The incremental edit path against a whole decode of the same edit: the mixing rules on whole
// tensors (mixing.ts) and the folder's own synthesis/decoder graphs, run apart from the engine.
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Edit, EditLayer, ImageInfo, Mask, ModelInfo, RawImage } from './api.js'
import { Engine } from './engine.js'
import { boxesOf, changedCells, changedShare, coverBoxes, diffCells, dilate, eitherCells, grow, LiveModulations, type MixState, ownState, packShelves, recompute, sameAsEarlier, SAVED_TILE, scaleRatios, unmixedCells, boxCells, fullyMixed, keepMixedAt, MIN_KEEP_STRENGTH, MIN_KEEP_STRENGTH_HALVES, MIXED_SHARE, within, without } from './incremental.js'
import { fromHalf, halfBits, toHalf } from './half.js'
import { tensorToImage } from './images.js'
import { shiftMask } from './masks.js'
import { type Box, type MixLayer, mixW, mixWPlus, windowOf } from './mixing.js'
import { ModelRuntime, padZero } from './model.js'
import { randomTestModelDir, randomWideTestModelDir } from './testing/models.js'
import { gradientPng, rectMask } from './testing/photos.js'

/** Mean and 99.9th percentile of the absolute differences of two images' RGB values, in levels. */
function levels(a: RawImage, b: RawImage): { mean: number; p999: number; max: number } {
  const diffs: number[] = []
  for (let i = 0; i < a.width * a.height; i++) for (let c = 0; c < 3; c++) diffs.push(Math.abs(a.data[i * a.channels + c] - b.data[i * b.channels + c]))
  diffs.sort((x, y) => x - y)
  return { mean: diffs.reduce((s, d) => s + d, 0) / diffs.length, p999: diffs[Math.floor(diffs.length * 0.999)], max: diffs[diffs.length - 1] }
}

type Rect = [number, number, number, number]

/** What an edit recomputes at a level whose styles change where `map` is set (engine.ts: boxesOf of changedCells). */
const changedBoxes = (map: Uint8Array | null, r: number, mixed?: Uint8Array | null) => boxesOf(changedCells(map, r, mixed), r)

/** The set cells of an r x r map, as [x, y] in row order. */
function setCells(map: Uint8Array, r: number): [number, number][] {
  const out: [number, number][] = []
  map.forEach((v, k) => v && out.push([k % r, Math.floor(k / r)]))
  return out
}

/** 2 x 2 dots every 8 px over a 48 px square: more separate groups of changed cells than are kept apart. */
const speckles: Rect[] = Array.from({ length: 36 }, (_, k) => [8 + 8 * (k % 6), 8 + 8 * Math.floor(k / 6), 2, 2])

interface Case {
  name: string
  space: 'w' | 'wplus'
  /** Each layer's mask: one rectangle [x, y, w, h] or several. */
  layers: { ref: 0 | 1; mask: Rect | Rect[]; strength?: number; offset?: { dx: number; dy: number } }[]
  coarseStrength?: number
  fineStrength?: number
}

const cases: Case[] = [
  { name: 'one layer in the middle', space: 'wplus', layers: [{ ref: 0, mask: [20, 22, 18, 14] }] },
  { name: 'a mask on the top-left corner, strength 0.5', space: 'wplus', layers: [{ ref: 0, mask: [0, 0, 21, 17], strength: 0.5 }] },
  { name: 'a mask on the bottom-right edge', space: 'wplus', layers: [{ ref: 1, mask: [40, 36, 24, 28] }] },
  { name: 'an offset that moves cells past the border', space: 'wplus', layers: [{ ref: 0, mask: [44, 10, 20, 24], offset: { dx: 12, dy: -8 } }] },
  {
    name: 'two layers, strengths 0.7 and 0.4, coarse 0.3 to fine 0.9',
    space: 'wplus',
    layers: [
      { ref: 0, mask: [8, 30, 30, 20], strength: 0.7 },
      { ref: 1, mask: [26, 8, 16, 40], strength: 0.4, offset: { dx: -6, dy: 5 } },
    ],
    coarseStrength: 0.3,
    fineStrength: 0.9,
  },
  {
    name: 'three layers apart (two eyes and a mouth), recomputed as boxes of their own',
    space: 'wplus',
    layers: [
      { ref: 0, mask: [8, 14, 14, 8] },
      { ref: 1, mask: [42, 14, 14, 8], strength: 0.8 },
      { ref: 0, mask: [22, 42, 20, 10] },
    ],
  },
  {
    name: 'one layer with two strokes apart, one of them touching a border',
    space: 'wplus',
    layers: [{ ref: 1, mask: [[4, 6, 12, 10], [44, 40, 20, 14]], strength: 0.9 }],
  },
  { name: 'a speckled mask', space: 'wplus', layers: [{ ref: 0, mask: speckles }] },
  { name: 'W: one layer in the middle', space: 'w', layers: [{ ref: 0, mask: [16, 16, 32, 24] }] },
  { name: 'W: a corner with an offset, strength 0.6', space: 'w', layers: [{ ref: 1, mask: [0, 40, 24, 24], strength: 0.6, offset: { dx: 8, dy: 8 } }] },
]

// every edit once through the patched windows (share 1) and once with gamma/beta computed whole
// (share 0); and with the fine layers' gamma/beta held as halves, as a 256 px model's largest are
// (halfLevelBytes 0: every fine layer of these small models)
describe.each([
  ['the small generator, patched windows', randomTestModelDir, 1, undefined],
  ['the full generator, patched windows', randomWideTestModelDir, 1, undefined],
  ['the small generator, whole modulation', randomTestModelDir, 0, undefined],
  ['the small generator, patched windows, fine layers as halves', randomTestModelDir, 1, 0],
  ['the full generator, patched windows, fine layers as halves', randomWideTestModelDir, 1, 0],
])('incremental edits on %s equal a whole decode', (_, modelDir, wholeModulationShare, halfLevelBytes) => {
  let engine: Engine
  let info: ModelInfo
  let dir: string
  let photo: ImageInfo
  const refs: ImageInfo[] = []
  let synthesis: ort.InferenceSession
  let decoder: ort.InferenceSession

  beforeAll(async () => {
    dir = await modelDir()
    // the test models are small: a reference's values are kept at every level, as at a released 256 px model's
    engine = new Engine({ wholeModulationShare, keepMixedMacs: 0 })
    info = (await engine.loadModel(dir, { halfLevelBytes })).model
    const R = info.resolution
    photo = await engine.openImage({ bytes: await gradientPng(R, R, 0) })
    refs.push(await engine.openImage({ bytes: await gradientPng(R, R, 6) }), await engine.openImage({ bytes: await gradientPng(R, R, 11) }))
    synthesis = await ort.InferenceSession.create(join(dir, 'synthesis.onnx'))
    decoder = await ort.InferenceSession.create(join(dir, 'decoder.onnx'))
  }, 300_000)
  afterAll(async () => {
    await engine?.dispose()
    await synthesis?.release()
    await decoder?.release()
  })

  const mask = (rects: Rect | Rect[]): Mask => {
    const all = (typeof rects[0] === 'number' ? [rects] : rects) as Rect[]
    const out = rectMask(info.resolution, info.resolution, ...all[0])
    for (const r of all.slice(1)) rectMask(info.resolution, info.resolution, ...r).data.forEach((v, k) => (out.data[k] = Math.max(out.data[k], v)))
    return out
  }

  /** The edit decoded whole: mixing.ts on whole tensors, then the folder's synthesis or decoder graph. */
  async function wholeDecode(c: Case): Promise<RawImage> {
    const R = info.resolution
    const original = await engine.inspect.stylemapOf({ imageId: photo.imageId })
    const layers: MixLayer[] = []
    for (const l of c.layers) {
      const ref = await engine.inspect.stylemapOf({ imageId: refs[l.ref].imageId })
      const dx = l.offset?.dx ?? 0
      const dy = l.offset?.dy ?? 0
      layers.push({ reference: c.space === 'w' ? ref.stylemap : ref.styles!, mask: shiftMask(mask(l.mask), -dx, -dy).data, strength: l.strength ?? 1, dx, dy })
    }
    if (c.space === 'w') {
      const w = mixW(original.stylemap, layers, info.stylemap, R)
      const out = await decoder.run({ stylemap: new ort.Tensor('float32', w, [1, info.stylemap.channels, info.stylemap.size, info.stylemap.size]) })
      return tensorToImage(out.image.data as Float32Array, R)
    }
    const strengths = c.coarseStrength !== undefined ? { coarse: c.coarseStrength, fine: c.fineStrength ?? 1 } : undefined
    const mixed = mixWPlus(original.styles!, layers, info.styles, R, strengths)
    const feeds = Object.fromEntries(info.styles.map((s, i) => [`style_${i}`, new ort.Tensor('float32', mixed[i], [1, s.channels, s.size, s.size])]))
    return tensorToImage((await synthesis.run(feeds)).image.data as Float32Array, R)
  }

  async function incremental(c: Case): Promise<RawImage> {
    const layers: EditLayer[] = c.layers.map((l) => ({ reference: { imageId: refs[l.ref].imageId }, mask: mask(l.mask), strength: l.strength, offset: l.offset }))
    const edit: Edit = { original: { imageId: photo.imageId }, layers, space: c.space, coarseStrength: c.coarseStrength, fineStrength: c.fineStrength }
    return (await engine.render({ edit, output: { kind: 'generated' } })).generated
  }

  it('loads the modulation and features graphs in place of decoder and synthesis', () => {
    const runtime = engine.inspect.runtime!
    expect(runtime.incremental).toBe(true)
    expect(runtime.has('decoder')).toBe(false)
    expect(runtime.has('synthesis')).toBe(false)
    expect(info.features.wplus).toBe(true)
    // halves from the first fine layer on, or none
    const fineLayer = runtime.manifest.preview!.fineLayer
    expect(runtime.halfLevels).toEqual(runtime.manifest.modulations!.map((_, i) => halfLevelBytes === 0 && i >= fineLayer))
  })

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const want = await wholeDecode(c)
    const got = await incremental(c)
    const d = levels(got, want)
    expect(d.mean).toBeLessThanOrEqual(1)
    expect(d.p999).toBeLessThanOrEqual(4)
    // the edit changed the image (it is not the photo's reconstruction)
    const recon = (await engine.render({ edit: { original: { imageId: photo.imageId }, layers: [] }, output: { kind: 'generated' } })).generated
    expect(levels(got, recon).max).toBeGreaterThan(4)
  })

  /** Runs `run`, counting the modulation runs and the cells each computes at the finest level (its window less the border). */
  async function counted(run: () => Promise<unknown>): Promise<number[]> {
    const runtime = engine.inspect.runtime!
    const cells: number[] = []
    const modulate = runtime.modulate.bind(runtime)
    runtime.modulate = async (windows, n) => {
      const finest = windows[windows.length - 1]
      cells.push((finest.height - 2) * (finest.width - 2))
      return modulate(windows, n)
    }
    try {
      await run()
    } finally {
      runtime.modulate = modulate
    }
    return cells
  }

  /** Renders `steps` in turn, each equal to a whole decode; the cells each recomputes at the finest level. */
  async function workOf(steps: Case[]): Promise<number[]> {
    const work: number[] = []
    for (const step of steps) {
      let got: RawImage | null = null
      const cells = await counted(async () => (got = await incremental(step)))
      work.push(cells.reduce((a, b) => a + b, 0))
      const d = levels(got!, await wholeDecode(step))
      expect(d.mean, step.name).toBeLessThanOrEqual(1)
      expect(d.p999, step.name).toBeLessThanOrEqual(4)
    }
    return work
  }

  it.skipIf(wholeModulationShare === 0)('recomputes changes apart in one modulation run, on fewer cells than one box around them', async () => {
    const cells = await counted(() => incremental(cases.find((c) => c.name.startsWith('three layers apart'))!))
    expect(cells).toHaveLength(1)
    // one box around both eyes and the mouth would be 50 x 40 cells; three apart are 18 x 10, 18 x 10 and 22 x 12
    expect(cells[0]).toBeLessThan(800)
  })

  it.skipIf(wholeModulationShare === 0)('a stroke added, part of a mask erased, a strength changed: each edit equals a whole decode, and recomputes only what changed since the one before and was not kept (a strength: nothing)', async () => {
    const steps: Case[] = [
      { name: 'a square', space: 'wplus', layers: [{ ref: 0, mask: [8, 8, 36, 36] }] },
      { name: 'grown right and down', space: 'wplus', layers: [{ ref: 0, mask: [8, 8, 40, 40] }] },
      { name: 'the same again', space: 'wplus', layers: [{ ref: 0, mask: [8, 8, 40, 40] }] },
      { name: 'a stroke apart', space: 'wplus', layers: [{ ref: 0, mask: [[8, 8, 40, 40], [50, 2, 10, 8]] }] },
      { name: 'the left half erased', space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]] }] },
      { name: 'drawn back (an undo undone)', space: 'wplus', layers: [{ ref: 0, mask: [[8, 8, 40, 40], [50, 2, 10, 8]] }] },
      { name: 'erased again', space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]] }] },
      { name: 'a lower strength', space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]], strength: 0.6 }] },
      { name: 'coarse 0.3 to fine 0.9', space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]], strength: 0.6 }], coarseStrength: 0.3, fineStrength: 0.9 },
      { name: 'the strength back to 1', space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]] }], coarseStrength: 0.3, fineStrength: 0.9 },
      { name: 'a second layer with an offset', space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]], strength: 0.6 }, { ref: 1, mask: [4, 40, 16, 16], offset: { dx: 20, dy: -30 } }] },
      { name: "the first layer's strength of two", space: 'wplus', layers: [{ ref: 0, mask: [[30, 16, 14, 28], [50, 2, 10, 8]], strength: 0.5 }, { ref: 1, mask: [4, 40, 16, 16], offset: { dx: 20, dy: -30 } }] },
      { name: 'W', space: 'w', layers: [{ ref: 1, mask: [4, 40, 16, 16] }] },
      { name: 'back to the square', space: 'wplus', layers: [{ ref: 0, mask: [16, 16, 24, 24] }] },
    ]
    const work = await workOf(steps)
    // at the finest level: growing the square recomputes the cells it adds, far fewer than the
    // square's; the same edit again nothing; a stroke apart its own cells (12 x 10 with the border)
    expect(work[1]).toBeLessThan(0.6 * work[0])
    expect(work[2]).toBe(0)
    expect(work[3]).toBe(12 * 10)
    // erasing: the cells left outside get the crop's own values back; only those next to what
    // stays are recomputed, fewer than the part that stays (16 x 30 with the border)
    expect(work[4]).toBeLessThan(16 * 30)
    // drawn back: the reference's values of the cells it mixes whole again were kept when they
    // were computed before, so only its edge is recomputed, in strips (one box around it would be 42 x 42)
    expect(work[5]).toBeLessThan(0.6 * 42 * 42)
    expect(work[6]).toBe(work[4])
    // one layer's strength or level factors: its changes are scaled, nothing is recomputed
    expect(work.slice(7, 10)).toEqual([0, 0, 0])
    // of two layers, the second blends toward what the first made: every masked cell is
    // recomputed (the first layer's 16 x 30 and 12 x 10 with the border, and the second's)
    expect(work[11]).toBeGreaterThanOrEqual(16 * 30 + 12 * 10)
  })

  it.skipIf(wholeModulationShare === 0)('an offset dragged, at strengths 1 and 0.6: each step equals a whole decode, and recomputes the mask\'s edge and the cells whose reference cells it had not read before', async () => {
    const at = (dx: number, dy: number, strength?: number): Case => ({ name: `offset (${dx}, ${dy}), strength ${strength ?? 1}`, space: 'wplus', layers: [{ ref: 1, mask: [14, 12, 30, 30], strength, offset: { dx, dy } }] })
    const steps = [at(0, 0), at(-2, -1), at(-4, -2), at(-6, -3, 0.6), at(-4, -2, 0.6), at(0, 0)]
    const work = await workOf(steps)
    // the first step computes the square with its border (32 x 32 cells at the finest level); each
    // step after it its edge and the strips of reference cells it reads first, far fewer
    expect(work[0]).toBe(32 * 32)
    for (const k of [1, 2, 3]) expect(work[k], steps[k].name).toBeLessThan(0.75 * work[0])
    // back at offsets read before, at another strength and at the first: only the edge, less
    // than a step that reads reference cells for the first time
    expect(work[4]).toBeLessThan(work[3])
    expect(work[5]).toBeLessThan(work[3])
    // a mask on the left border: the reference cells its border cells read have neighbours the
    // crop's zero padding stands in for, so they are not kept as the reference's (a later step
    // reads them inside the grid)
    await workOf([-10, -5, 0].map((dx) => ({ name: `on the border, offset (${dx}, 0)`, space: 'wplus', layers: [{ ref: 0, mask: [0, 16, 26, 30], offset: { dx, dy: 0 } }] })))
  })

  it.skipIf(wholeModulationShare === 0)('a strength lowered is scaled; raised twentyfold it is scaled in float32, and written afresh where gamma/beta are halves', async () => {
    const at = (strength: number): Case => ({ name: `strength ${strength}`, space: 'wplus', layers: [{ ref: 0, mask: [10, 10, 30, 30], strength }] })
    const work = await workOf([at(1), at(0.05), at(1)])
    expect(work[1]).toBe(0)
    // halves scaled by 20 would be about 10 steps of a half off: the edge of the mask is
    // recomputed, the rest written from the reference's kept values
    if (halfLevelBytes === 0) expect(work[2]).toBeGreaterThan(0)
    else expect(work[2]).toBe(0)
  })

  it.skipIf(wholeModulationShare === 0)('an edit whose modulation or feature run fails leaves the crop editable: the next edits equal a whole decode', async () => {
    const runtime = engine.inspect.runtime!
    const grown: Case = { name: 'grown', space: 'wplus', layers: [{ ref: 1, mask: [10, 12, 30, 30], strength: 0.9 }] }
    const shrunk: Case = { name: 'shrunk', space: 'wplus', layers: [{ ref: 1, mask: [10, 12, 20, 22], strength: 0.9 }] }
    await incremental({ name: 'a square', space: 'wplus', layers: [{ ref: 1, mask: [10, 12, 24, 24], strength: 0.9 }] })
    // the runtime's methods, as the test replaces them for one edit
    const methods = runtime as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    for (const name of ['modulate', 'featuresWithStats']) {
      const kept = methods[name]
      methods[name] = () => Promise.reject(new Error(`${name} failed`))
      try {
        await expect(incremental(grown)).rejects.toThrow(`${name} failed`)
      } finally {
        methods[name] = kept
      }
      for (const c of [grown, shrunk]) {
        const d = levels(await incremental(c), await wholeDecode(c))
        expect(d.mean, `${c.name} after ${name} failed`).toBeLessThanOrEqual(1)
        expect(d.p999, `${c.name} after ${name} failed`).toBeLessThanOrEqual(4)
      }
    }
  })

  it('an edit rendered again, or pasted back otherwise, reuses its image while its gamma/beta stay as they were', async () => {
    const runtime = engine.inspect.runtime!
    const features = runtime.featuresWithStats.bind(runtime)
    let runs = 0
    runtime.featuresWithStats = (mods) => (runs++, features(mods))
    try {
      const a: Case = { name: 'a square', space: 'wplus', layers: [{ ref: 0, mask: [12, 10, 30, 26], strength: 0.8 }] }
      const first = await incremental(a)
      let before = runs
      const again = await incremental(a)
      const edit: Edit = { original: { imageId: photo.imageId }, layers: [{ reference: { imageId: refs[0].imageId }, mask: mask([12, 10, 30, 26]), strength: 0.8 }], space: 'wplus', feather: 3 }
      const pasted = await engine.render({ edit, output: { kind: 'preview' } })
      // the whole path leaves the live gamma/beta as they were, so there nothing is reused
      expect(runs - before).toBe(wholeModulationShare === 0 ? 2 : 0)
      expect(Buffer.from(again.data).equals(Buffer.from(first.data))).toBe(true)
      expect(Buffer.from(pasted.generated.data).equals(Buffer.from(first.data))).toBe(true)
      // the photo alone after it is the photo's reconstruction, not the kept image of the edit
      const original = await engine.inspect.stylemapOf({ imageId: photo.imageId })
      const { size, channels } = info.stylemap
      const out = await decoder.run({ stylemap: new ort.Tensor('float32', original.stylemap, [1, channels, size, size]) })
      const own = (await engine.render({ edit: { original: { imageId: photo.imageId }, layers: [] }, output: { kind: 'generated' } })).generated
      expect(levels(own, tensorToImage(out.image.data as Float32Array, info.resolution)).max).toBeLessThanOrEqual(1)
      // and the edit after that is decoded again, equal to a whole decode
      before = runs
      const d = levels(await incremental(a), await wholeDecode(a))
      expect(runs - before).toBe(1)
      expect(d.mean).toBeLessThanOrEqual(1)
      expect(d.p999).toBeLessThanOrEqual(4)
    } finally {
      runtime.featuresWithStats = features
    }
  })

  it('leaves the kept gamma/beta as they were: the reconstruction after edits equals the decoder', async () => {
    for (const c of cases) await incremental(c)
    const original = await engine.inspect.stylemapOf({ imageId: photo.imageId })
    const { size, channels } = info.stylemap
    const out = await decoder.run({ stylemap: new ort.Tensor('float32', original.stylemap, [1, channels, size, size]) })
    const want = tensorToImage(out.image.data as Float32Array, info.resolution)
    const got = (await engine.render({ edit: { original: { imageId: photo.imageId }, layers: [] }, output: { kind: 'generated' } })).generated
    expect(levels(got, want).max).toBeLessThanOrEqual(1)
    expect(engine.inspect.cacheSizes().modulations).toBe(1)
  })
})

describe('incremental helpers', () => {
  it('diffCells finds the cells where any channel differs', () => {
    const a = new Float32Array(2 * 5 * 5)
    const b = Float32Array.from(a)
    expect(diffCells(a, b, 2, 5)).toBeNull()
    b[1 * 25 + 2 * 5 + 4] = 1 // channel 1, y 2, x 4
    b[0 * 25 + 1 * 5 + 1] = -1 // channel 0, y 1, x 1
    expect(setCells(diffCells(a, b, 2, 5)!, 5)).toEqual([[1, 1], [4, 2]])
    // with a tolerance, only the cells that moved by more than it
    b[0 * 25 + 3 * 5 + 0] = 0.05 // channel 0, y 3, x 0: under it
    expect(setCells(diffCells(a, b, 2, 5, 0.1)!, 5)).toEqual([[1, 1], [4, 2]])
    expect(setCells(diffCells(a, b, 2, 5, 0.02)!, 5)).toEqual([[1, 1], [4, 2], [0, 3]])
    expect(diffCells(a, b, 2, 5, 1)).toBeNull()
    // a tolerance that means nothing, or one against halves (compared by rounding), is refused
    expect(() => diffCells(a, b, 2, 5, Number.NaN)).toThrow(/tolerance of NaN/)
    expect(() => diffCells(a, b, 2, 5, -1)).toThrow(/tolerance of -1/)
    expect(() => diffCells(a, toHalf(b), 2, 5, 0.1)).toThrow(/against halves/)
  })

  it('diffBox against halves finds the cells whose values round to other halves', () => {
    const a = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => 0.1 + i / 7)
    const halves = toHalf(a)
    expect(diffCells(a, halves, 2, 4)).toBeNull()
    const b = Float32Array.from(a)
    // channel 1, y 3, x 0 moves to another half; channel 0, y 0, x 3 by far less than a half's step
    b[16 + 12] += 0.25
    b[3] *= 1 + 2 ** -16
    expect(halfBits(b[3])).toBe(halves[3])
    expect(setCells(diffCells(b, halves, 2, 4)!, 4)).toEqual([[0, 3]])
  })

  it('diffCells between halves (a resizer\'s output against a kept pyramid) finds the cells whose bits differ', () => {
    const a = toHalf(Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => 0.1 + i / 7))
    expect(diffCells(a, Uint16Array.from(a), 2, 4)).toBeNull()
    const b = Uint16Array.from(a)
    b[16 + 6] += 1 // channel 1, y 1, x 2: the next half up
    b[0] ^= 0x8000 // channel 0, y 0, x 0: its sign
    expect(setCells(diffCells(a, b, 2, 4)!, 4)).toEqual([[0, 0], [2, 1]])
    // halves against float32 values, or with a tolerance, are refused
    expect(() => diffCells(a, fromHalf(b), 2, 4)).toThrow(/halves against float32/)
    expect(() => diffCells(a, b, 2, 4, 0.1)).toThrow(/against halves/)
  })

  it('grow grows a box by d cells, clipped to the grid when asked', () => {
    expect(grow({ x0: 3, y0: 3, x1: 4, y1: 4 }, 2)).toEqual({ x0: 1, y0: 1, x1: 6, y1: 6 })
    expect(grow({ x0: 3, y0: 3, x1: 4, y1: 4 }, 2, 4)).toEqual({ x0: 1, y0: 1, x1: 4, y1: 4 })
  })

  it('changedShare weighs each level by its channels and cells', () => {
    const mods = [
      { channels: 4, size: 2 },
      { channels: 1, size: 4 },
    ]
    // 16 + 16 values in all
    expect(changedShare([null, []], mods)).toBe(0)
    expect(changedShare([[{ x0: 0, y0: 0, x1: 2, y1: 2 }], null], mods)).toBe(0.5)
    expect(changedShare([[{ x0: 1, y0: 0, x1: 2, y1: 1 }], [{ x0: 0, y0: 0, x1: 4, y1: 2 }]], mods)).toBe((4 + 8) / 32)
    // boxes of their own count their own cells
    expect(changedShare([[], [{ x0: 0, y0: 0, x1: 1, y1: 1 }, { x0: 3, y0: 3, x1: 4, y1: 4 }]], mods)).toBe(2 / 32)
  })

  /** An r x r map with the given cells set. */
  const cellMap = (r: number, cells: [number, number][]): Uint8Array => {
    const map = new Uint8Array(r * r)
    for (const [x, y] of cells) map[y * r + x] = 1
    return map
  }
  /** An r x r map with the cells of [x0, x1) x [y0, y1) set, less those of `hole`. */
  const rectMap = (r: number, b: Box, hole?: Box): Uint8Array => {
    const inside = (x: number, y: number, q: Box) => x >= q.x0 && x < q.x1 && y >= q.y0 && y < q.y1
    return Uint8Array.from({ length: r * r }, (_, k) => (inside(k % r, Math.floor(k / r), b) && !(hole && inside(k % r, Math.floor(k / r), hole)) ? 1 : 0))
  }
  /** Whether every set cell's 3 x 3 neighbourhood (inside the grid) lies in some box: what an edit must recompute. */
  const covered = (map: Uint8Array, r: number, boxes: Box[]): boolean => {
    for (let k = 0; k < r * r; k++) {
      if (!map[k]) continue
      const [x, y] = [k % r, Math.floor(k / r)]
      for (let ny = Math.max(0, y - 1); ny <= Math.min(r - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(r - 1, x + 1); nx++) {
          if (!boxes.some((b) => nx >= b.x0 && nx < b.x1 && ny >= b.y0 && ny < b.y1)) return false
        }
      }
    }
    return true
  }
  const cellsOf = (boxes: Box[]) => boxes.reduce((sum, b) => sum + (b.x1 - b.x0) * (b.y1 - b.y0), 0)

  it('dilate sets the cells within one cell of a set one', () => {
    expect(setCells(dilate(cellMap(5, [[0, 0], [3, 2]]), 5), 5)).toEqual([[0, 0], [1, 0], [0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [2, 2], [3, 2], [4, 2], [2, 3], [3, 3], [4, 3]])
  })

  it('changedBoxes covers a square with one box, the ring a grown square adds with four strips, and changes apart with boxes of their own', () => {
    const r = 64
    expect(changedBoxes(rectMap(r, { x0: 10, y0: 12, x1: 30, y1: 40 }), r)).toEqual([{ x0: 9, y0: 11, x1: 31, y1: 41 }])
    // a square grown by 4 cells on every side: the cells between the two change
    const ring = rectMap(r, { x0: 10, y0: 10, x1: 50, y1: 50 }, { x0: 14, y0: 14, x1: 46, y1: 46 })
    const strips = changedBoxes(ring, r)
    expect(coverBoxes(dilate(ring, r), r)).toHaveLength(4)
    expect(covered(ring, r, strips)).toBe(true)
    // the ring's 42 x 42 box less the 30 x 30 inside it left alone is 864 cells
    expect(cellsOf(strips)).toBeLessThan(1100)
    // two eyes and a mouth
    const eyes = cellMap(32, [[4, 5], [5, 5], [6, 6], [24, 5], [25, 6], [14, 20], [15, 20], [16, 21], [17, 21]])
    expect(changedBoxes(eyes, 32)).toEqual(expect.arrayContaining([{ x0: 3, y0: 4, x1: 8, y1: 8 }, { x0: 23, y0: 4, x1: 27, y1: 8 }, { x0: 13, y0: 19, x1: 19, y1: 23 }]))
    expect(changedBoxes(eyes, 32)).toHaveLength(3)
    expect(changedBoxes(cellMap(r, [[0, 63]]), r)).toEqual([{ x0: 0, y0: 62, x1: 2, y1: 64 }])
    expect(changedBoxes(new Uint8Array(r * r), r)).toEqual([])
    expect(changedBoxes(null, r)).toEqual([])
  })

  it('an erased part: changedBoxes recomputes only the cells next to what stays mixed, unmixedCells gives the crop\'s own back to the rest', () => {
    const r = 32
    const before = rectMap(r, { x0: 4, y0: 4, x1: 24, y1: 24 })
    const after = rectMap(r, { x0: 14, y0: 4, x1: 24, y1: 24 })
    // the left half erased: its cells change
    const changed = before.map((v, k) => v & (after[k] ^ 1))
    const boxes = changedBoxes(changed, r, after)
    // recomputed: the two columns each side of the cut (x 13 and 14), not the erased 10 columns
    expect(boxes).toEqual([{ x0: 13, y0: 3, x1: 15, y1: 25 }])
    const back = unmixedCells(changed, r, after)!
    const inside = (x: number, y: number, b: Box) => x >= b.x0 && x < b.x1 && y >= b.y0 && y < b.y1
    for (let k = 0; k < r * r; k++) {
      const [x, y] = [k % r, Math.floor(k / r)]
      // every cell the change reaches is either recomputed or given back, never both
      const reached = inside(x, y, { x0: 3, y0: 3, x1: 15, y1: 25 })
      expect(back[k] === 1 || boxes.some((b) => inside(x, y, b)), `${x}, ${y}`).toBe(reached)
      if (back[k]) expect(boxes.some((b) => inside(x, y, b)), `${x}, ${y}`).toBe(false)
    }
    // all erased: nothing is recomputed, everything the change reaches is given back
    expect(changedBoxes(before, r, null)).toEqual([])
    expect(unmixedCells(before, r, null)).toEqual(dilate(before, r))
    // nothing erased: nothing given back
    expect(unmixedCells(rectMap(r, { x0: 30, y0: 30, x1: 32, y1: 32 }), r, before.map((v, k) => v | (k === 30 * r + 30 ? 1 : 0)))).toBeNull()
    expect(unmixedCells(null, r, before)).toBeNull()
  })

  it('changedBoxes covers every changed cell with its neighbours, inside the grid, whatever the map', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let t = 0; t < 60; t++) {
      const r = 4 + Math.floor(random() * 60)
      const density = random() * 0.2
      const map = Uint8Array.from({ length: r * r }, () => (random() < density ? 1 : 0))
      const boxes = changedBoxes(map, r)
      expect(covered(map, r, boxes)).toBe(true)
      for (const b of boxes) expect(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= r && b.y1 <= r && b.x1 > b.x0 && b.y1 > b.y0).toBe(true)
      // cut into bands, never more cells than the bands' boxes around what they hold
      expect(cellsOf(boxes)).toBeLessThanOrEqual(r * r)
    }
    // a disc's edge: boxes along it, far fewer cells than its box
    const r = 96
    const disc = (rad: number) => Uint8Array.from({ length: r * r }, (_, k) => (Math.hypot((k % r) - 48, Math.floor(k / r) - 48) < rad ? 1 : 0))
    const edge = disc(30).map((v, k) => v & (disc(27)[k] ^ 1))
    const boxes = changedBoxes(edge, r)
    expect(covered(edge, r, boxes)).toBe(true)
    expect(cellsOf(boxes)).toBeLessThan(0.5 * 62 * 62)
    expect(coverBoxes(edge, r, r)).toHaveLength(1)
  })

  it('packShelves packs rectangles into one canvas without overlap', () => {
    let seed = 3
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let t = 0; t < 20; t++) {
      const sizes = Array.from({ length: 1 + Math.floor(random() * 12) }, () => ({ width: 3 + Math.floor(random() * 30), height: 3 + Math.floor(random() * 30) }))
      const { width, height, at } = packShelves(sizes)
      const owner = new Int32Array(width * height).fill(-1)
      sizes.forEach((s, k) => {
        expect(at[k].x >= 0 && at[k].y >= 0 && at[k].x + s.width <= width && at[k].y + s.height <= height).toBe(true)
        for (let y = at[k].y; y < at[k].y + s.height; y++) {
          for (let x = at[k].x; x < at[k].x + s.width; x++) {
            expect(owner[y * width + x]).toBe(-1)
            owner[y * width + x] = k
          }
        }
      })
      // shelves waste some, not most, of the canvas
      expect(sizes.reduce((sum, s) => sum + s.width * s.height, 0)).toBeGreaterThan(0.3 * width * height)
    }
    expect(packShelves([{ width: 5, height: 4 }])).toEqual({ width: 5, height: 4, at: [{ x: 0, y: 0 }] })
  })

  it('recompute gives gamma/beta of boxes packed into one run as a whole modulation has them', async () => {
    const model = await ModelRuntime.load(await randomTestModelDir())
    try {
      const levels = model.manifest.styles
      let seed = 11
      const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5
      const styles = levels.map((l) => Float32Array.from({ length: l.channels * l.size * l.size }, random))
      const whole = await model.modulations(styles, 1)
      // per level: none, one box, or boxes of several sizes, some on the border
      const boxes: Box[][] = levels.map((l, i) => {
        const r = l.size
        if (i === 0) return []
        if (r < 8) return [{ x0: 0, y0: 1, x1: r, y1: r }]
        return [
          { x0: 0, y0: 0, x1: 3, y1: 5 },
          { x0: r - 4, y0: 2, x1: r, y1: 4 },
          { x0: 2, y0: r - 3, x1: r - 1, y1: r },
          { x0: 3, y0: 3, x1: 4, y1: 4 },
        ]
      })
      const asked: number[] = []
      const runs: number[] = []
      const modulate = model.modulate.bind(model)
      model.modulate = async (windows, n) => {
        runs.push(windows.length)
        return modulate(windows, n)
      }
      const fresh = await recompute(model, boxes, (i, at) => {
        asked.push(i)
        return windowOf(styles[i], levels[i].channels, levels[i].size, at)
      })
      expect(runs).toHaveLength(1)
      expect(fresh.mods[0]).toBeNull()
      const mods = model.manifest.modulations!
      boxes.forEach((list, i) => {
        const { channels, size } = mods[i]
        const bc = mods[i].betaChannels ?? channels
        list.forEach((b, k) => {
          const m = fresh.mods[i]!
          const { x, y } = fresh.at[i][k]
          for (let yy = b.y0; yy < b.y1; yy++) {
            for (let xx = b.x0; xx < b.x1; xx++) {
              const at = (yy - b.y0 + y) * m.width + xx - b.x0 + x
              for (let c = 0; c < channels; c++) expect(m.gamma[c * m.width * m.height + at]).toBeCloseTo(whole[i].gamma[c * size * size + yy * size + xx], 4)
              for (let c = 0; c < bc; c++) expect(m.beta[c * m.width * m.height + at]).toBeCloseTo(whole[i].beta[c * size * size + yy * size + xx], 4)
            }
          }
        })
      })
      expect(asked.length).toBe(boxes.reduce((sum, l) => sum + l.length, 0))
    } finally {
      await model.release()
    }
  }, 120_000)

  it('LiveModulations writes boxes in, saves the values under them tile by tile once, and restores them', () => {
    const size = 2 * SAVED_TILE + 5
    const levels = [
      { channels: 2, size: 4 },
      { channels: 3, size, betaChannels: 1 },
    ]
    const tensor = (channels: number, r: number, base: number) => Float32Array.from({ length: channels * r * r }, (_, k) => base + k)
    const own = levels.map((l, i) => ({ gamma: tensor(l.channels, l.size, 1000 * i), beta: tensor(l.betaChannels ?? l.channels, l.size, -1000 * i), height: l.size, width: l.size }))
    const copies = own.map((m) => [Float32Array.from(m.gamma), Float32Array.from(m.beta)])
    const live = new LiveModulations(levels, own)
    expect(live.state).toEqual(ownState(2))
    // a canvas of 6 x 4 cells holding values for a 3 x 2 box from its cell (2, 1)
    const canvas = { gamma: Float32Array.from({ length: 3 * 24 }, (_, k) => -k - 1), beta: Float32Array.from({ length: 24 }, (_, k) => -k - 101), height: 4, width: 6 }
    const out = { x0: SAVED_TILE - 1, y0: SAVED_TILE - 1, x1: SAVED_TILE + 2, y1: SAVED_TILE + 1 }
    live.write(1, out, canvas, 2, 1)
    const g = own[1].gamma
    // channel 2, cell (out.x0 + 1, out.y0 + 1) comes from the canvas's channel 2, cell (3, 2)
    expect(g[2 * size * size + (out.y0 + 1) * size + out.x0 + 1]).toBe(canvas.gamma[2 * 24 + 2 * 6 + 3])
    expect(own[1].beta[out.y0 * size + out.x0]).toBe(canvas.beta[1 * 6 + 2])
    // the box reaches into four tiles; each is saved once
    const tile = (3 + 1) * SAVED_TILE * SAVED_TILE * 4
    expect(live.savedBytes).toBe(4 * tile)
    live.write(1, { x0: SAVED_TILE, y0: SAVED_TILE, x1: SAVED_TILE + 1, y1: SAVED_TILE + 1 }, canvas, 0, 0)
    expect(live.savedBytes).toBe(4 * tile)
    // outside the box nothing moved
    let moved = 0
    g.forEach((v, k) => {
      const [x, y] = [k % size, Math.floor((k % (size * size)) / size)]
      if (v !== copies[1][0][k] && !(x >= out.x0 && x < out.x1 && y >= out.y0 && y < out.y1)) moved++
    })
    expect(moved).toBe(0)
    live.state = null
    live.restore()
    expect(own.map((m) => [m.gamma, m.beta])).toEqual(copies)
    expect(live.state).toEqual(ownState(2))
    // the tiles stay saved: writing there again saves nothing, and a restore brings the values back again
    expect(live.bytes).toBe(copies.flat().reduce((sum, a) => sum + a.byteLength, 0) + 4 * tile)
    live.write(1, out, canvas, 2, 1)
    expect(live.savedBytes).toBe(4 * tile)
    expect(own[1].gamma).not.toEqual(copies[1][0])
    live.restore()
    expect(own.map((m) => [m.gamma, m.beta])).toEqual(copies)
  })

  it('LiveModulations.restore leaves the cells the caller writes next as they are, and a later restore brings them back too', () => {
    const size = SAVED_TILE + 4
    const levels = [{ channels: 2, size, betaChannels: 1 }]
    const n = size * size
    const own = [{ gamma: Float32Array.from({ length: 2 * n }, (_, k) => k), beta: Float32Array.from({ length: n }, (_, k) => -k), height: size, width: size }]
    const copy = [Float32Array.from(own[0].gamma), Float32Array.from(own[0].beta)]
    const live = new LiveModulations(levels, own)
    // written over a box reaching into two tiles
    const box = { x0: SAVED_TILE - 3, y0: 2, x1: SAVED_TILE + 2, y1: 5 }
    const cellsIn = (box.x1 - box.x0) * (box.y1 - box.y0)
    live.write(0, box, { gamma: new Float32Array(2 * cellsIn).fill(7), beta: new Float32Array(cellsIn).fill(8), height: box.y1 - box.y0, width: box.x1 - box.x0 }, 0, 0)
    // the next write's cells: a row of the box, across both tiles
    const next = new Uint8Array(n)
    for (let x = box.x0; x < box.x1; x++) next[3 * size + x] = 1
    live.restore([next])
    expect(live.state).toBeNull()
    for (let k = 0; k < n; k++) {
      expect(own[0].gamma[k]).toBe(next[k] ? 7 : copy[0][k])
      expect(own[0].gamma[n + k]).toBe(next[k] ? 7 : copy[0][n + k])
      expect(own[0].beta[k]).toBe(next[k] ? 8 : copy[1][k])
    }
    // not written after all: the tiles still hold them as written, so a restore copies them back
    live.restore()
    expect([own[0].gamma, own[0].beta]).toEqual(copy)
    expect(live.state).toEqual(ownState(1))
  })

  it('LiveModulations keeps a decoded image only while its tensors stay as they were: every write drops it', () => {
    // four tiles: one is within the share of bytes a reference's values may take
    const size = 2 * SAVED_TILE
    const levels = [{ channels: 2, size }]
    const own = [{ gamma: new Float32Array(2 * size * size).fill(1), beta: new Float32Array(2 * size * size).fill(2), height: size, width: size }]
    const live = new LiveModulations(levels, own)
    const canvas = { gamma: new Float32Array(32).fill(5), beta: new Float32Array(32).fill(6), height: 4, width: 4 }
    const image = new Float32Array(3)
    const some = new Uint8Array(size * size).fill(1, 0, 2)
    live.referenceFor('a reference')
    const writes: [string, () => void][] = [
      ['write', () => live.write(0, { x0: 0, y0: 0, x1: 2, y1: 2 }, canvas, 0, 0)],
      ['scale', () => live.scale([0.5])],
      ['restoreCells', () => live.restoreCells(0, some)],
      ['writeReference', () => (live.keepReference(0, some, 0, 0, 0.5), live.writeReference(0, some, 0, 0, 0.5))],
      ['restore', () => live.restore()],
    ]
    for (const [name, change] of writes) {
      live.keepDecoded(image, live.version)
      expect(live.decoded, name).toBe(image)
      const version = live.version
      change()
      expect(live.version, name).toBeGreaterThan(version)
      expect(live.decoded, name).toBeNull()
      // an image of the tensors as they were before is not kept for them as they are
      live.keepDecoded(image, version)
      expect(live.decoded, name).toBeNull()
    }
    // keepReference only reads the tensors
    live.keepDecoded(image, live.version)
    live.keepReference(0, some, 0, 0, 1)
    expect(live.decoded).toBe(image)
    expect(live.referenceBytes).toBeGreaterThan(0)
    expect(live.bytes).toBe(4 * size * size * 4 + live.savedBytes + live.referenceBytes + image.byteLength)
  })

  it('LiveModulations.restoreCells gives the crop\'s own values back on the cells asked for, and nowhere else', () => {
    const size = SAVED_TILE + 4
    const levels = [{ channels: 2, size, betaChannels: 1 }]
    const own = [{ gamma: Float32Array.from({ length: 2 * size * size }, (_, k) => k), beta: Float32Array.from({ length: size * size }, (_, k) => -k), height: size, width: size }]
    const copy = [Float32Array.from(own[0].gamma), Float32Array.from(own[0].beta)]
    const live = new LiveModulations(levels, own)
    const box = { x0: 2, y0: 2, x1: size - 1, y1: size - 1 }
    const n = (box.x1 - box.x0) * (box.y1 - box.y0)
    live.write(0, box, { gamma: new Float32Array(2 * n).fill(500), beta: new Float32Array(n).fill(500), height: box.y1 - box.y0, width: box.x1 - box.x0 }, 0, 0)
    // a run of cells across the tiles' border, and one cell never written
    const cells = new Uint8Array(size * size)
    for (let x = SAVED_TILE - 2; x < SAVED_TILE + 2; x++) cells[3 * size + x] = 1
    cells[0] = 1
    live.restoreCells(0, cells)
    for (let k = 0; k < size * size; k++) {
      const [x, y] = [k % size, Math.floor(k / size)]
      const written = x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1
      const want = written && !cells[k] ? 500 : copy[0][k]
      expect(own[0].gamma[k], `${x}, ${y}`).toBe(want)
      expect(own[0].gamma[size * size + k], `${x}, ${y}`).toBe(written && !cells[k] ? 500 : copy[0][size * size + k])
      expect(own[0].beta[k], `${x}, ${y}`).toBe(written && !cells[k] ? 500 : copy[1][k])
    }
  })

  // 20 cells: the reference's tiles as wide as the saved ones; 136: 17 wide, across two or three saved tiles
  it.each([2 * SAVED_TILE + 4, 136])('LiveModulations keeps a reference\'s values on its own cells, writes them at any offset and strength, and drops them for another reference (%i cells a side)', (size) => {
    const levels = [{ channels: 2, size, betaChannels: 1 }]
    const own = [{ gamma: Float32Array.from({ length: 2 * size * size }, (_, k) => k), beta: Float32Array.from({ length: size * size }, (_, k) => -k), height: size, width: size }]
    const copy = [Float32Array.from(own[0].gamma), Float32Array.from(own[0].beta)]
    const live = new LiveModulations(levels, own)
    const box = { x0: 1, y0: 1, x1: size - 1, y1: 6 }
    const n = (box.x1 - box.x0) * (box.y1 - box.y0)
    const canvas = { gamma: Float32Array.from({ length: 2 * n }, (_, k) => 1000 + 2 * k), beta: Float32Array.from({ length: n }, (_, k) => 3000 + 2 * k), height: box.y1 - box.y0, width: box.x1 - box.x0 }
    // a row of cells mixed at strength 0.5 from the reference's cells 3 to the left and one down (offset 3, -1), across the tiles' borders
    const cells = new Uint8Array(size * size)
    for (let x = 4; x < size - 2; x++) cells[3 * size + x] = 1
    live.write(0, box, canvas, 0, 0)
    const written = [Float32Array.from(own[0].gamma), Float32Array.from(own[0].beta)]
    // nothing is kept without a reference, nor from values written at a strength below MIN_KEEP_STRENGTH
    live.keepReference(0, cells, 3, -1, 0.5)
    expect(live.referenceKept(0, cells, 3, -1)).toBeNull()
    live.referenceFor('reference a')
    live.keepReference(0, cells, 3, -1, MIN_KEEP_STRENGTH / 2)
    expect(live.referenceKept(0, cells, 3, -1)).toBeNull()
    live.keepReference(0, cells, 3, -1, 0.5)
    expect(live.referenceBytes).toBeGreaterThan(0)
    expect(live.bytes).toBe(copy.flat().reduce((sum, a) => sum + a.byteLength, 0) + live.savedBytes + live.referenceBytes)
    // asked for a row past the kept one: only the kept cells come back
    const asked = Uint8Array.from(cells)
    for (let x = 4; x < size - 2; x++) asked[4 * size + x] = 1
    expect(live.referenceKept(0, asked, 3, -1)).toEqual(cells)
    // the reference's value of a plane value at cell k written at the offset (3, -1): own + (written - own) / 0.5
    const referenceValue = (plane: number, k: number) => {
      const [ownPlane, writtenPlane] = plane < 2 ? [copy[0], written[0]] : [copy[1], written[1]]
      const at = (plane % 2) * size * size + k
      return ownPlane[at] + (writtenPlane[at] - ownPlane[at]) * 2
    }
    // written back after a restore at the same offset and strength: the values written before, the crop's own elsewhere
    live.restore()
    live.writeReference(0, cells, 3, -1, 0.5)
    for (let k = 0; k < size * size; k++) {
      expect(own[0].gamma[k]).toBe(cells[k] ? written[0][k] : copy[0][k])
      expect(own[0].gamma[size * size + k]).toBe(cells[k] ? written[0][size * size + k] : copy[0][size * size + k])
      expect(own[0].beta[k]).toBe(cells[k] ? written[1][k] : copy[1][k])
    }
    // at another offset, (1, 0): the cells two to the left and one up read the same reference cells
    live.restore()
    const row = new Uint8Array(size * size).fill(1, 4 * size, 5 * size)
    const moved = new Uint8Array(size * size).fill(1, 4 * size + 2, 5 * size - 4)
    expect(live.referenceKept(0, row, 1, 0)).toEqual(moved)
    live.writeReference(0, moved, 1, 0, 1)
    for (let k = 0; k < size * size; k++) {
      // cell k reads the reference's cell k - 1, kept from the crop's cell k - 1 + (3, -1)
      const from = k - 1 + 3 - size
      expect(own[0].gamma[k]).toBe(moved[k] ? referenceValue(0, from) : copy[0][k])
      expect(own[0].gamma[size * size + k]).toBe(moved[k] ? referenceValue(1, from) : copy[0][size * size + k])
      expect(own[0].beta[k]).toBe(moved[k] ? referenceValue(2, from) : copy[1][k])
    }
    // and at strength 0.25 there: a quarter of the way from the crop's own
    live.writeReference(0, moved, 1, 0, 0.25)
    for (let k = 0; k < size * size; k++) if (moved[k]) expect(own[0].gamma[k]).toBe(copy[0][k] + 0.25 * (referenceValue(0, k + 2 - size) - copy[0][k]))
    // what was written counts as written: a restore brings the crop's own values again
    live.restore()
    expect([own[0].gamma, own[0].beta]).toEqual(copy)
    // the same reference keeps them; another, or none, drops them
    live.referenceFor('reference a')
    expect(live.referenceKept(0, cells, 3, -1)).toEqual(cells)
    live.referenceFor('reference b')
    expect(live.referenceKept(0, cells, 3, -1)).toBeNull()
    expect(live.referenceBytes).toBe(0)
    // a cell never written has no values of the reference to give
    const unwritten = new Uint8Array(size * size)
    unwritten[(size - 1) * size + size - 1] = 1
    expect(() => live.keepReference(0, unwritten, 0, 0, 1)).toThrow(/was not written/)
    // nor a cell whose reference cell is past the grid
    expect(() => live.keepReference(0, cells, size, 0, 1)).toThrow(/reads no cell of the reference/)
    // at most MIXED_SHARE of the tensors' bytes are kept: the whole grid is more
    const all = new Uint8Array(size * size).fill(1)
    live.write(0, { x0: 0, y0: 0, x1: size, y1: size }, { gamma: new Float32Array(2 * size * size), beta: new Float32Array(size * size), height: size, width: size }, 0, 0)
    live.keepReference(0, all, 0, 0, 1)
    const tensors = copy.flat().reduce((sum, a) => sum + a.byteLength, 0)
    expect(live.referenceBytes).toBeGreaterThan(0)
    expect(live.referenceBytes).toBeLessThanOrEqual(MIXED_SHARE * tensors)
    expect(live.referenceKept(0, all, 0, 0)!.reduce((a, b) => a + b, 0)).toBeLessThan(size * size)
  })

  it('keepMixedAt: a level keeps a reference\'s values where a cell costs a hundred thousand multiply-adds or more to recompute', () => {
    // the released 256 px architecture: style channels, and gamma/beta channels per level (8, 16, 32, 64, 128, 256 px; two layers each)
    const styles = [512, 512, 512, 512, 512, 512, 512, 512, 256, 256, 128, 128].map((channels) => ({ channels }))
    const mods = [512, 512, 512, 512, 512, 512, 512, 512, 256, 256, 128, 128].map((channels, i) => ({ channels, size: 8 << (i >> 1), ...(i === 11 ? { betaChannels: 3 } : {}) }))
    // every level: the last one's 9 x 128 x (128 + 3) = 151 k a cell is the least
    expect(keepMixedAt(styles, mods)).toEqual(Array(12).fill(true))
    expect(keepMixedAt(styles, mods, 1e6)).toEqual([...Array(10).fill(true), false, false])
    // the bundled 64 px model: 64 style channels, 64 + 64 gamma/beta (74 k a cell): none
    const small = Array.from({ length: 8 }, (_, i) => ({ channels: 64, size: 8 << (i >> 1) }))
    expect(keepMixedAt(small, small)).toEqual(Array(8).fill(false))
    expect(keepMixedAt(small, small, 0)).toEqual(Array(8).fill(true))
  })

  it('fullyMixed: the cells whose neighbours are all mixed and inside the grid; boxCells, within and without', () => {
    const r = 6
    const mixed = cellMap(r, [[0, 0], [1, 0], [2, 0], [0, 1], [1, 1], [2, 1], [0, 2], [1, 2], [2, 2], [3, 0], [3, 1], [3, 2], [3, 3], [5, 5]])
    // (1, 1) and (2, 1) read only mixed cells; (0, 0) reads past the grid (zeros, where the
    // reference's cell would read its neighbours), (2, 2) an unmixed one, (5, 5) both
    expect(setCells(fullyMixed(mixed, r)!, r)).toEqual([[1, 1], [2, 1]])
    expect(fullyMixed(cellMap(r, [[3, 3]]), r)).toBeNull()
    expect(fullyMixed(new Uint8Array(r * r).fill(1), r)!.reduce((a, b) => a + b, 0)).toBe((r - 2) * (r - 2))
    expect(fullyMixed(null, r)).toBeNull()
    const boxed = boxCells([{ x0: 1, y0: 1, x1: 3, y1: 2 }, { x0: 4, y0: 4, x1: 5, y1: 6 }], r)!
    expect(setCells(boxed, r)).toEqual([[1, 1], [2, 1], [4, 4], [4, 5]])
    expect(boxCells([], r)).toBeNull()
    expect(setCells(within(boxed, mixed)!, r)).toEqual([[1, 1], [2, 1]])
    expect(within(boxed, null)).toBeNull()
    expect(setCells(without(boxed, mixed)!, r)).toEqual([[4, 4], [4, 5]])
    expect(without(boxed, boxed)).toBeNull()
    expect(setCells(without(boxed, null)!, r)).toEqual(setCells(boxed, r))
  })

  it('eitherCells: per level, the cells set in either map, as new maps', () => {
    const r = 4
    const a = cellMap(r, [[0, 0], [1, 2]])
    const b = cellMap(r, [[1, 2], [3, 3]])
    const out = eitherCells([a, a, null, null], [b, null, b, null])
    expect(setCells(out[0]!, r)).toEqual([[0, 0], [1, 2], [3, 3]])
    expect(setCells(out[1]!, r)).toEqual(setCells(a, r))
    expect(setCells(out[2]!, r)).toEqual(setCells(b, r))
    expect(out[3]).toBeNull()
    // copies: the maps given are left as they were
    expect(out[1]).not.toBe(a)
    expect(out[2]).not.toBe(b)
    expect(setCells(a, r)).toEqual([[0, 0], [1, 2]])
  })

  it('LiveModulations.scale moves the written cells toward or away from the crop\'s own by a ratio per level', () => {
    const levels = [
      { channels: 1, size: 4 },
      { channels: 2, size: SAVED_TILE + 3, betaChannels: 1 },
    ]
    const size = levels[1].size
    const own = levels.map((l, i) => ({
      gamma: Float32Array.from({ length: l.channels * l.size * l.size }, (_, k) => 10 * i + k),
      beta: Float32Array.from({ length: (l.betaChannels ?? l.channels) * l.size * l.size }, (_, k) => -k),
      height: l.size,
      width: l.size,
    }))
    const copies = own.map((m) => [Float32Array.from(m.gamma), Float32Array.from(m.beta)])
    const live = new LiveModulations(levels, own)
    // a 2 x 2 box across four tiles of level 1 (two rows of tiles, the right and lower ones 3 cells
    // wide or high), written with 1000s
    const canvas = { gamma: new Float32Array(2 * 4).fill(1000), beta: new Float32Array(4).fill(1000), height: 2, width: 2 }
    const box = { x0: SAVED_TILE - 1, y0: SAVED_TILE - 1, x1: SAVED_TILE + 1, y1: SAVED_TILE + 1 }
    live.write(1, box, canvas, 0, 0)
    live.scale([3, 0.25])
    own[1].gamma.forEach((v, k) => {
      const [x, y] = [k % size, Math.floor((k % (size * size)) / size)]
      const inside = x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1
      expect(v).toBeCloseTo(inside ? copies[1][0][k] + 0.25 * (1000 - copies[1][0][k]) : copies[1][0][k], 4)
    })
    own[1].beta.forEach((v, k) => {
      const [x, y] = [k % size, Math.floor(k / size)]
      const inside = x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1
      expect(v).toBeCloseTo(inside ? copies[1][1][k] + 0.25 * (1000 - copies[1][1][k]) : copies[1][1][k], 4)
    })
    // level 0 was never written: its ratio changes nothing
    expect([own[0].gamma, own[0].beta]).toEqual(copies[0])
    // a restore still brings the crop's own values back
    live.restore()
    expect(own.map((m) => [m.gamma, m.beta])).toEqual(copies)
  })

  it('LiveModulations on a level held as halves: writes, scales and restores halves, and scales only while the values stay within HALF_SCALE_STEPS of exact', () => {
    const levels = [
      { channels: 1, size: 4 },
      { channels: 2, size: SAVED_TILE + 3, betaChannels: 1 },
    ]
    const size = levels[1].size
    const gamma1 = Float32Array.from({ length: 2 * size * size }, (_, k) => 1 + k / 64)
    const own = [
      { gamma: new Float32Array(16), beta: new Float32Array(16), height: 4, width: 4 },
      { gamma: toHalf(gamma1), beta: toHalf(Float32Array.from({ length: size * size }, (_, k) => -k / 8)), height: size, width: size },
    ]
    const copies = own.map((m) => [m.gamma.slice(), m.beta.slice()])
    const live = new LiveModulations(levels, own)
    const canvas = { gamma: toHalf(new Float32Array(2 * 4).fill(3.3)), beta: toHalf(new Float32Array(4).fill(3.3)), height: 2, width: 2 }
    const box = { x0: SAVED_TILE - 1, y0: SAVED_TILE - 1, x1: SAVED_TILE + 1, y1: SAVED_TILE + 1 }
    live.write(1, box, canvas, 0, 0)
    expect(own[1].gamma).toBeInstanceOf(Uint16Array)
    // written afresh: within half a step; a scale by 0.5 adds a rounding (0.5 x 0.5 + 0.5), a
    // scale by 4 takes that to 4 x 0.75 + 0.5 = 3.5 steps, past HALF_SCALE_STEPS: refused
    expect(live.scales([20, 0.5])).toBe(true)
    expect(live.scales([1, 5])).toBe(true)
    expect(live.scales([1, 6])).toBe(false)
    live.scale([20, 0.5])
    const inside = (k: number) => {
      const [x, y] = [k % size, Math.floor((k % (size * size)) / size)]
      return x >= box.x0 && x < box.x1 && y >= box.y0 && y < box.y1
    }
    const halves = own[1].gamma as Uint16Array
    halves.forEach((h, k) => {
      const want = inside(k) ? gamma1[k] + 0.5 * (fromHalf(canvas.gamma)[0] - gamma1[k]) : fromHalf(copies[1][0] as Uint16Array)[k]
      expect(h, `cell ${k}`).toBe(halfBits(Math.fround(want)))
    })
    expect(live.scales([1, 4])).toBe(false)
    expect(live.scales([1, 3])).toBe(true)
    // a restore brings the crop's own halves back, and what is written after it is fresh again
    live.restore()
    expect(own.map((m) => [m.gamma, m.beta])).toEqual(copies)
    expect(live.scales([1, 5])).toBe(true)

    // the reference's values are kept from halves only where the strength is MIN_KEEP_STRENGTH_HALVES
    // or more (below it the division magnifies their rounding), on a float32 level from MIN_KEEP_STRENGTH
    const cells = new Uint8Array(size * size)
    for (let y = box.y0; y < box.y1; y++) cells.fill(1, y * size + box.x0, y * size + box.x1)
    live.referenceFor('a reference')
    const level0 = new Uint8Array(16).fill(1, 5, 7)
    live.write(0, { x0: 1, y0: 1, x1: 3, y1: 2 }, { gamma: new Float32Array(2).fill(7), beta: new Float32Array(2).fill(7), height: 1, width: 2 }, 0, 0)
    live.keepReference(0, level0, 0, 0, MIN_KEEP_STRENGTH_HALVES / 2)
    expect(live.referenceKept(0, level0, 0, 0)).toEqual(level0)
    live.write(1, box, canvas, 0, 0)
    live.keepReference(1, cells, 0, 0, MIN_KEEP_STRENGTH_HALVES / 2)
    expect(live.referenceKept(1, cells, 0, 0)).toBeNull()
    // (within MIXED_SHARE of these tiny tensors' bytes: some of the cells)
    live.keepReference(1, cells, 0, 0, MIN_KEEP_STRENGTH_HALVES)
    expect(live.referenceKept(1, cells, 0, 0)).not.toBeNull()
    // values kept at 1/2 are 1.5 steps off, written from them up to 2: a later scale starts from there
    live.restore()
    live.writeReference(1, live.referenceKept(1, cells, 0, 0)!, 0, 0, 1)
    expect(live.scales([1, 1.25])).toBe(true)
    expect(live.scales([1, 1.5])).toBe(false)

    // kept at 1 from halves and written back at 1: the very halves that were written, bit for bit
    live.restore()
    live.referenceFor('another reference')
    live.write(1, box, { gamma: toHalf(Float32Array.from({ length: 2 * 4 }, (_, k) => 1.1 + k / 7)), beta: toHalf(Float32Array.from({ length: 4 }, (_, k) => -2.2 - k / 3)), height: 2, width: 2 }, 0, 0)
    const written = [(own[1].gamma as Uint16Array).slice(), (own[1].beta as Uint16Array).slice()]
    live.keepReference(1, cells, 0, 0, 1)
    const kept = live.referenceKept(1, cells, 0, 0)!
    expect(kept.some(Boolean)).toBe(true)
    live.restore()
    live.writeReference(1, kept, 0, 0, 1)
    for (let k = 0; k < size * size; k++) {
      for (const c of [0, 1]) expect(own[1].gamma[c * size * size + k], `cell ${k}`).toBe((kept[k] ? written[0] : copies[1][0])[c * size * size + k])
      expect(own[1].beta[k], `cell ${k}`).toBe((kept[k] ? written[1] : copies[1][1])[k])
    }
  })

  it('scaleRatios: one layer whose strength or level factors alone changed scales; anything else does not', () => {
    const weights = (on: number) => [Float32Array.from([1, on, 0, 0]), Float32Array.from([0, 1, 1, on])]
    const state = (strength: number, factors = [1, 1], on = 1, sources = 'ref:0,0'): MixState => ({ sources, strengths: [strength], factors, weights: weights(on).map((w) => [w]), offsets: [{ dx: 0, dy: 0 }] })
    expect(scaleRatios(state(0.8), state(0.4))).toEqual([0.5, 0.5])
    expect(scaleRatios(state(1, [0.5, 1]), state(1, [1, 0.25]))).toEqual([2, 0.25])
    // a level the layer leaves alone stays so (ratio 1), but cannot be scaled into a change
    expect(scaleRatios(state(0.5, [0, 1]), state(1, [0, 1]))).toEqual([1, 2])
    expect(scaleRatios(state(0.5, [0, 1]), state(0.5, [0.5, 1]))).toBeNull()
    // the same edit, other weights (a mask changed), another reference or offset: not a scaling
    expect(scaleRatios(state(0.8), state(0.8))).toBeNull()
    expect(scaleRatios(state(0.8), state(0.4, [1, 1], 0))).toBeNull()
    expect(scaleRatios(state(0.8), state(0.4, [1, 1], 1, 'ref:2,0'))).toBeNull()
    // two layers, the crop's own state, or an untracked (W) one: not a scaling
    const two = { ...state(0.8), sources: 'a:0,0|b:0,0', strengths: [0.8, 1], weights: weights(1).map((w) => [w, w]), offsets: [{ dx: 0, dy: 0 }, { dx: 0, dy: 0 }] }
    expect(scaleRatios(two, { ...two, strengths: [0.4, 1] })).toBeNull()
    expect(scaleRatios(ownState(2), state(0.4))).toBeNull()
    expect(scaleRatios(null, state(0.4))).toBeNull()
  })

  it('sameAsEarlier makes a result once for items whose inputs are the same objects, and shares it', () => {
    const a = new Float32Array(4)
    const b = new Float32Array(4)
    const made: number[] = []
    const items = [{ size: 8, w: a }, { size: 8, w: a }, { size: 16, w: a }, { size: 8, w: b }, { size: 16, w: a }]
    const out = sameAsEarlier(items, (item) => [item.size, item.w], (item, i) => {
      made.push(i)
      return { size: item.size }
    })
    // equal values in other arrays (b) are not the same input: only identity counts
    expect(made).toEqual([0, 2, 3])
    expect(out[1]).toBe(out[0])
    expect(out[4]).toBe(out[2])
    expect(out[3]).not.toBe(out[0])
    expect(out.map((o) => o.size)).toEqual([8, 8, 16, 8, 16])
    expect(sameAsEarlier([1, 2], () => [], (v) => v * 10)).toEqual([10, 10])
  })

  it('padZero puts a border of zeros around each plane', () => {
    expect(Array.from(padZero(Float32Array.from([1, 2, 3, 4]), 1, 1, 2, 2, 1))).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    // halves come out as their float32 values
    expect(Array.from(padZero(toHalf(Float32Array.from([1, 2.5, -3, 0.1])), 1, 1, 2, 2, 1))).toEqual(Array.from(padZero(fromHalf(toHalf(Float32Array.from([1, 2.5, -3, 0.1]))), 1, 1, 2, 2, 1)))
  })
})

// The incremental edit path against a whole decode of the same edit: the mixing rules on whole
// tensors (mixing.ts) and the folder's own synthesis/decoder graphs, run apart from the engine.
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Edit, EditLayer, ImageInfo, Mask, ModelInfo, RawImage } from './api.js'
import { Engine } from './engine.js'
import { changedBoxes, changedShare, diffBox, type GammaBetaPatch, grow, levelChange, MAX_CHANGE_BOXES, swapBox, withPatches } from './incremental.js'
import { fromHalf, halfBits, toHalf } from './half.js'
import { tensorToImage } from './images.js'
import { shiftMask } from './masks.js'
import { type Box, type MixLayer, mixW, mixWPlus } from './mixing.js'
import { type Modulation, type ModelRuntime, padZero } from './model.js'
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

// every edit once through the patched windows (share 1) and once with gamma/beta computed whole (share 0)
describe.each([
  ['the small generator, patched windows', randomTestModelDir, 1],
  ['the full generator, patched windows', randomWideTestModelDir, 1],
  ['the small generator, whole modulation', randomTestModelDir, 0],
])('incremental edits on %s equal a whole decode', (_, modelDir, wholeModulationShare) => {
  let engine: Engine
  let info: ModelInfo
  let dir: string
  let photo: ImageInfo
  const refs: ImageInfo[] = []
  let synthesis: ort.InferenceSession
  let decoder: ort.InferenceSession

  beforeAll(async () => {
    dir = await modelDir()
    engine = new Engine({ wholeModulationShare })
    info = (await engine.loadModel(dir)).model
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

  it.skipIf(wholeModulationShare === 0)('recomputes changes apart as boxes of their own: a modulation run for each set of boxes, on fewer cells than one box around them', async () => {
    const runtime = engine.inspect.runtime!
    const cells: number[] = []
    const modulate = runtime.modulate.bind(runtime)
    runtime.modulate = async (windows, n) => {
      cells.push(windows.reduce((sum, w) => sum + (w.height - 2) * (w.width - 2), 0))
      return modulate(windows, n)
    }
    try {
      await incremental(cases.find((c) => c.name.startsWith('three layers apart'))!)
    } finally {
      runtime.modulate = modulate
    }
    expect(cells).toHaveLength(3)
    // at the finest level alone one box around both eyes and the mouth would be 50 x 40 cells
    expect(cells.reduce((a, b) => a + b, 0)).toBeLessThan(50 * 40)
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
  it('diffBox finds the cells where any channel differs', () => {
    const a = new Float32Array(2 * 5 * 5)
    const b = Float32Array.from(a)
    expect(diffBox(a, b, 2, 5)).toBeNull()
    b[1 * 25 + 2 * 5 + 4] = 1 // channel 1, y 2, x 4
    b[0 * 25 + 1 * 5 + 1] = -1 // channel 0, y 1, x 1
    expect(diffBox(a, b, 2, 5)).toEqual({ x0: 1, y0: 1, x1: 5, y1: 3 })
  })

  it('diffBox against halves finds the cells whose values round to other halves', () => {
    const a = Float32Array.from({ length: 2 * 4 * 4 }, (_, i) => 0.1 + i / 7)
    const halves = toHalf(a)
    expect(diffBox(a, halves, 2, 4)).toBeNull()
    const b = Float32Array.from(a)
    // channel 1, y 3, x 0 moves to another half; channel 0, y 0, x 3 by far less than a half's step
    b[16 + 12] += 0.25
    b[3] *= 1 + 2 ** -16
    expect(halfBits(b[3])).toBe(halves[3])
    expect(diffBox(b, halves, 2, 4)).toEqual({ x0: 0, y0: 3, x1: 1, y1: 4 })
  })

  it('levelChange recomputes one cell further, from a window one more cell wide (zero past the grid)', () => {
    const level = { channels: 1, size: 4 }
    const asked: { x0: number; y0: number; x1: number; y1: number }[] = []
    const change = levelChange({ x0: 0, y0: 1, x1: 1, y1: 2 }, level, (box) => {
      asked.push(box)
      return new Float32Array((box.x1 - box.x0) * (box.y1 - box.y0))
    })
    expect(change.out).toEqual({ x0: 0, y0: 0, x1: 2, y1: 3 })
    expect(asked).toEqual([{ x0: -1, y0: -1, x1: 3, y1: 4 }])
    expect([change.window.width, change.window.height]).toEqual([4, 5])
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

  it('changedBoxes keeps changes apart from each other as boxes of their own, each grown by one cell', () => {
    const r = 32
    // two eyes and a mouth
    const eyes = cellMap(r, [[4, 5], [5, 5], [6, 6], [24, 5], [25, 6], [14, 20], [15, 20], [16, 21], [17, 21]])
    const boxes = changedBoxes(eyes, r)
    expect(boxes).toHaveLength(3)
    expect(boxes).toEqual(
      expect.arrayContaining([
        { x0: 3, y0: 4, x1: 8, y1: 8 },
        { x0: 23, y0: 4, x1: 27, y1: 8 },
        { x0: 13, y0: 19, x1: 19, y1: 23 },
      ]),
    )
    expect(covered(eyes, r, boxes)).toBe(true)
    // clipped at the grid's edge; none for no change
    expect(changedBoxes(cellMap(r, [[0, 31]]), r)).toEqual([{ x0: 0, y0: 30, x1: 2, y1: 32 }])
    expect(changedBoxes(new Uint8Array(r * r), r)).toEqual([])
  })

  it('changedBoxes merges boxes whose union is no larger than the two, and past the most, those whose union adds least', () => {
    const r = 32
    // grown boxes [2, 5) and [4, 7) of the same rows: their union (5 x 3) is smaller than the two (3 x 3 twice)
    expect(changedBoxes(cellMap(r, [[3, 10], [5, 10]]), r)).toEqual([{ x0: 2, y0: 9, x1: 7, y1: 12 }])
    // five dots apart, at most four boxes: the two closest go together (their union adds 3 cells);
    // at most three: then that box and the dot on its row (57 cells, against 69 for two corners)
    const dots = cellMap(r, [[2, 2], [6, 2], [28, 2], [2, 28], [28, 28]])
    const corners = [
      { x0: 1, y0: 27, x1: 4, y1: 30 },
      { x0: 27, y0: 27, x1: 30, y1: 30 },
    ]
    expect(changedBoxes(dots, r, 4)).toEqual(expect.arrayContaining([...corners, { x0: 27, y0: 1, x1: 30, y1: 4 }, { x0: 1, y0: 1, x1: 8, y1: 4 }]))
    const three = changedBoxes(dots, r, 3)
    expect(three).toHaveLength(3)
    expect(three).toEqual(expect.arrayContaining([...corners, { x0: 1, y0: 1, x1: 30, y1: 4 }]))
    expect(covered(dots, r, three)).toBe(true)
    expect(covered(dots, r, changedBoxes(dots, r, 1))).toBe(true)
    expect(changedBoxes(dots, r, 1)).toHaveLength(1)
  })

  it('changedBoxes covers every changed cell with its neighbours, whatever the map (random maps, and one too speckled to keep apart)', () => {
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
    for (let t = 0; t < 40; t++) {
      const r = 8 + Math.floor(random() * 40)
      const density = random() * 0.1
      const map = Uint8Array.from({ length: r * r }, () => (random() < density ? 1 : 0))
      const boxes = changedBoxes(map, r)
      expect(boxes.length).toBeLessThanOrEqual(MAX_CHANGE_BOXES)
      expect(covered(map, r, boxes)).toBe(true)
      for (const b of boxes) expect(b.x0 >= 0 && b.y0 >= 0 && b.x1 <= r && b.y1 <= r && b.x1 > b.x0 && b.y1 > b.y0).toBe(true)
    }
    // a dot every fourth cell: far more groups than are worth telling apart, one box around them all
    const speckled = Uint8Array.from({ length: 64 * 64 }, (_, k) => (k % 4 === 0 && Math.floor(k / 64) % 4 === 0 ? 1 : 0))
    expect(changedBoxes(speckled, 64)).toEqual([{ x0: 0, y0: 0, x1: 62, y1: 62 }])
  })

  it('swapBox swaps a box of planes with the values, and a second swap restores both', () => {
    for (const r of [3, 70]) {
      const box = { x0: 1, y0: 0, x1: r, y1: 2 }
      const n = 2 * (r - 1) * 2
      const t = Float32Array.from({ length: 2 * r * r }, (_, i) => i)
      const before = Float32Array.from(t)
      const values = Float32Array.from({ length: n }, (_, i) => -1 - i)
      swapBox(t, 2, r, box, values)
      // the box holds the values plane by plane and row by row, the values what the box held; nothing else moved
      const inBox = (i: number) => i % r >= 1 && Math.floor((i % (r * r)) / r) < 2
      const held = Array.from(before).filter((_, i) => inBox(i))
      expect(Array.from(values)).toEqual(held)
      expect(Array.from(t).filter((_, i) => inBox(i))).toEqual(Array.from({ length: n }, (_, i) => -1 - i))
      expect(Array.from(t).filter((_, i) => !inBox(i))).toEqual(Array.from(before).filter((_, i) => !inBox(i)))
      swapBox(t, 2, r, box, values)
      expect(t).toEqual(before)
      expect(Array.from(values)).toEqual(Array.from({ length: n }, (_, i) => -1 - i))
    }
  })

  it('withPatches lays patch sets over the photo in order for the run, then restores the photo and the patches', async () => {
    const model = { manifest: { modulations: [{ channels: 1, size: 4 }] } } as unknown as ModelRuntime
    const plane = () => Float32Array.from({ length: 16 }, (_, i) => i)
    const photo: Modulation[] = [{ gamma: plane(), beta: plane().map((v) => 100 + v), height: 4, width: 4 }]
    const first: GammaBetaPatch = { out: { x0: 0, y0: 0, x1: 2, y1: 2 }, gamma: Float32Array.from([-1, -2, -3, -4]), beta: Float32Array.from([-5, -6, -7, -8]) }
    // overlaps the first in cell (1, 1)
    const second: GammaBetaPatch = { out: { x0: 1, y0: 1, x1: 3, y1: 2 }, gamma: Float32Array.from([-9, -10]), beta: Float32Array.from([-11, -12]) }
    const copies = [first, second].map((p) => [Float32Array.from(p.gamma), Float32Array.from(p.beta)])
    const seen = await withPatches(model, photo, [[first], [second]], async (patched) => [Array.from(patched[0].gamma), Array.from(patched[0].beta)])
    expect(seen[0]).toEqual([-1, -2, 2, 3, -3, -9, -10, 7, 8, 9, 10, 11, 12, 13, 14, 15])
    expect(seen[1].slice(0, 8)).toEqual([-5, -6, 102, 103, -7, -11, -12, 107])
    expect(photo[0].gamma).toEqual(plane())
    expect(photo[0].beta).toEqual(plane().map((v) => 100 + v))
    expect([first, second].map((p) => [p.gamma, p.beta])).toEqual(copies)
    // restored when the run fails too
    await expect(withPatches(model, photo, [[first, null], [second]], () => Promise.reject(new Error('run failed')))).rejects.toThrow('run failed')
    expect(photo[0].gamma).toEqual(plane())
    expect([first, second].map((p) => [p.gamma, p.beta])).toEqual(copies)
  })

  it('padZero puts a border of zeros around each plane', () => {
    expect(Array.from(padZero(Float32Array.from([1, 2, 3, 4]), 1, 1, 2, 2, 1))).toEqual([0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0])
    // halves come out as their float32 values
    expect(Array.from(padZero(toHalf(Float32Array.from([1, 2.5, -3, 0.1])), 1, 1, 2, 2, 1))).toEqual(Array.from(padZero(fromHalf(toHalf(Float32Array.from([1, 2.5, -3, 0.1]))), 1, 1, 2, 2, 1)))
  })
})

// Draft renders (the live preview while a stroke is painted) against the exact render of the
// same edit, on the bundled model (real weights) and a random-weight full generator.
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImageInfo, Mask, RawImage } from './api.js'
import { benchPhoto } from './benchInputs.js'
import { DRAFT_COARSE_TOLERANCE } from './draft.js'
import { Engine } from './engine.js'
import { EngineError, engineErrorCodes } from './errors.js'
import { randomWideTestModelDir, testModelDir } from './testing/models.js'
import { sharedDataDir } from '../testing/utkface.js'

const SIDE = 512

function square(x0: number, y0: number, size: number): Mask {
  const data = new Uint8Array(SIDE * SIDE)
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) data[y * SIDE + x] = 255
  return { width: SIDE, height: SIDE, data }
}

/** `mask` with a round dab of the brush at (cx, cy). */
function dab(mask: Mask, cx: number, cy: number, r: number): Mask {
  const data = mask.data.slice()
  for (let y = cy - r; y < cy + r; y++) for (let x = cx - r; x < cx + r; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * SIDE + x] = 255
  return { ...mask, data }
}

/** PSNR of b against a (RGB, 8 bit) over the pixels `where` picks (model grid), and the mean absolute difference there. */
function compare(a: RawImage, b: RawImage, where: (x: number, y: number) => boolean = () => true): { psnr: number; mean: number } {
  let se = 0
  let abs = 0
  let n = 0
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!where(x, y)) continue
      for (let c = 0; c < 3; c++) {
        const d = a.data[(y * a.width + x) * a.channels + c] - b.data[(y * b.width + x) * b.channels + c]
        se += d * d
        abs += Math.abs(d)
        n++
      }
    }
  }
  return { psnr: se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n) / se), mean: abs / n }
}

/** Whether the mask covers the photo pixel under model pixel (x, y) of an R px model. */
const under = (mask: Mask, R: number) => (x: number, y: number) => mask.data[Math.floor(((y + 0.5) * SIDE) / R) * SIDE + Math.floor(((x + 0.5) * SIDE) / R)] > 0

/** `work` on an engine of its own (`options`, the model in `modelDir`) holding the bench's photo and reference; disposed after. */
async function withEngine(options: ConstructorParameters<typeof Engine>[0], modelDir: string, work: (engine: Engine, photo: ImageInfo, reference: ImageInfo) => Promise<void>, halfLevelBytes?: number): Promise<void> {
  const engine = new Engine(options)
  try {
    await engine.loadModel(modelDir, { threads: 2, halfLevelBytes })
    await work(engine, await engine.openImage({ bytes: await benchPhoto(0) }), await engine.openImage({ bytes: await benchPhoto(3) }))
  } finally {
    await engine.dispose()
  }
}

describe.each([
  ['the bundled model', testModelDir, undefined],
  ['a random-weight full generator', randomWideTestModelDir, undefined],
  // as a 256 px model's largest layers are (halfLevelBytes 0: every fine layer here)
  ['the bundled model, its fine layers\' gamma/beta as halves', testModelDir, 0],
])('drafts on %s', (_, modelDir, halfLevelBytes) => {
  let engine: Engine
  let photo: ImageInfo
  let reference: ImageInfo
  let R: number
  const crop = { x: 0, y: 0, size: SIDE }
  const edit = (mask: Mask) => ({ original: { imageId: photo.imageId, crop }, layers: [{ reference: { imageId: reference.imageId }, mask }], space: 'wplus' as const })
  /** withEngine on this model, its fine layers as halves or not as this engine's. */
  const withModel = async (options: ConstructorParameters<typeof Engine>[0], work: Parameters<typeof withEngine>[2]) => withEngine(options, await modelDir(), work, halfLevelBytes)

  beforeAll(async () => {
    // every window is a draft here: at 64 px a window is most of the grid, which the default share sends to the exact path
    engine = new Engine({ draftWindowShare: 1 })
    R = (await engine.loadModel(await modelDir(), { threads: 2, halfLevelBytes })).model.resolution
    expect(engine.inspect.runtime!.halfLevels.some((half) => half)).toBe(halfLevelBytes === 0)
    photo = await engine.openImage({ bytes: await benchPhoto(0) })
    reference = await engine.openImage({ bytes: await benchPhoto(3) })
  })
  afterAll(() => engine.dispose())

  it('a stroke painted after an exact render drafts close to its exact render, and leaves no trace', async () => {
    const before = square(140, 150, 120)
    const after = dab(before, 262, 210, 28)
    const exactBefore = await engine.render({ edit: edit(before), output: { kind: 'generated' } })
    expect(exactBefore.draft).toBe(false)
    const draft = await engine.render({ edit: edit(after), output: { kind: 'generated' }, draft: true })
    expect(draft.draft).toBe(true)
    // the draft wrote the stroke's gamma/beta: the exact render after it recomputes none, and
    // its coarse part, from the same gamma/beta, is the draft's (no coarse run)
    const runtime = engine.inspect.runtime!
    const modulate = runtime.modulate.bind(runtime)
    let runs = 0
    runtime.modulate = (windows, n) => (runs++, modulate(windows, n))
    const coarse = (runtime as unknown as { sessions: { coarse: { run: (...a: unknown[]) => unknown } } }).sessions.coarse
    const coarseRun = coarse.run
    let coarseRuns = 0
    coarse.run = (...a: unknown[]) => (coarseRuns++, coarseRun.apply(coarse, a))
    const exact = await engine.render({ edit: edit(after), output: { kind: 'generated' } }).finally(() => {
      runtime.modulate = modulate
      coarse.run = coarseRun
    })
    expect(exact.draft).toBe(false)
    expect(runs).toBe(0)
    expect(coarseRuns).toBe(0)

    const whole = compare(exact.generated, draft.generated)
    const inMask = compare(exact.generated, draft.generated, under(after, R))
    expect(whole.psnr).toBeGreaterThanOrEqual(30)
    expect(inMask.mean).toBeLessThanOrEqual(2)
    // the draft shows the stroke: under the dab it is nearer the exact result than the render before the stroke is
    const newlyPainted = (x: number, y: number) => under(after, R)(x, y) && !under(before, R)(x, y)
    expect(compare(exact.generated, draft.generated, newlyPainted).mean).toBeLessThan(compare(exact.generated, exactBefore.generated, newlyPainted).mean)
    // the exact render again is the same bytes
    const again = await engine.render({ edit: edit(after), output: { kind: 'generated' } })
    expect(Buffer.from(again.generated.data).equals(Buffer.from(exact.generated.data))).toBe(true)
    // and what an engine that never drew the draft renders for the edit (the gamma/beta the draft wrote in are the exact ones)
    await withModel({}, async (fresh, p, r) => {
      const direct = await fresh.render({ edit: { ...edit(after), original: { imageId: p.imageId, crop }, layers: [{ reference: { imageId: r.imageId }, mask: after }] }, output: { kind: 'generated' } })
      let worst = 0
      for (let i = 0; i < direct.generated.data.length; i++) worst = Math.max(worst, Math.abs(direct.generated.data[i] - exact.generated.data[i]))
      expect(worst).toBeLessThanOrEqual(1)
    })
  })

  it('a strength or an offset dragged from an exact render drafts from that render: outside the cells either mix changes, its pixels are nearly all that render\'s', async () => {
    const mask = square(140, 150, 120)
    const at = (layer: { strength?: number; offset?: { dx: number; dy: number }; mask?: Mask }) => ({ ...edit(mask), layers: [{ ...edit(mask).layers[0], ...layer }] })
    // the photo crop's own decode, and the exact render the drag starts from: they differ
    // everywhere a little (the feature path's statistics are global)
    const own = await engine.render({ edit: { ...edit(mask), layers: [] }, output: { kind: 'generated' } })
    const shown = await engine.render({ edit: at({}), output: { kind: 'generated' } })
    const far = (x: number, y: number) => x >= 0.85 * R && y >= 0.85 * R
    expect(compare(own.generated, shown.generated, far).mean).toBeGreaterThan(0)
    // the third: another strength with the mask somewhere else (as after an undo), where the
    // render shown changed nothing: its cells are recomputed too
    const elsewhere = square(60, 330, 80)
    for (const layer of [{ strength: 0.6 }, { offset: { dx: -40, dy: -24 } }, { strength: 0.6, mask: elsewhere }]) {
      const what = JSON.stringify({ ...layer, mask: !!layer.mask })
      const draft = await engine.render({ edit: at(layer), output: { kind: 'generated' }, draft: true })
      expect(draft.draft).toBe(true)
      const exact = await engine.render({ edit: at(layer), output: { kind: 'generated' } })
      // far from the masks (and from where they read with the offset) the draft is the render
      // shown, but for the odd pixel of a cell recomputed where the coarse part's output moved
      expect(compare(shown.generated, draft.generated, far).mean, what).toBeLessThanOrEqual(0.05)
      expect(compare(exact.generated, draft.generated).psnr, what).toBeGreaterThanOrEqual(30)
      const moved = under(layer.mask ?? mask, R)
      expect(compare(exact.generated, draft.generated, moved).mean, what).toBeLessThan(compare(exact.generated, shown.generated, moved).mean)
      // the next drag starts from the render shown
      await engine.render({ edit: at({}), output: { kind: 'generated' } })
    }
  })

  it('strokes drafted one after another recompute only what changed since the last exact render, and draft what recomputing every change drafts', async () => {
    // an engine that computes an edit's gamma/beta whole keeps none of them, so its drafts recompute every change against the photo
    await withModel({ draftWindowShare: 1, wholeModulationShare: 0 }, async (whole, p, r) => {
      const wholeEdit = (mask: Mask) => ({ ...edit(mask), original: { imageId: p.imageId, crop }, layers: [{ reference: { imageId: r.imageId }, mask }] })
      let mask = square(120, 140, 110)
      for (const e of [engine, whole]) await e.render({ edit: e === engine ? edit(mask) : wholeEdit(mask), output: { kind: 'generated' } })
      // a stroke in three dabs, each drafted from the same exact render
      for (const [cx, cy] of [[235, 190], [250, 215], [262, 240]]) {
        mask = dab(mask, cx, cy, 22)
        const kept = await engine.render({ edit: edit(mask), output: { kind: 'generated' }, draft: true })
        const recomputed = await whole.render({ edit: wholeEdit(mask), output: { kind: 'generated' }, draft: true })
        expect(kept.draft && recomputed.draft).toBe(true)
        let worst = 0
        for (let i = 0; i < kept.generated.data.length; i++) worst = Math.max(worst, Math.abs(kept.generated.data[i] - recomputed.generated.data[i]))
        expect(worst).toBeLessThanOrEqual(1)
      }
    })
  })

  it("a stroke's drafts show where its coarse layers move the picture past the cells they mix: closer to the exact render than drafts recomputing only the fine layers' changed cells", async () => {
    // a stroke along a row on an unedited crop, each dab drafted from the crop's own decode; once
    // its coarse cells flip, the coarse part's output moves around them
    const errors = async (tolerance: number) => {
      let mask = square(0, 0, 0)
      const found: { mean: number; p999: number }[] = []
      await withModel({ draftWindowShare: 1, draftCoarseTolerance: tolerance }, async (drafts, p, r) => {
        await withModel({}, async (exacts, p2, r2) => {
          for (let x = 170; x <= 282; x += 16) {
            mask = dab(mask, x, 225, 20)
            const asked = (id: string, ref: string) => ({ ...edit(mask), original: { imageId: id, crop }, layers: [{ reference: { imageId: ref }, mask }] })
            const draft = await drafts.render({ edit: asked(p.imageId, r.imageId), output: { kind: 'generated' }, draft: true })
            expect(draft.draft).toBe(true)
            const exact = await exacts.render({ edit: asked(p2.imageId, r2.imageId), output: { kind: 'generated' } })
            const d = Array.from(exact.generated.data, (v, i) => Math.abs(v - draft.generated.data[i]))
            found.push({ mean: d.reduce((a, b) => a + b, 0) / d.length, p999: d.sort((a, b) => a - b)[Math.floor(0.999 * d.length)] })
          }
        })
      })
      return found
    }
    const shown = await errors(DRAFT_COARSE_TOLERANCE)
    const fineOnly = await errors(Infinity)
    const last = shown.length - 1
    expect(shown[last].p999).toBeLessThan(fineOnly[last].p999)
    expect(shown[last].mean).toBeLessThan(0.75 * fineOnly[last].mean)
  })

  it('a first draft of a crop, with no exact edit before it, starts from the photo decode', async () => {
    const other = await engine.openImage({ bytes: await benchPhoto(5) })
    const mask = square(300, 60, 90)
    const draft = await engine.render({ edit: { ...edit(mask), original: { imageId: other.imageId, crop } }, output: { kind: 'preview', maxSize: 256 }, draft: true })
    expect(draft.draft).toBe(true)
    const exact = await engine.render({ edit: { ...edit(mask), original: { imageId: other.imageId, crop } }, output: { kind: 'preview', maxSize: 256 } })
    expect(compare(exact.generated, draft.generated).psnr).toBeGreaterThanOrEqual(30)
    await engine.closeImage(other.imageId)
  })

  it('an export asked for as a draft is rendered exactly', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stylemap-draft-export-'))
    try {
      const mask = square(100, 100, 100)
      const exact = await engine.render({ edit: edit(mask), output: { kind: 'file', path: join(dir, 'exact.png') } })
      await engine.render({ edit: edit(dab(mask, 200, 150, 30)), output: { kind: 'generated' } })
      const asked = await engine.render({ edit: edit(mask), output: { kind: 'file', path: join(dir, 'asked.png') }, draft: true })
      expect(asked.draft).toBe(false)
      expect((await readFile(join(dir, 'asked.png'))).equals(await readFile(join(dir, 'exact.png')))).toBe(true)
      expect(exact.draft).toBe(false)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('draft requests where a draft cannot help', () => {
  let work: string
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'stylemap-draft-'))
  })
  afterAll(() => rm(work, { recursive: true, force: true }))

  it('a model without the draft graphs renders exactly, and says so', async () => {
    const dir = join(work, 'no-draft')
    await cp(await testModelDir(), dir, { recursive: true })
    const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    delete manifest.files.coarse
    delete manifest.files.fine
    delete manifest.preview
    await writeFile(join(dir, 'model.json'), JSON.stringify(manifest))
    const engine = new Engine({ draftWindowShare: 1 })
    try {
      await engine.loadModel(dir, { threads: 2 })
      const photo = await engine.openImage({ bytes: await benchPhoto(0) })
      const reference = await engine.openImage({ bytes: await benchPhoto(3) })
      const edit = { original: { imageId: photo.imageId }, layers: [{ reference: { imageId: reference.imageId }, mask: square(100, 100, 80) }] }
      const draft = await engine.render({ edit, output: { kind: 'generated' }, draft: true })
      const exact = await engine.render({ edit, output: { kind: 'generated' } })
      expect(draft.draft).toBe(false)
      expect(Buffer.from(draft.generated.data).equals(Buffer.from(exact.generated.data))).toBe(true)
    } finally {
      await engine.dispose()
    }
  })

  it('draft bounds that mean nothing are refused when the engine is made, with the option named', () => {
    for (const options of [{ draftCoarseTolerance: -0.1 }, { draftCoarseTolerance: Number.NaN }, { draftGrowth: -1 }, { draftGrowth: '2' as never }]) {
      expect(() => new Engine(options), JSON.stringify(options)).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT', message: expect.stringContaining(Object.keys(options)[0]) }))
    }
    // Infinity is a bound (no growth limit, or only the fine layers' cells), and 0 too
    for (const options of [{ draftCoarseTolerance: Infinity }, { draftGrowth: Infinity }, { draftCoarseTolerance: 0, draftGrowth: 0 }]) expect(() => new Engine(options)).not.toThrow()
  })

  it("a dab's draft window takes in where the coarse part's output moved only within the share and the growth", async () => {
    // the dab's fine layers change 2 x 2 cells in the corner of the 8 x 8 grid: grown by the
    // margin, 25 cells; the coarse layer's output moves a cell further (3 x 3), 36 cells grown
    const mask = dab(square(0, 0, 0), 30, 30, 30)
    const cases = [
      [{ draftWindowShare: 0.6 }, 36],
      [{ draftWindowShare: 0.6, draftCoarseTolerance: Infinity }, 25],
      [{ draftWindowShare: 0.45 }, 25],
      [{ draftWindowShare: 0.6, draftGrowth: 1.2 }, 25],
    ] as const
    for (const [options, cells] of cases) {
      await withEngine(options, await testModelDir(), async (engine, photo, reference) => {
        const edit = { original: { imageId: photo.imageId }, layers: [{ reference: { imageId: reference.imageId }, mask }], space: 'wplus' as const }
        const runtime = engine.inspect.runtime!
        const fine = runtime.fine.bind(runtime)
        const windows: number[] = []
        runtime.fine = (x, mods, stats, height, width) => (windows.push(height * width), fine(x, mods, stats, height, width))
        const draft = await engine.render({ edit, output: { kind: 'generated' }, draft: true }).finally(() => (runtime.fine = fine))
        expect(draft.draft, JSON.stringify(options)).toBe(true)
        expect(windows, JSON.stringify(options)).toEqual([cells])
      })
    }
  })

  it('with the default share, a stroke whose window covers most of a 64 px grid renders exactly', async () => {
    const engine = new Engine()
    try {
      await engine.loadModel(await testModelDir(), { threads: 2 })
      const photo = await engine.openImage({ bytes: await benchPhoto(0) })
      const reference = await engine.openImage({ bytes: await benchPhoto(3) })
      const edit = { original: { imageId: photo.imageId }, layers: [{ reference: { imageId: reference.imageId }, mask: square(100, 100, 250) }] }
      const draft = await engine.render({ edit, output: { kind: 'generated' }, draft: true })
      expect(draft.draft).toBe(false)
    } finally {
      await engine.dispose()
    }
  })
})

const photos = join(sharedDataDir, 'photos')
describe.skipIf(!existsSync(join(photos, 'Hepburn01.png')))('a draft on real photos, as the live preview shows it', () => {
  it('one eye taken from a reference, then the other painted: the draft paste-back is the exact one to within a few levels', async () => {
    const engine = new Engine({ draftWindowShare: 1 })
    try {
      await engine.loadModel(await testModelDir(), { threads: 2 })
      const photo = await engine.openImage({ bytes: await readFile(join(photos, 'Hepburn01.png')) })
      const reference = await engine.openImage({ bytes: await readFile(join(photos, 'Einstein01.png')) })
      const [face] = (await engine.detectFaces(photo.imageId)).faces
      const [other] = (await engine.detectFaces(reference.imageId)).faces
      const eyes = face.landmarks.slice(0, 2)
      const r = 0.3 * Math.hypot(eyes[1][0] - eyes[0][0], eyes[1][1] - eyes[0][1])
      const eyeMask = (n: number): Mask => {
        const data = new Uint8Array(photo.width * photo.height)
        for (const [cx, cy] of eyes.slice(0, n)) for (let y = 0; y < photo.height; y++) for (let x = 0; x < photo.width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * photo.width + x] = 255
        return { width: photo.width, height: photo.height, data }
      }
      const edit = (mask: Mask) => ({ original: { imageId: photo.imageId, crop: face.crop }, layers: [{ reference: { imageId: reference.imageId, crop: other.crop }, mask }], space: 'wplus' as const })
      const before = await engine.render({ edit: edit(eyeMask(1)), output: { kind: 'preview' } })
      const draft = await engine.render({ edit: edit(eyeMask(2)), output: { kind: 'preview' }, draft: true })
      const exact = await engine.render({ edit: edit(eyeMask(2)), output: { kind: 'preview' } })
      expect(draft.draft).toBe(true)
      const shown = compare(exact.pasted, draft.pasted)
      expect(shown.psnr).toBeGreaterThanOrEqual(40)
      // the second eye is in the draft: it differs from the render before the stroke far more than from the exact one
      expect(compare(before.pasted, draft.pasted).mean).toBeGreaterThan(5 * shown.mean)
    } finally {
      await engine.dispose()
    }
  })
})

describe('drafts while an offset is dragged', () => {
  it('keep the reference\'s values they compute, so that each step computes the mask\'s edge and the cells it reads first, not the whole mask again', async () => {
    // values kept at every level, and every window a draft
    await withEngine({ draftWindowShare: 1, keepMixedMacs: 0 }, await testModelDir(), async (engine, photo, reference) => {
      const crop = { x: 0, y: 0, size: SIDE }
      const mask = square(140, 150, 200)
      const edit = (dx: number) => ({ original: { imageId: photo.imageId, crop }, layers: [{ reference: { imageId: reference.imageId }, mask, offset: { dx, dy: 0 } }], space: 'wplus' as const })
      // the cells each render's modulation run computes at the finest level (its window less the border)
      const runtime = engine.inspect.runtime!
      const modulate = runtime.modulate.bind(runtime)
      let cells = 0
      runtime.modulate = async (windows, n) => {
        const finest = windows[windows.length - 1]
        cells += (finest.height - 2) * (finest.width - 2)
        return modulate(windows, n)
      }
      const computed = async (dx: number, draft: boolean) => {
        cells = 0
        expect((await engine.render({ edit: edit(dx), output: { kind: 'generated' }, draft })).draft).toBe(draft)
        return cells
      }
      const exact = await computed(0, false)
      const dragged = [await computed(-24, true), await computed(-40, true), await computed(-24, true)]
      // each step reads most of its cells' reference values as kept (the 200 px square is 25 cells a
      // side at the finest level, and a step moves it 3 or 2): what is left is the mask's edge,
      // three cells deep, and the strip of reference cells read first, in thin boxes
      for (const n of dragged) expect(n).toBeLessThan(0.85 * exact)
    })
  })
})

describe('a stroke\'s drafts and the reference\'s pyramid', () => {
  /**
   * A prepared photo and reference on the bundled model (a resizer tail level: 16 px, of 64;
   * `noTail` hides it, as a model without one), the resizer's and the tail's runs counted, and
   * strokes painted with them: drafts dab by dab, then the exact render. At the end, an engine
   * holding the reference's pyramid whole (edited first) renders every stroke's end the same.
   */
  async function painting(noTail: boolean | 'fails', paint: (stroke: Stroke, runs: { resizes: number; tails: number[] }, whole: number, pyramidBytes: () => number) => Promise<Mask[]>): Promise<void> {
    await withEngine({ draftWindowShare: 1 }, await testModelDir(), async (engine, photo, reference) => {
      const crop = { x: 0, y: 0, size: SIDE }
      const edit = (mask: Mask) => ({ original: { imageId: photo.imageId, crop }, layers: [{ reference: { imageId: reference.imageId, crop }, mask }], space: 'wplus' as const })
      const runtime = engine.inspect.runtime!
      expect(runtime.tailLevel).toBe(3)
      if (noTail === true) Object.defineProperty(runtime, 'tailLevel', { get: () => null })
      const resize = runtime.resize.bind(runtime)
      const resizeTail = runtime.resizeTail.bind(runtime)
      const runs = { resizes: 0, tails: [] as number[] }
      runtime.resize = (stylemaps, n) => (runs.resizes++, resize(stylemaps, n))
      runtime.resizeTail = (window, h, w) => {
        runs.tails.push(h * w)
        return noTail === 'fails' ? Promise.reject(new EngineError(engineErrorCodes.inference, 'resizer tail failed: on purpose')) : resizeTail(window, h, w)
      }
      const whole = runtime.info.styles.reduce((sum, l) => sum + 2 * l.channels * l.size * l.size, 0)
      const ends = new Map<Mask, Uint8Array>()
      // a stroke along a row, dab by dab (80 px apart: further than the margin kept around a mask), then its exact render
      const stroke: Stroke = async (from, y, xs, after = []) => {
        let mask = from
        for (const x of xs) {
          mask = dab(mask, x, y, 24)
          expect((await engine.render({ edit: edit(mask), output: { kind: 'generated' }, draft: true })).draft).toBe(true)
          after.push(runs.resizes + runs.tails.length)
        }
        ends.set(mask, (await engine.render({ edit: edit(mask), output: { kind: 'generated' } })).generated.data)
        return mask
      }
      await engine.prepare({ original: { imageId: photo.imageId, crop }, references: [{ imageId: reference.imageId, crop }] })
      runs.resizes = 0
      expect(engine.inspect.pyramidBytes()).toBe(2 * whole)
      const masks = await paint(stroke, runs, whole, () => engine.inspect.pyramidBytes())
      await withEngine({}, await testModelDir(), async (other, p, r) => {
        await other.inspect.stylemapOf({ imageId: r.imageId, crop })
        const at = (mask: Mask) => ({ original: { imageId: p.imageId, crop }, layers: [{ reference: { imageId: r.imageId, crop }, mask }], space: 'wplus' as const })
        for (const mask of masks) {
          const expected = await other.render({ edit: at(mask), output: { kind: 'generated' } })
          expect(Buffer.from(ends.get(mask)!).equals(Buffer.from(expected.generated.data))).toBe(true)
        }
      })
    })
  }
  type Stroke = (from: Mask, y: number, xs: number[], after?: number[]) => Promise<Mask>

  it('read it whole when prepared; the exact render at its end cuts it down; past the part kept, the resizer\'s tail grows it where the mask reads', async () => {
    await painting(false, async (stroke, runs, whole, pyramidBytes) => {
      // prepared: the stroke's drafts read the whole pyramid, and its end cuts it down (the tail level and coarser kept whole)
      const first = await stroke(square(0, 0, 0), 100, [60, 140])
      expect(runs.resizes + runs.tails.length).toBe(0)
      const cut = pyramidBytes() - whole
      expect(cut).toBeLessThan(whole / 2)
      // a second stroke past the part kept: a tail run at its first dab, and at the next, which
      // reaches between the two (a hole of the box around both); never the whole resizer
      const after: number[] = []
      const second = await stroke(first, 200, [60, 140], after)
      expect(after).toEqual([1, 2])
      // a dab between those, where the part kept holds the cells: no run
      const again = await stroke(second, 200, [100])
      expect(runs.tails.length).toBe(2)
      const third = await stroke(again, 290, [60])
      expect(runs.tails.length).toBe(3)
      expect(runs.resizes).toBe(0)
      // each a window of the 16 px level smaller than the whole
      for (const cells of runs.tails) expect(cells).toBeLessThan(16 * 16)
      expect(pyramidBytes() - whole).toBeGreaterThan(cut)
      expect(pyramidBytes()).toBeLessThan(2 * whole)
      return [first, second, third]
    })
  })

  it('where the tail fails, the render resizes whole instead, with the same images', async () => {
    await painting('fails', async (stroke, runs) => {
      const first = await stroke(square(0, 0, 0), 100, [60, 140])
      const after: number[] = []
      const second = await stroke(first, 200, [60, 140], after)
      // the tail tried at the first dab, then the whole resizer; the stroke's later dab reads that pyramid whole
      expect([runs.tails.length, runs.resizes]).toEqual([1, 1])
      return [first, second]
    })
  })

  it('without a tail level, read it whole, prepared or resized once, however far the stroke goes; the exact render at its end cuts it down', async () => {
    await painting(true, async (stroke, runs, whole, pyramidBytes) => {
      const first = await stroke(square(0, 0, 0), 100, [60, 140])
      expect(runs.resizes).toBe(0)
      const cut = pyramidBytes() - whole
      expect(cut).toBeLessThan(whole / 2)
      // a second stroke past the part kept: one resizer run at its first dab, none after; cut again at its end
      const after: number[] = []
      const second = await stroke(first, 200, [60, 140], after)
      expect(after).toEqual([1, 1])
      expect(pyramidBytes() - whole).toBeGreaterThan(cut)
      expect(pyramidBytes()).toBeLessThan(2 * whole)
      // which it went past: the part kept grew by twice the margin, so a dab that far beyond it costs no run
      const third = await stroke(second, 290, [60])
      expect([runs.resizes, runs.tails.length]).toEqual([1, 0])
      return [first, second, third]
    })
  })
})

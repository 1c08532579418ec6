// The engine's one edit call on the real model: caching, the demo's W+ rule, what a mask and an
// offset mean, bounded caches, random and morph.
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Crop, Edit, EditLayer, ImageInfo, Mask, RawImage } from './api.js'
import { Engine } from './engine.js'
import { tensorToImage } from './images.js'
import { fromHalf, toHalf } from './half.js'
import { testModelDir } from './testing/models.js'
import { gradientPng, rectMask } from './testing/photos.js'

let engine: Engine
let R: number
/** Model-resolution photos: with the full crop, a photo-space mask is the model grid itself. */
let small: ImageInfo
let smallRef: ImageInfo
/** A larger photo with a crop, and a reference. */
let photo: ImageInfo
let reference: ImageInfo
const photoCrop: Crop = { x: 20, y: 0, size: 200 }

function meanAbsDiff(a: RawImage, b: RawImage, where?: (x: number, y: number) => boolean): number {
  let sum = 0
  let n = 0
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (where && !where(x, y)) continue
      for (let c = 0; c < 3; c++) sum += Math.abs(a.data[(y * a.width + x) * a.channels + c] - b.data[(y * b.width + x) * b.channels + c])
      n += 3
    }
  }
  return sum / n
}

function same(a: RawImage, b: RawImage): boolean {
  return Buffer.from(a.data).equals(Buffer.from(b.data))
}

/** The generator's output for an edit of `small` with `smallRef` (model-resolution masks). */
async function generated(layers: Omit<EditLayer, 'reference'>[], extra: Partial<Edit> = {}, on = engine): Promise<RawImage> {
  const edit: Edit = { original: { imageId: small.imageId }, layers: layers.map((l) => ({ reference: { imageId: smallRef.imageId }, ...l })), ...extra }
  return (await on.render({ edit, output: { kind: 'generated' } })).generated
}

async function reconstruction(imageId: string): Promise<RawImage> {
  return (await engine.render({ edit: { original: { imageId }, layers: [] }, output: { kind: 'generated' } })).generated
}

/** `work` on an engine of its own with the test model loaded, disposed after. */
async function withFreshEngine(work: (fresh: Engine) => Promise<void>, options?: ConstructorParameters<typeof Engine>[0]): Promise<void> {
  const fresh = new Engine(options)
  try {
    await fresh.loadModel(await testModelDir())
    await work(fresh)
  } finally {
    await fresh.dispose()
  }
}

/** The photo and the reference the tests with a fresh engine edit, opened in it. */
async function openPair(fresh: Engine): Promise<{ a: ImageInfo; b: ImageInfo }> {
  return { a: await fresh.openImage({ bytes: await gradientPng(240, 200, 0) }), b: await fresh.openImage({ bytes: await gradientPng(220, 220, 6) }) }
}

/** Bytes of a whole style pyramid of the test model (halves). */
const wholePyramidBytes = (): number => engine.inspect.runtime!.info.styles.reduce((sum, l) => sum + 2 * l.channels * l.size * l.size, 0)

beforeAll(async () => {
  engine = new Engine()
  const { model } = await engine.loadModel(await testModelDir())
  R = model.resolution
  small = await engine.openImage({ bytes: await gradientPng(R, R, 0) })
  smallRef = await engine.openImage({ bytes: await gradientPng(R, R, 6) })
  photo = await engine.openImage({ bytes: await gradientPng(240, 200, 0) })
  reference = await engine.openImage({ bytes: await gradientPng(220, 220, 6) })
})
afterAll(async () => {
  await engine.dispose()
})

describe('render: encoding is cached', () => {
  it('by content + crop + model: the second render of the same crops encodes nothing', async () => {
    const fresh = new Engine()
    try {
      await fresh.loadModel(await testModelDir())
      const { a, b } = await openPair(fresh)
      const edit: Edit = { original: { imageId: a.imageId, crop: photoCrop }, layers: [{ reference: { imageId: b.imageId }, mask: rectMask(240, 200, 60, 40, 80, 80) }] }
      expect((await fresh.render({ edit, output: { kind: 'generated' } })).encoded).toBe(2)
      expect((await fresh.render({ edit, output: { kind: 'preview' } })).encoded).toBe(0)
      // another crop of the original is another stylemap
      const moved = { ...edit, original: { imageId: a.imageId, crop: { x: 0, y: 0, size: 200 } } }
      expect((await fresh.render({ edit: moved, output: { kind: 'generated' } })).encoded).toBe(1)
      // the same bytes opened again are the same image
      expect((await fresh.openImage({ bytes: await gradientPng(240, 200, 0) })).imageId).toBe(a.imageId)
      // closing an image forgets what was encoded from it
      expect(fresh.inspect.cacheSizes().stylemaps).toBe(3)
      await fresh.closeImage(a.imageId)
      expect(fresh.inspect.cacheSizes()).toMatchObject({ images: 1, stylemaps: 1 })
    } finally {
      await fresh.dispose()
    }
  })

  it('prepare encodes the crops ahead: the first render after it encodes nothing and gives what a render without it gives', async () => {
    await withFreshEngine(async (fresh) => {
      const { a, b } = await openPair(fresh)
      const referenceCrop = { x: 10, y: 10, size: 180 }
      const prepared = await fresh.prepare({ original: { imageId: a.imageId, crop: photoCrop }, references: [{ imageId: b.imageId, crop: referenceCrop }] })
      expect(prepared.encoded).toBe(2)
      // the photo crop's gamma/beta are ready for the incremental path, and both pyramids are made
      expect(fresh.inspect.cacheSizes()).toMatchObject({ stylemaps: 2, modulations: 1, pyramids: 2 })
      const wholeBytes = fresh.inspect.pyramidBytes()
      expect((await fresh.prepare({ original: { imageId: a.imageId, crop: photoCrop }, references: [{ imageId: b.imageId, crop: referenceCrop }] })).encoded).toBe(0)
      expect(fresh.inspect.pyramidBytes()).toBe(wholeBytes)
      const edit: Edit = { original: { imageId: a.imageId, crop: photoCrop }, layers: [{ reference: { imageId: b.imageId, crop: referenceCrop }, mask: rectMask(240, 200, 60, 40, 80, 80) }] }
      const first = await fresh.render({ edit, output: { kind: 'preview' } })
      expect(first.encoded).toBe(0)
      // the reference's whole pyramid, kept from prepare, is cut down to where the mask reads it
      expect(fresh.inspect.cacheSizes().pyramids).toBe(2)
      expect(fresh.inspect.pyramidBytes()).toBeLessThan(wholeBytes * 0.85)
      // the engine used in the other tests never prepared these crops
      const photoHere = await engine.openImage({ bytes: await gradientPng(240, 200, 0) })
      const referenceHere = await engine.openImage({ bytes: await gradientPng(220, 220, 6) })
      const unprepared = await engine.render({ edit: { ...edit, original: { imageId: photoHere.imageId, crop: photoCrop }, layers: [{ ...edit.layers[0], reference: { imageId: referenceHere.imageId, crop: referenceCrop } }] }, output: { kind: 'preview' } })
      expect(same(first.pasted, unprepared.pasted)).toBe(true)
      expect(same(first.generated, unprepared.generated)).toBe(true)
    })
  })

  it('prepare also decodes the photo crop as it is: the first stroke\'s first draft after it runs only its window, and is what an unprepared engine drafts', async () => {
    const firstDraft = async (fresh: Engine, prepare: boolean) => {
      const { a, b } = await openPair(fresh)
      const referenceCrop = { x: 10, y: 10, size: 180 }
      if (prepare) await fresh.prepare({ original: { imageId: a.imageId, crop: photoCrop }, references: [{ imageId: b.imageId, crop: referenceCrop }] })
      const runtime = fresh.inspect.runtime!
      const features = runtime.featuresWithStats.bind(runtime)
      let whole = 0
      runtime.featuresWithStats = (mods) => (whole++, features(mods))
      const edit: Edit = { original: { imageId: a.imageId, crop: photoCrop }, layers: [{ reference: { imageId: b.imageId, crop: referenceCrop }, mask: rectMask(240, 200, 100, 80, 14, 14) }] }
      const result = await fresh.render({ edit, output: { kind: 'preview' }, draft: true }).finally(() => (runtime.featuresWithStats = features))
      return { result, whole }
    }
    let prepared: Awaited<ReturnType<typeof firstDraft>> | undefined
    let unprepared: Awaited<ReturnType<typeof firstDraft>> | undefined
    // every window is a draft (at 64 px a window is most of the grid, which by default renders exactly)
    await withFreshEngine(async (fresh) => void (prepared = await firstDraft(fresh, true)), { draftWindowShare: 1 })
    await withFreshEngine(async (fresh) => void (unprepared = await firstDraft(fresh, false)), { draftWindowShare: 1 })
    expect(prepared!.result.draft && unprepared!.result.draft).toBe(true)
    expect(prepared!.whole).toBe(0)
    expect(unprepared!.whole).toBe(1)
    expect(same(prepared!.result.pasted, unprepared!.result.pasted)).toBe(true)
  })

  it('counts what edits add to a crop\'s live gamma/beta (the tiles saved under them) against the cache\'s budget', async () => {
    await withFreshEngine(async (fresh) => {
      const { a, b } = await openPair(fresh)
      const edit = (mask: Mask): Edit => ({ original: { imageId: a.imageId, crop: photoCrop }, layers: [{ reference: { imageId: b.imageId, crop: { x: 10, y: 10, size: 180 } }, mask }] })
      await fresh.render({ edit: edit(rectMask(240, 200, 60, 40, 20, 20)), output: { kind: 'generated' } })
      const small = fresh.inspect.modulationBytes()
      // a larger mask writes over more of the crop: more of its own values are saved
      await fresh.render({ edit: edit(rectMask(240, 200, 60, 40, 70, 60)), output: { kind: 'generated' } })
      expect(fresh.inspect.modulationBytes()).toBeGreaterThan(small)
    })
  })

  it('prepare gives way before each of its steps to requests waiting behind it, keeps what it made, and a later prepare does the rest', async () => {
    let asked = 0
    let waitFrom = Infinity
    let arrived = false
    await withFreshEngine(
      async (fresh) => {
        const { a, b } = await openPair(fresh)
        const request = { original: { imageId: a.imageId, crop: photoCrop }, references: [{ imageId: b.imageId, crop: { x: 10, y: 10, size: 180 } }] }
        // a request comes in on the event loop's next turn, as one read while a step runs would:
        // it is seen before the first step (the event loop turns before each question)
        setImmediate(() => (arrived = true))
        expect(await fresh.prepare(request)).toMatchObject({ encoded: 0, complete: false })
        expect(fresh.inspect.cacheSizes()).toMatchObject({ stylemaps: 0, pyramids: 0, modulations: 0 })
        arrived = false
        // one comes in while the photo's styles are made: asked a third time, before its gamma/beta
        asked = 0
        waitFrom = 2
        expect(await fresh.prepare(request)).toMatchObject({ encoded: 1, complete: false })
        expect(fresh.inspect.cacheSizes()).toMatchObject({ stylemaps: 1, pyramids: 1, modulations: 0 })
        // none waits: the rest, asked before each step (the photo's encode, styles, gamma/beta; the reference's encode, styles; the own decode)
        asked = 0
        waitFrom = Infinity
        expect(await fresh.prepare(request)).toMatchObject({ encoded: 1, complete: true })
        expect(asked).toBe(6)
        expect(fresh.inspect.cacheSizes()).toMatchObject({ stylemaps: 2, pyramids: 2, modulations: 1 })
      },
      { othersWaiting: () => asked++ >= waitFrom || arrived },
    )
  })

  it('prepare makes no whole reference pyramid past half the pyramids\' budget, and the first render still finds its crops encoded', async () => {
    const whole = wholePyramidBytes()
    // room for the photo's pyramid and a reference's part, not for a second whole one under half
    await withFreshEngine(
      async (fresh) => {
        const { a, b } = await openPair(fresh)
        const referenceCrop = { x: 10, y: 10, size: 180 }
        await fresh.prepare({ original: { imageId: a.imageId, crop: photoCrop }, references: [{ imageId: b.imageId, crop: referenceCrop }] })
        expect(fresh.inspect.cacheSizes()).toMatchObject({ stylemaps: 2, pyramids: 1 })
        expect(fresh.inspect.pyramidBytes()).toBe(whole)
        const edit: Edit = { original: { imageId: a.imageId, crop: photoCrop }, layers: [{ reference: { imageId: b.imageId, crop: referenceCrop }, mask: rectMask(240, 200, 60, 40, 80, 80) }] }
        expect((await fresh.render({ edit, output: { kind: 'preview' } })).encoded).toBe(0)
        expect(fresh.inspect.cacheSizes().pyramids).toBe(2)
      },
      { stylesBudgetBytes: 3 * whole },
    )
  })

  it('prepare counts only its own crops against half the pyramids\' budget: pyramids of crops framed before do not stop it', async () => {
    const whole = wholePyramidBytes()
    // half the budget holds a photo's pyramid and one reference's
    await withFreshEngine(
      async (fresh) => {
        const { a, b } = await openPair(fresh)
        const frame = async (offset: number) => {
          const photoAt = { ...photoCrop, x: photoCrop.x + offset }
          const referenceAt = { x: 10 + offset, y: 10, size: 180 }
          await fresh.prepare({ original: { imageId: a.imageId, crop: photoAt }, references: [{ imageId: b.imageId, crop: referenceAt }] })
          return { original: { imageId: a.imageId, crop: photoAt }, layers: [{ reference: { imageId: b.imageId, crop: referenceAt }, mask: rectMask(240, 200, 60, 40, 80, 80) }] } satisfies Edit
        }
        await frame(0)
        expect(fresh.inspect.pyramidBytes()).toBe(2 * whole)
        // framed again a little further: the first frame's pyramids stay cached, and both new ones are made whole
        const edit = await frame(4)
        expect(fresh.inspect.cacheSizes().pyramids).toBe(4)
        const runtime = fresh.inspect.runtime!
        const resize = runtime.resize.bind(runtime)
        let resizes = 0
        runtime.resize = (stylemaps, n) => (resizes++, resize(stylemaps, n))
        await fresh.render({ edit, output: { kind: 'generated' } }).finally(() => (runtime.resize = resize))
        expect(resizes).toBe(0)
      },
      { stylesBudgetBytes: 4 * whole },
    )
  })

  it('prepare refuses unknown images, crops outside the photo and malformed requests with stable codes, before any work', async () => {
    await withFreshEngine(async (fresh) => {
      const a = await fresh.openImage({ bytes: await gradientPng(240, 200, 0) })
      await expect(fresh.prepare({ original: { imageId: 'img:nope' } })).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
      await expect(fresh.prepare({ original: { imageId: a.imageId, crop: { x: 100, y: 0, size: 200 } } })).rejects.toMatchObject({ code: 'E_CROP_OUT_OF_BOUNDS' })
      // a bad reference stops the request before the photo's crop is encoded
      await expect(fresh.prepare({ original: { imageId: a.imageId, crop: photoCrop }, references: [{ imageId: 'img:nope' }] })).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
      expect(fresh.inspect.cacheSizes().stylemaps).toBe(0)
      await expect(fresh.prepare(null as never)).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
      await expect(fresh.prepare({ original: { imageId: a.imageId }, references: 'img:x' as never })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
      await expect(fresh.prepare({ original: { imageId: a.imageId }, references: [null as never] })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    })
  })

  it('previews that reuse the kept photo and reference detail bands give what a fresh engine gives', async () => {
    const at = (size: number, x: number) => ({
      original: { imageId: photo.imageId, crop: photoCrop },
      layers: [{ reference: { imageId: reference.imageId, crop: { x: 10, y: 10, size: 180 } }, mask: rectMask(240, 200, x, 40, size, 60) }],
    })
    const first = await engine.render({ edit: at(50, 60), output: { kind: 'preview', maxSize: 150 } })
    const second = await engine.render({ edit: at(70, 90), output: { kind: 'preview', maxSize: 150 } })
    const full = await engine.render({ edit: at(70, 90), output: { kind: 'preview' } })
    const fresh = new Engine()
    try {
      await fresh.loadModel(await testModelDir())
      for (const image of [photo, reference]) await fresh.openImage({ bytes: await gradientPng(image.width, image.height, image === photo ? 0 : 6) })
      const own = async (edit: Edit, maxSize?: number) => (await fresh.render({ edit, output: { kind: 'preview', maxSize } })).pasted
      expect(same(second.pasted, await own(at(70, 90), 150))).toBe(true)
      expect(same(full.pasted, await own(at(70, 90)))).toBe(true)
      // and the first edit, rendered after the second on a fresh engine, is still its own
      expect(same(first.pasted, await own(at(50, 60), 150))).toBe(true)
      expect(same(first.pasted, second.pasted)).toBe(false)
    } finally {
      await fresh.dispose()
    }
  })

  it('refuses crops outside the photo, unknown images and malformed masks with stable codes', async () => {
    const mask = rectMask(240, 200, 0, 0, 10, 10)
    const edit = (patch: Partial<Edit>): Edit => ({ original: { imageId: photo.imageId, crop: photoCrop }, layers: [{ reference: { imageId: reference.imageId }, mask }], ...patch })
    const attempt = (e: Edit) => engine.render({ edit: e, output: { kind: 'generated' } })
    await expect(attempt(edit({ original: { imageId: photo.imageId, crop: { x: 100, y: 0, size: 200 } } }))).rejects.toMatchObject({ code: 'E_CROP_OUT_OF_BOUNDS' })
    await expect(attempt(edit({ original: { imageId: 'img:nope' } }))).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
    await expect(attempt(edit({ layers: [{ reference: { imageId: 'img:nope' }, mask }] }))).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
    await expect(attempt(edit({ layers: [{ reference: { imageId: reference.imageId }, mask: { width: 10, height: 10, data: new Uint8Array(5) } }] }))).rejects.toMatchObject({ code: 'E_MASK_SIZE' })
    await expect(attempt(edit({ layers: [{ reference: { imageId: reference.imageId }, mask, strength: 1.5 }] }))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(attempt(edit({ layers: [{ reference: { imageId: reference.imageId }, mask, offset: { dx: Number.NaN, dy: 0 } }] }))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(attempt(edit({ feather: -1 }))).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
    await expect(engine.render({ edit: edit({}), output: { kind: 'nope' } as never })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})

describe('render: mixing', () => {
  it('W+ with one layer, strength 1, no offset reproduces the reference demo rule', async () => {
    const runtime = engine.inspect.runtime
    if (!runtime) throw new Error('no model')
    const mask = rectMask(R, R, R / 4, R / 8, R / 2, (3 * R) / 8 + 3)
    const orig = await engine.inspect.stylemapOf({ imageId: small.imageId })
    const ref = await engine.inspect.stylemapOf({ imageId: smallRef.imageId })
    // the demo, written out: per level, average-pool the mask by R/r, threshold at 0.5, copy the
    // reference there; on the pyramids the engine keeps, in halves (stylemapOf gives their values)
    const demo = (origStyles: Float32Array[], refStyles: Float32Array[]) => runtime.info.styles.map((level, i) => {
      const f = R / level.size
      const out = Float32Array.from(origStyles[i])
      for (let y = 0; y < level.size; y++) {
        for (let x = 0; x < level.size; x++) {
          let sum = 0
          for (let yy = 0; yy < f; yy++) for (let xx = 0; xx < f; xx++) sum += mask.data[(y * f + yy) * R + x * f + xx] / 255
          if (sum / (f * f) <= 0.5) continue
          for (let c = 0; c < level.channels; c++) {
            const k = c * level.size * level.size + y * level.size + x
            out[k] = refStyles[i][k]
          }
        }
      }
      return out
    })
    const got = await generated([{ mask }], { space: 'wplus' })
    // the kept values are halves: each round-trips through them unchanged
    for (const styles of [orig.styles ?? [], ref.styles ?? []]) for (const s of styles) expect(fromHalf(toHalf(s))).toEqual(s)
    expect(same(got, tensorToImage(await runtime.synthesize(demo(orig.styles ?? [], ref.styles ?? []), 1), R))).toBe(true)
    // and the halves' rounding stays within a level of the rule on the resizer's float32 pyramids
    const resizer = await ort.InferenceSession.create(join(runtime.info.dir, 'resizer.onnx'))
    const floatStyles = async (stylemap: Float32Array) => {
      const { channels, size } = runtime.info.stylemap
      const out = await resizer.run({ stylemap: new ort.Tensor('float32', stylemap, [1, channels, size, size]) })
      return runtime.info.styles.map((_, i) => out[`style_${i}`].data as Float32Array)
    }
    const exact = tensorToImage(await runtime.synthesize(demo(await floatStyles(orig.stylemap), await floatStyles(ref.stylemap)), 1), R)
    await resizer.release()
    let worst = 0
    for (let k = 0; k < got.data.length; k++) worst = Math.max(worst, Math.abs(got.data[k] - exact.data[k]))
    expect(worst).toBeLessThanOrEqual(1)
  })

  it('an empty mask gives the reconstruction; a full mask at strength 1 gives the reference', async () => {
    const recOriginal = await reconstruction(small.imageId)
    const recReference = await reconstruction(smallRef.imageId)
    for (const space of ['w', 'wplus'] as const) {
      expect(meanAbsDiff(await generated([{ mask: rectMask(R, R, 0, 0, 0, 0) }], { space }), recOriginal)).toBeLessThan(0.5)
      expect(meanAbsDiff(await generated([{ mask: rectMask(R, R, 0, 0, R, R) }], { space }), recReference)).toBeLessThan(0.5)
    }
    expect(meanAbsDiff(recOriginal, recReference)).toBeGreaterThan(2)
  })

  it('a local mask changes the image mostly inside the mask; strength 0 changes nothing', async () => {
    const rec = await reconstruction(small.imageId)
    const [x0, y0, s] = [R / 4, R / 4, R / 2.5]
    const mask = rectMask(R, R, x0, y0, s, s)
    const inside = (x: number, y: number): boolean => x >= x0 && x < x0 + s && y >= y0 && y < y0 + s
    for (const space of ['w', 'wplus'] as const) {
      const out = await generated([{ mask }], { space })
      expect(meanAbsDiff(out, rec, inside), space).toBeGreaterThan(1.5 * meanAbsDiff(out, rec, (x, y) => !inside(x, y)))
      expect(meanAbsDiff(await generated([{ mask, strength: 0 }], { space }), rec)).toBeLessThan(0.5)
    }
  })

  it('the mask marks where the photo changes; the offset picks where on the reference the content comes from', async () => {
    // painted at the lower right quarter; the content comes from the reference's upper left
    const rec = await reconstruction(small.imageId)
    const painted = (x: number, y: number): boolean => x >= R / 2 && x < (3 * R) / 4 && y >= R / 2 && y < (3 * R) / 4
    const mask = rectMask(R, R, R / 2, R / 2, R / 4, R / 4)
    const moved = await generated([{ mask, offset: { dx: R / 2, dy: R / 2 } }], { space: 'wplus' })
    const elsewhere = (x: number, y: number): boolean => x < R / 4 && y < R / 4
    expect(meanAbsDiff(moved, rec, painted)).toBeGreaterThan(1.5 * meanAbsDiff(moved, rec, elsewhere))
    // and it is the reference's upper left that lands there, not what lies under the mask
    const unmoved = await generated([{ mask }], { space: 'wplus' })
    expect(meanAbsDiff(moved, unmoved, painted)).toBeGreaterThan(1)
  })
})

describe('bounded caches', () => {
  it('with no room for style pyramids, edits with several references still match', async () => {
    const tight = new Engine({ stylesBudgetBytes: 1 })
    try {
      await tight.loadModel(await testModelDir())
      const ids: string[] = []
      const mainIds: string[] = []
      for (const seed of [0, 6, 3, 4]) {
        const bytes = await gradientPng(R, R, seed)
        ids.push((await tight.openImage({ bytes })).imageId)
        mainIds.push((await engine.openImage({ bytes })).imageId)
      }
      const edit = (list: string[]): Edit => ({
        original: { imageId: list[0] },
        layers: list.slice(1).map((imageId, i) => ({ reference: { imageId }, mask: rectMask(R, R, i * 8, i * 8, R / 2, R / 2), strength: 0.8 })),
        space: 'wplus',
      })
      const first = (await tight.render({ edit: edit(ids), output: { kind: 'generated' } })).generated
      const second = (await tight.render({ edit: edit(ids), output: { kind: 'generated' } })).generated
      expect(tight.inspect.cacheSizes().pyramids).toBe(0)
      expect(same(first, second)).toBe(true)
      expect(same(first, (await engine.render({ edit: edit(mainIds), output: { kind: 'generated' } })).generated)).toBe(true)
    } finally {
      await tight.dispose()
    }
  })

  it('keeps an edited crop\'s style pyramid whole and of a reference the part its mask reads, grown as the stroke goes on, with the whole one\'s result', async () => {
    const own = new Engine()
    const whole = new Engine()
    try {
      await own.loadModel(await testModelDir())
      await whole.loadModel(await testModelDir())
      const photoBytes = await gradientPng(R, R, 21)
      const referenceBytes = await gradientPng(R, R, 22)
      const photo = (await own.openImage({ bytes: photoBytes })).imageId
      const reference = (await own.openImage({ bytes: referenceBytes })).imageId
      const pyramid = (await own.inspect.stylemapOf({ imageId: photo })).styles ?? []
      // two bytes a value
      const halfBytes = pyramid.reduce((sum, s) => sum + s.length * 2, 0)
      expect(halfBytes).toBeGreaterThan(0)
      expect(own.inspect.pyramidBytes()).toBe(halfBytes)
      const stroke = (on: string, from: string, length: number): Edit => ({
        original: { imageId: on },
        layers: [{ reference: { imageId: from }, mask: rectMask(R, R, 4, 4, length, R / 8), strength: 0.9 }],
        space: 'wplus',
      })
      const short = (await own.render({ edit: stroke(photo, reference, R / 8), output: { kind: 'generated' } })).generated
      const part = own.inspect.pyramidBytes() - halfBytes
      expect(part).toBeGreaterThan(0)
      expect(part).toBeLessThan(halfBytes / 2)
      // the stroke goes on to the middle: the part kept grows, and is still not the whole
      const long = (await own.render({ edit: stroke(photo, reference, R / 2), output: { kind: 'generated' } })).generated
      const grown = own.inspect.pyramidBytes() - halfBytes
      expect(grown).toBeGreaterThan(part)
      expect(grown).toBeLessThan(halfBytes)
      // an engine that holds the reference's pyramid whole (the crop was edited first) gives the same images
      const photo2 = (await whole.openImage({ bytes: photoBytes })).imageId
      const reference2 = (await whole.openImage({ bytes: referenceBytes })).imageId
      await whole.inspect.stylemapOf({ imageId: reference2 })
      expect(same(short, (await whole.render({ edit: stroke(photo2, reference2, R / 8), output: { kind: 'generated' } })).generated)).toBe(true)
      expect(same(long, (await whole.render({ edit: stroke(photo2, reference2, R / 2), output: { kind: 'generated' } })).generated)).toBe(true)
      expect(whole.inspect.pyramidBytes()).toBe(2 * halfBytes)

      // the photo used as its own reference (a transplant) reads the photo's own halves: nothing more is
      // kept, and the result does not depend on what the engine kept before
      const edit = stroke(photo, reference, R / 2)
      const transplant: Edit = { ...edit, layers: [{ reference: { imageId: photo }, mask: rectMask(R, R, 4, 4, R / 2, R / 2), offset: { dx: 8, dy: 0 } }] }
      const before = (await own.render({ edit: transplant, output: { kind: 'generated' } })).generated
      expect(own.inspect.pyramidBytes()).toBe(halfBytes + grown)
      const fresh = new Engine({ stylesBudgetBytes: 1 })
      try {
        await fresh.loadModel(await testModelDir())
        const again = (await fresh.openImage({ bytes: photoBytes })).imageId
        const after = (await fresh.render({ edit: { ...transplant, original: { imageId: again }, layers: [{ ...transplant.layers[0], reference: { imageId: again } }] }, output: { kind: 'generated' } })).generated
        expect(same(before, after)).toBe(true)
      } finally {
        await fresh.dispose()
      }
    } finally {
      await own.dispose()
      await whole.dispose()
    }
  })

  it('opening and closing 50 photos leaves nothing behind', async () => {
    const before = engine.inspect.cacheSizes()
    const mask: Mask = rectMask(R, R, 8, 8, 16, 16)
    for (let i = 0; i < 50; i++) {
      const img = await engine.openImage({ bytes: await gradientPng(R, R, 100 + i) })
      await engine.render({ edit: { original: { imageId: small.imageId }, layers: [{ reference: { imageId: img.imageId }, mask }] }, output: { kind: 'preview' } })
      await engine.closeImage(img.imageId)
    }
    const after = engine.inspect.cacheSizes()
    expect(after.images).toBe(before.images)
    expect(after.stylemaps).toBeLessThanOrEqual(before.stylemaps + 1)
    expect(after.pyramids).toBeLessThanOrEqual(before.pyramids + 1)
  })
})

describe('morph and random', () => {
  it('morph t=0 and t=1 are the two reconstructions', async () => {
    const a = await reconstruction(small.imageId)
    const b = await reconstruction(smallRef.imageId)
    const morph = (t: number) => engine.morph({ a: { imageId: small.imageId }, b: { imageId: smallRef.imageId }, t })
    expect(meanAbsDiff((await morph(0)).image, a)).toBeLessThan(0.5)
    expect(meanAbsDiff((await morph(1)).image, b)).toBeLessThan(0.5)
    expect(meanAbsDiff((await morph(0.5)).image, a)).toBeGreaterThan(0.5)
  })
  it('random is reproducible per seed; truncation 0 gives the mean for every seed', async () => {
    const a = await engine.random({ seed: 11 })
    const again = await engine.random({ seed: 11 })
    const b = await engine.random({ seed: 12 })
    expect(same(a.image, again.image)).toBe(true)
    expect(meanAbsDiff(a.image, b.image)).toBeGreaterThan(1)
    const t0a = await engine.inspect.randomStylemap({ seed: 1, truncation: 0 })
    const t0b = await engine.inspect.randomStylemap({ seed: 2, truncation: 0 })
    expect([...t0a]).toEqual([...t0b])
    const half = await engine.inspect.randomStylemap({ seed: 1, truncation: 0.5 })
    const full = await engine.inspect.randomStylemap({ seed: 1 })
    for (const i of [0, 7, 100]) expect(half[i]).toBeCloseTo((t0a[i] + full[i]) / 2, 4)
    await expect(engine.random({ seed: -1 })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
  })
})

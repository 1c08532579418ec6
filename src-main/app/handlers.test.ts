// The engine-backed channels on the real test model, in process (the bridge spec covers the forked engine).
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testModelDir } from '../engine/testing/models'
import type { EditInput, ProjectDocument } from '../../src-shared/contract'
import { gradientPixels, p3Png, sidewaysPhoto } from '../engine/testing/photos'
import { faces } from '../testing/utkface'
import { makeTestApp, type TestApp } from './testing/harness'

let t: TestApp
let modelDir: string
let photoId: string
let referenceId: string
let resolution: number
const crop = { x: 60, y: 0, size: 360 }

function disc(width: number, height: number, cx: number, cy: number, r: number) {
  const data = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (Math.hypot(x + 0.5 - cx, y + 0.5 - cy) <= r) data[y * width + x] = 255
  return { width, height, data }
}

/** The editor's document for `edit()`: what project save and export send. */
function document(): ProjectDocument {
  return {
    original: { imageId: photoId, crop },
    references: [{ id: 'r1', imageId: referenceId, crop: { x: 0, y: 0, size: 64 }, name: 'ref', color: '#ff5c7a', visible: true, strength: 1, offset: { dx: 0, dy: 0 }, mask: disc(480, 360, 240, 250, 40) }],
    settings: { space: 'wplus', feather: 8, detail: true, livePreview: true },
  }
}

function edit(strength = 1): EditInput {
  return {
    original: { imageId: photoId, crop },
    layers: [{ reference: { imageId: referenceId, crop: { x: 0, y: 0, size: 64 } }, mask: disc(480, 360, 240, 250, 40), strength }],
  }
}

beforeAll(async () => {
  modelDir = await testModelDir()
  t = await makeTestApp({ modelsDir: modelDir })
  const [a, b] = faces(2, 3)
  photoId = (await t.ok('image:import', { name: 'phone.jpg', bytes: await sidewaysPhoto(a.bytes) })).image.imageId
  referenceId = (await t.ok('image:import', { name: 'ref.jpg', bytes: b.bytes })).image.imageId
  resolution = (await t.ok('app:info', {})).model!.resolution
})
afterAll(async () => {
  await t.close()
})

describe('engine channels on the real model', () => {
  it('app info names the provider in use and why the others were skipped', async () => {
    const info = await t.ok('app:info', {})
    expect(info.executionProvider).toBe('cpu')
    expect(info.providers.find((p) => p.name === 'cpu')).toMatchObject({ status: 'active' })
    for (const p of info.providers.filter((p) => p.status === 'failed' || p.status === 'skipped')) expect(p.reason).toBeTruthy()
    expect(info.model).toMatchObject({ active: true, builtIn: true })
  })

  it('prepare encodes the photo and reference crops once; an unknown image fails with its code', async () => {
    const other = { x: 8, y: 8, size: 48 }
    const first = await t.ok('engine:prepare', { original: { imageId: photoId, crop: other }, references: [{ imageId: referenceId, crop: other }] })
    expect(first.encoded).toBe(2)
    expect((await t.ok('engine:prepare', { original: { imageId: photoId, crop: other }, references: [{ imageId: referenceId, crop: other }] })).encoded).toBe(0)
    expect(await t.call('engine:prepare', { original: { imageId: 'img:nope', crop } })).toMatchObject({ ok: false, error: { code: 'E_IMAGE_UNKNOWN' } })
  })

  it('generate pastes the edit into the crop, changing the photo only near the mask', async () => {
    const result = await t.ok('engine:generate', { seq: 1, edit: edit() })
    if (result.status !== 'rendered') throw new Error(result.status)
    expect([result.pasted.width, result.raw.width]).toEqual([360, resolution])
    const before = await sharp(await sharp((await t.ok('image:preview', { imageId: photoId })).preview.bytes).extract({ left: crop.x, top: 0, width: 360, height: 360 }).toBuffer()).raw().toBuffer()
    const after = await sharp(result.pasted.bytes).raw().toBuffer()
    let outside = 0
    let inside = 0
    for (let y = 0; y < 360; y++)
      for (let x = 0; x < 360; x++) {
        const d = Math.hypot(x + crop.x + 0.5 - 240, y + 0.5 - 250)
        const i = (y * 360 + x) * 3
        const diff = Math.abs(before[i] - after[i]) + Math.abs(before[i + 1] - after[i + 1]) + Math.abs(before[i + 2] - after[i + 2])
        if (d > 40 + 8 + 4 && diff) outside++
        if (d < 30 && diff) inside++
      }
    expect(outside).toBe(0)
    expect(inside).toBeGreaterThan(0.5 * Math.PI * 30 * 30)

    const smaller = await t.ok('engine:generate', { seq: 2, edit: edit(), maxSize: 120 })
    expect(smaller.status === 'rendered' && [smaller.pasted.width, smaller.pasted.height]).toEqual([120, 120])
  })

  it('generate requests arriving together coalesce: the newest renders, the ones between are superseded', async () => {
    const answers = await Promise.all([10, 11, 12, 13].map((seq) => t.ok('engine:generate', { seq, edit: edit(seq / 20) })))
    expect(answers.map((a) => [a.seq, a.status])).toEqual([
      [10, 'rendered'],
      [11, 'superseded'],
      [12, 'superseded'],
      [13, 'rendered'],
    ])
    // a late request older than one already rendered never overwrites it
    expect((await t.ok('engine:generate', { seq: 12, edit: edit() })).status).toBe('superseded')
  })

  it('an empty mask leaves the photo exactly as it was', async () => {
    const blank = { ...edit(), layers: [{ ...edit().layers[0], mask: { width: 4, height: 3, data: new Uint8Array(12) } }] }
    const result = await t.ok('engine:generate', { seq: 100, edit: blank })
    if (result.status !== 'rendered') throw new Error(result.status)
    const before = await sharp((await t.ok('image:preview', { imageId: photoId })).preview.bytes).extract({ left: crop.x, top: 0, width: 360, height: 360 }).raw().toBuffer()
    expect((await sharp(result.pasted.bytes).raw().toBuffer()).equals(before)).toBe(true)
  })

  it('the live preview of a 24 MP photo works at the preview size: no full-size paste-back, nothing new held by the engine', async () => {
    const [width, height] = [6000, 4000]
    const jpeg = await sharp(gradientPixels(width, height, 5), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
    const big = (await t.ok('image:import', { name: 'big.jpg', bytes: jpeg })).image
    expect([big.width, big.height]).toEqual([width, height])
    const bigCrop = { x: 2000, y: 500, size: 3200 }
    const bigEdit: EditInput = {
      original: { imageId: big.imageId, crop: bigCrop },
      // a 600 x 400 mask over the whole photo: a disc in the crop's middle
      layers: [{ reference: { imageId: referenceId, crop: { x: 0, y: 0, size: 64 } }, mask: disc(600, 400, 360, 210, 40), strength: 1 }],
    }
    const held = t.engine.inspect.heldImageIds().sort()
    const callsBefore = t.calls.length
    const result = await t.ok('engine:generate', { seq: 500, edit: bigEdit, maxSize: 512 })
    if (result.status !== 'rendered') throw new Error(result.status)
    expect(result.crop).toEqual(bigCrop)
    expect([result.pasted.width, result.pasted.height]).toEqual([512, 512])
    // one engine call, which blends the crop region at the preview size and holds nothing new
    expect(t.calls.slice(callsBefore)).toEqual(['render'])
    expect(t.engine.inspect.heldImageIds().sort()).toEqual(held)
    // the preview shows the edit in the crop's middle and the photo elsewhere
    const shown = await sharp(result.pasted.bytes).raw().toBuffer()
    const photo = await sharp(jpeg).extract({ left: bigCrop.x, top: bigCrop.y, width: bigCrop.size, height: bigCrop.size }).resize(512, 512).raw().toBuffer()
    const diff = (x: number, y: number) => [0, 1, 2].reduce((sum, c) => sum + Math.abs(shown[(y * 512 + x) * 3 + c] - photo[(y * 512 + x) * 3 + c]), 0)
    expect(diff(256, 256)).toBeGreaterThan(0)
    for (const [x, y] of [[20, 20], [490, 40], [30, 480], [480, 480]]) expect(diff(x, y), `${x},${y}`).toBeLessThanOrEqual(6)
    await t.ok('image:release', { imageId: big.imageId })
  }, 60_000)

  it('export writes the full-size photo with the edit where the user chose', async () => {
    const out = join(t.dir, 'edited.webp')
    t.dialogs.answer('saveImage', out)
    const written = await t.ok('file:export', { document: document(), format: 'webp', quality: 90 })
    expect(written).toEqual({ canceled: false, name: 'edited.webp', width: 480, height: 360, format: 'webp', byteLength: expect.any(Number) })
    const meta = await sharp(out).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 480, 360])
    expect(t.dialogs.asked.at(-1)).toEqual({ kind: 'saveImage', suggestion: 'phone-edited.webp' })
    t.dialogs.answer('saveImage', null)
    expect(await t.ok('file:export', { document: document() })).toEqual({ canceled: true })
    // hidden layers change nothing: the export is the photo, pixel for pixel
    const plain = join(t.dir, 'plain.png')
    t.dialogs.answer('saveImage', plain)
    const hidden = document()
    hidden.references[0].visible = false
    await t.ok('file:export', { document: hidden, format: 'png' })
    const photo = await sharp((await t.ok('image:preview', { imageId: photoId, maxSize: 8192 })).preview.bytes).raw().toBuffer()
    expect((await sharp(plain).raw().toBuffer()).equals(photo)).toBe(true)
  })

  it('random and morph give model-resolution images; the same seed gives the same face', async () => {
    const a = await t.ok('engine:random', { seed: 42 })
    const b = await t.ok('engine:random', { seed: 42 })
    const c = await t.ok('engine:random', { seed: 43 })
    expect(a.image.width).toBe(resolution)
    expect(Buffer.from(a.image.bytes).equals(Buffer.from(b.image.bytes))).toBe(true)
    expect(Buffer.from(a.image.bytes).equals(Buffer.from(c.image.bytes))).toBe(false)
    const morph = await t.ok('engine:morph', { a: { imageId: photoId, crop }, b: { imageId: referenceId, crop: { x: 0, y: 0, size: 64 } }, t: 0.5 })
    expect(morph.image.width).toBe(resolution)
  })

  it('models: list, a broken import fails clearly and keeps the active model', async () => {
    const { models } = await t.ok('model:list', {})
    expect(models.filter((m) => m.active)).toHaveLength(1)
    expect(await t.call('model:select', { id: 'nope' })).toMatchObject({ ok: false, error: { code: 'E_MODEL_UNKNOWN' } })

    const broken = await mkdtemp(join(tmpdir(), 'stylemap-broken-model-'))
    try {
      await cp(modelDir, broken, { recursive: true })
      await writeFile(join(broken, 'encoder.onnx'), 'not an onnx graph')
      t.dialogs.answer('openModelFolder', broken)
      const failed = await t.call('model:import', {})
      expect(failed.ok).toBe(false)
      if (!failed.ok) expect(failed.error.code).toMatch(/^E_MODEL_(HASH|GRAPH)$/)
      expect((await t.ok('model:list', {})).models.filter((m) => m.active).map((m) => m.id)).toEqual([models[0].id])
      expect((await t.ok('engine:generate', { seq: 1000, edit: edit() })).status).toBe('rendered')
    } finally {
      await rm(broken, { recursive: true, force: true })
    }
  })

  it('after the engine forgets the images (restart, memory), requests still work', async () => {
    await t.engine.dispose()
    await t.engine.loadModel(modelDir)
    const result = await t.ok('engine:generate', { seq: 2000, edit: edit() })
    expect(result.status).toBe('rendered')
  })

  it('releasing images lets main and the engine forget them: 50 opened and released leave the stores as they were', async () => {
    const heldBefore = t.app.heldImageCount()
    const cachesBefore = t.engine.inspect.cacheSizes()
    for (let i = 0; i < 50; i++) {
      const bytes = await sharp(gradientPixels(96, 96, 40 + i), { raw: { width: 96, height: 96, channels: 3 } }).png().toBuffer()
      const image = (await t.ok('image:import', { name: `ref-${i}.png`, bytes })).image
      const layer = { reference: { imageId: image.imageId, crop: { x: 0, y: 0, size: 96 } }, mask: disc(480, 360, 240, 250, 40) }
      expect((await t.ok('engine:generate', { seq: 3000 + i, edit: { ...edit(), layers: [layer] }, maxSize: 64 })).status).toBe('rendered')
      expect(await t.ok('image:release', { imageId: image.imageId })).toEqual({ released: true })
    }
    expect(t.app.heldImageCount()).toBe(heldBefore)
    const after = t.engine.inspect.cacheSizes()
    expect(after.images).toBe(cachesBefore.images)
    expect(after.stylemaps).toBeLessThanOrEqual(cachesBefore.stylemaps + 1)
    expect(after.pyramids).toBeLessThanOrEqual(cachesBefore.pyramids + 1)
    // a photo held twice (opened twice) stays until its last hold goes
    const twice = await sharp(gradientPixels(64, 64, 99), { raw: { width: 64, height: 64, channels: 3 } }).png().toBuffer()
    const first = (await t.ok('image:import', { name: 'a.png', bytes: twice })).image
    await t.ok('image:import', { name: 'b.png', bytes: twice })
    await t.ok('image:release', { imageId: first.imageId })
    expect(t.engine.inspect.heldImageIds()).toContain(first.imageId)
    await t.ok('image:release', { imageId: first.imageId })
    expect(t.engine.inspect.heldImageIds()).not.toContain(first.imageId)
    expect(await t.ok('image:release', { imageId: first.imageId })).toEqual({ released: false })
  }, 120_000)

  it('a photo with its own colour profile is shown in it: previews carry the profile and the stored values', async () => {
    const bytes = await p3Png(240, 200)
    const icc = (await sharp(bytes).metadata()).icc as Buffer
    const stored = await sharp(bytes).keepIccProfile().raw().toBuffer()
    const photo = (await t.ok('image:import', { name: 'p3.png', bytes })).image
    const { preview } = await t.ok('image:preview', { imageId: photo.imageId })
    expect((await sharp(preview.bytes).metadata()).icc?.equals(icc)).toBe(true)
    expect((await sharp(preview.bytes).keepIccProfile().raw().toBuffer()).equals(stored)).toBe(true)
    const mask = disc(240, 200, 120, 100, 30)
    const live = await t.ok('engine:generate', { seq: 4000, edit: { original: { imageId: photo.imageId, crop: { x: 20, y: 0, size: 200 } }, layers: [{ reference: { imageId: referenceId, crop: { x: 0, y: 0, size: 64 } }, mask }] } })
    if (live.status !== 'rendered') throw new Error(live.status)
    expect((await sharp(live.pasted.bytes).metadata()).icc?.equals(icc)).toBe(true)
    // an untagged photo's previews stay untagged (sRGB)
    expect((await sharp((await t.ok('image:preview', { imageId: referenceId })).preview.bytes).metadata()).icc).toBeUndefined()
    await t.ok('image:release', { imageId: photo.imageId })
  })
})

// Detail transfer's pieces: the high-pass keeps only what lies above the model grid, in the
// right place; the blend follows mask, strength and offset; and through render, the detail
// shows under the mask while the structure stays the generator's.
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Edit, RawImage } from './api.js'
import { blendDetail, detailSigma, hasDetailBand, highPassLuma, highPassRgb, lowPass } from './detail.js'
import { Engine } from './engine.js'
import { testModelDir } from './testing/models.js'
import { gradientPng, rectMask } from './testing/photos.js'

/** A size x size image: a smooth ramp plus vertical stripes `period` pixels apart. */
function stripes(size: number, period: number, channels: 1 | 3): RawImage {
  const data = new Uint8Array(size * size * channels)
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = 60 + (80 * y) / size + (x % period < period / 2 ? 40 : 0)
      for (let c = 0; c < channels; c++) data[(y * size + x) * channels + c] = v
    }
  return { width: size, height: size, channels, data }
}

describe('high-pass', () => {
  it('keeps stripes finer than the model grid, in place, and drops the smooth ramp', async () => {
    const size = 256
    const sigma = detailSigma(size, 64)
    for (const channels of [1, 3] as const) {
      const image = stripes(size, 4, channels)
      const hp = channels === 1 ? await highPassLuma(image, sigma) : highPassRgb(image, await lowPass(image, sigma))
      const at = (x: number, y: number) => hp[(y * size + x) * (channels === 1 ? 1 : 3)]
      // the stripes: +20 on their bright half, -20 on the dark half, the same on every row
      for (const y of [40, 128, 200]) {
        expect(at(128, y), `${channels} channel(s), row ${y}`).toBeGreaterThan(12)
        expect(at(130, y)).toBeLessThan(-12)
      }
      // the ramp (one period over the whole crop) leaves nothing: the mean is zero
      let sum = 0
      for (let y = 32; y < size - 32; y++) for (let x = 32; x < size - 32; x++) sum += at(x, y)
      expect(Math.abs(sum / ((size - 64) * (size - 64)))).toBeLessThan(1)
    }
  })

  it('has no band to add when the output is no larger than the model grid', async () => {
    expect(hasDetailBand(detailSigma(64, 64))).toBe(true)
    expect(hasDetailBand(detailSigma(40, 64))).toBe(false)
    const image = stripes(40, 4, 3)
    const hp = highPassRgb(image, await lowPass(image, detailSigma(40, 64)))
    expect(hp.every((v) => v === 0)).toBe(true)
  })
})

describe('blendDetail', () => {
  it('moves the photo detail toward the reference detail by mask x strength, from where the offset points', () => {
    const size = 4
    const photo = new Float32Array(size * size * 3).fill(10)
    const reference = Float32Array.from({ length: size * size }, (_, i) => i)
    const alpha = new Float32Array(size * size)
    alpha[1 * size + 2] = 1 // pixel (2, 1)
    alpha[3 * size + 3] = 0.5 // pixel (3, 3)
    const out = blendDetail(photo, [{ highPass: reference, alpha, strength: 0.5, dx: 1, dy: 0 }], size)
    // (2, 1) takes the reference at (1, 1) = 5, half-way: 10 + 0.5 * (5 - 10)
    expect(Array.from(out.subarray((1 * size + 2) * 3, (1 * size + 2) * 3 + 3))).toEqual([7.5, 7.5, 7.5])
    // (3, 3) takes (2, 3) = 14 at a quarter
    expect(out[(3 * size + 3) * 3]).toBeCloseTo(10 + 0.25 * (14 - 10))
    // unmasked pixels keep the photo's detail
    expect(out[0]).toBe(10)
    // shifted in from past the crop: no reference detail there
    const edge = new Float32Array(size * size)
    edge[0] = 1
    expect(blendDetail(photo, [{ highPass: reference, alpha: edge, strength: 1, dx: 1, dy: 0 }], size)[0]).toBe(0)
  })
})

describe('render with detail', () => {
  let engine: Engine
  beforeAll(async () => {
    engine = new Engine()
    await engine.loadModel(await testModelDir())
  })
  afterAll(async () => {
    await engine.dispose()
  })

  it('a 4x crop gains the reference fine detail under the mask; downsampled, it is the generator result', async () => {
    const photo = await engine.openImage({ bytes: await gradientPng(256, 256, 1) })
    const stripesPng = await sharp(stripes(256, 4, 3).data, { raw: { width: 256, height: 256, channels: 3 } })
      .png()
      .toBuffer()
    const reference = await engine.openImage({ bytes: stripesPng })
    const edit = (detail: boolean): Edit => ({ original: { imageId: photo.imageId }, layers: [{ reference: { imageId: reference.imageId }, mask: rectMask(256, 256, 64, 64, 128, 128) }], detail })
    const on = (await engine.render({ edit: edit(true), output: { kind: 'preview' } })).pasted
    const off = (await engine.render({ edit: edit(false), output: { kind: 'preview' } })).pasted
    // the stripes show inside (away from the feather) with detail, not without
    const swing = (image: RawImage) => {
      let sum = 0
      for (let y = 100; y < 156; y++) for (let x = 100; x < 156; x += 4) sum += Math.abs(image.data[(y * 256 + x) * 3] - image.data[(y * 256 + x + 2) * 3])
      return sum / (56 * 14)
    }
    expect(swing(on)).toBeGreaterThan(20)
    expect(swing(off)).toBeLessThan(5)
    // at the model's 64 px the two are the same picture
    const small = async (image: RawImage) =>
      sharp(image.data, { raw: { width: 256, height: 256, channels: 3 } })
        .resize(64, 64)
        .raw()
        .toBuffer()
    const [a, b] = [await small(on), await small(off)]
    let d = 0
    for (let i = 0; i < a.length; i++) d += Math.abs(a[i] - b[i])
    expect(d / a.length).toBeLessThan(2)
  })
})

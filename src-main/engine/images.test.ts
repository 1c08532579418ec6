// Decoding the photos people actually have, and refusing what is not a photo.
import { execFileSync } from 'node:child_process'
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkCrop, cropPixels, cropScaled, cropToModel, decodeImage, decodeMask, defaultCrop, fitWithin, imageToTensor, maxInputBytes, resizeImage, tensorToImage, upscaleCubic } from './images.js'
import { alphaPng, bombPng, cmykJpeg, exifRotatedJpeg, gradientPixels, gradientPng, grayscalePng, png16, rectMask, maskPng } from './testing/photos.js'

let work: string
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stylemap-images-test-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

function pixel(img: { width: number; channels: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * img.width + x) * img.channels
  return [...img.data.subarray(i, i + img.channels)]
}

describe('decodeImage', () => {
  it('applies EXIF orientation: a portrait stored sideways comes out upright', async () => {
    const { info, pixels } = await decodeImage({ bytes: await exifRotatedJpeg(120, 80) })
    expect([info.width, info.height]).toEqual([120, 80])
    expect(info.orientation).toBe(6)
    expect(info.hasExif).toBe(true)
    // the gradient is red along x and green along y when upright
    const expected = gradientPixels(120, 80)
    for (const [x, y] of [
      [5, 5],
      [110, 10],
      [10, 70],
      [100, 70],
    ]) {
      const got = pixel(pixels, x, y)
      const want = [...expected.subarray((y * 120 + x) * 3, (y * 120 + x) * 3 + 3)]
      for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[c])).toBeLessThan(12)
    }
  })
  it('converts CMYK to RGB', async () => {
    const { info, pixels } = await decodeImage({ bytes: await cmykJpeg(64, 48) })
    expect(info.space).toBe('cmyk')
    expect(pixels.channels).toBe(3)
    const want = gradientPixels(64, 48)
    const got = pixel(pixels, 32, 24)
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[(24 * 64 + 32) * 3 + c])).toBeLessThan(24)
  })
  it('reduces 16-bit PNGs to the same 8-bit values', async () => {
    const { info, pixels } = await decodeImage({ bytes: await png16(50, 40) })
    expect(info.bitDepth).toBe(16)
    expect(Buffer.from(pixels.data).equals(gradientPixels(50, 40))).toBe(true)
  })
  it('expands grayscale to RGB', async () => {
    const { info, pixels } = await decodeImage({ bytes: await grayscalePng(40, 30) })
    expect(info.space).toBe('b-w')
    expect(pixels.channels).toBe(3)
    const [r, g, b] = pixel(pixels, 20, 15)
    expect(r).toBe(g)
    expect(g).toBe(b)
  })
  it('keeps alpha', async () => {
    const { info, pixels } = await decodeImage({ bytes: await alphaPng(40, 30) })
    expect(info.hasAlpha).toBe(true)
    expect(pixels.channels).toBe(4)
    expect(pixel(pixels, 0, 5)[3]).toBe(0)
    expect(pixel(pixels, 39, 5)[3]).toBe(255)
  })
  it('gives equal ids to equal bytes and different ids to different photos', async () => {
    const a = await decodeImage({ bytes: await gradientPng(30, 30) })
    const b = await decodeImage({ bytes: await gradientPng(30, 30) })
    const c = await decodeImage({ bytes: await gradientPng(30, 30, 1) })
    expect(a.info.imageId).toBe(b.info.imageId)
    expect(a.info.imageId).not.toBe(c.info.imageId)
  })

  it('refuses bad files with stable codes', async () => {
    const good = await gradientPng(200, 150)
    const jpeg = await sharp(gradientPixels(200, 150), { raw: { width: 200, height: 150, channels: 3 } }).jpeg().toBuffer()
    const cases: [string, Buffer | null, string][] = [
      ['missing.png', null, 'E_IMAGE_MISSING'],
      ['empty.png', Buffer.alloc(0), 'E_IMAGE_EMPTY'],
      ['text.png', Buffer.from('this is a shopping list, not a photo\n'), 'E_IMAGE_DECODE'],
      ['corrupt.png', Buffer.concat([good.subarray(0, 40), Buffer.alloc(200, 0x5a), good.subarray(240)]), 'E_IMAGE_DECODE'],
      ['truncated.png', good.subarray(0, Math.floor(good.length / 2)), 'E_IMAGE_DECODE'],
      ['truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'E_IMAGE_DECODE'],
      ['bomb.png', bombPng(), 'E_IMAGE_TOO_LARGE'],
    ]
    for (const [name, bytes, code] of cases) {
      const path = join(work, name)
      if (bytes) await writeFile(path, bytes)
      const error = await decodeImage({ path }).then(
        () => null,
        (e: { code: string; message: string }) => e,
      )
      expect(error, name).toMatchObject({ code })
      expect(error?.message, name).not.toMatch(/\n/)
    }
  })
})

describe('crops and model-resolution tensors', () => {
  it('checks crops against the image', () => {
    expect(defaultCrop(300, 200)).toEqual({ x: 50, y: 0, size: 200 })
    expect(defaultCrop(200, 300)).toEqual({ x: 0, y: 50, size: 200 })
    expect(checkCrop({ x: 10, y: 10, size: 100 }, 300, 200)).toEqual({ x: 10, y: 10, size: 100 })
    for (const bad of [
      { x: -1, y: 0, size: 10 },
      { x: 0, y: 0, size: 0 },
      { x: 250, y: 0, size: 100 },
      { x: 0, y: 150, size: 60 },
      { x: 0.5, y: 0, size: 10 },
    ]) {
      expect(() => checkCrop(bad, 300, 200)).toThrow(expect.objectContaining({ code: 'E_CROP_OUT_OF_BOUNDS' }))
    }
  })
  it('checks frames: whole pixels, a finite angle within -180..180, the centre inside the image, a bounded size', () => {
    // a frame may reach past the edges (x, y negative) as long as its centre is inside
    expect(checkCrop({ x: -40, y: -30, size: 100, angle: 25.5 }, 300, 200)).toEqual({ x: -40, y: -30, size: 100, angle: 25.5 })
    expect(checkCrop({ x: 250, y: 150, size: 100, angle: -180 }, 300, 200)).toEqual({ x: 250, y: 150, size: 100, angle: -180 })
    expect(checkCrop({ x: -150, y: -200, size: 600, angle: 0 }, 300, 200).size).toBe(600)
    for (const [bad, why] of [
      [{ x: -60, y: 0, size: 100, angle: 5 }, /centre \(-10, 50\) outside the 300x200 image/],
      [{ x: 100, y: 160, size: 100, angle: 5 }, /centre/],
      [{ x: 0.5, y: 0, size: 100, angle: 5 }, /whole pixels/],
      [{ x: 0, y: 0, size: 100, angle: 180.5 }, /-180\.\.180/],
      [{ x: 0, y: 0, size: 100, angle: Number.POSITIVE_INFINITY }, /-180\.\.180/],
      [{ x: 0, y: 0, size: 100, angle: '10' as unknown as number }, /-180\.\.180/],
      [{ x: -150, y: -200, size: 601, angle: 0 }, /larger than 600 pixels/],
      [{ x: 0, y: 0, size: 0, angle: 0 }, /positive/],
    ] as const) {
      expect(() => checkCrop(bad, 300, 200)).toThrow(expect.objectContaining({ code: 'E_CROP_OUT_OF_BOUNDS', message: expect.stringMatching(why) }))
    }
    expect(() => checkCrop({ x: 0, y: 0, size: 16385, angle: 0 }, 9000, 9000)).toThrow(/at most 16384/)
  })
  it('an upright frame gives the model the square crop\'s bytes, and past the edge the photo mirrored there', async () => {
    for (const bytes of [await gradientPng(300, 200), await alphaPng(300, 200)]) {
      const { pixels } = await decodeImage({ bytes })
      const square = { x: 90, y: 30, size: 160 }
      const framed = await cropToModel(pixels, { ...square, angle: 0 }, 64)
      expect(Buffer.from(framed.data).equals(Buffer.from((await cropToModel(pixels, square, 64)).data))).toBe(true)
      // a frame 40 px past the left edge: its own pixels, mirrored, are what the model sees
      const past = { x: -40, y: 30, size: 160, angle: 0 }
      const mirrored = cropPixels(pixels, past)
      for (let y = 0; y < 160; y += 7) for (let x = 0; x < 160; x += 3) expect(pixel(mirrored, x, y)).toEqual(pixel(pixels, Math.abs(x - 40), 30 + y))
      const seen = await cropToModel(pixels, past, 64)
      expect(Buffer.from(seen.data).equals(Buffer.from((await cropToModel(mirrored, { x: 0, y: 0, size: 160 }, 64)).data))).toBe(true)
    }
  })
  it('crops and resizes to the model resolution; tensors round-trip', async () => {
    const { pixels } = await decodeImage({ bytes: await gradientPng(300, 200) })
    const crop = await cropToModel(pixels, { x: 100, y: 50, size: 128 }, 64)
    expect([crop.width, crop.height, crop.channels]).toEqual([64, 64, 3])
    // the crop's top-left corner shows the photo's (100, 50)
    const want = pixel(pixels, 101, 51)
    const got = pixel(crop, 0, 0)
    for (let c = 0; c < 3; c++) expect(Math.abs(got[c] - want[c])).toBeLessThan(10)
    const tensor = imageToTensor(crop)
    expect(Math.min(...tensor)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...tensor)).toBeLessThanOrEqual(1)
    expect(Buffer.from(tensorToImage(tensor, 64).data).equals(Buffer.from(crop.data))).toBe(true)
  })
  it('cropScaled gives the crop region downscaled, the same bytes as cropping then fitWithin (RGB and RGBA)', async () => {
    for (const bytes of [await gradientPng(300, 200), await alphaPng(300, 200)]) {
      const { pixels } = await decodeImage({ bytes })
      const crop = { x: 90, y: 30, size: 160 }
      for (const size of [37, 64, 159]) {
        const scaled = await cropScaled(pixels, crop, size)
        const expected = await fitWithin(cropPixels(pixels, crop), size)
        expect([scaled.width, scaled.height, scaled.channels]).toEqual([size, size, pixels.channels])
        expect(Buffer.from(scaled.data).equals(Buffer.from(expected.data))).toBe(true)
      }
      // not smaller than the crop: the crop's own pixels
      expect(Buffer.from((await cropScaled(pixels, crop, 400)).data).equals(Buffer.from(cropPixels(pixels, crop).data))).toBe(true)
      await expect(cropScaled(pixels, { x: 200, y: 0, size: 160 }, 64)).rejects.toMatchObject({ code: 'E_CROP_OUT_OF_BOUNDS' })
    }
  })
  it('clips raw generator output to [-1, 1]', () => {
    const t = Float32Array.from([-3, 0, 3])
    const img = tensorToImage(Float32Array.from([...t, ...t, ...t].map((v, i) => (i % 3 === 0 ? v : v))), 1)
    expect(img.data.length).toBe(3)
    expect(tensorToImage(Float32Array.from([-5, 5, 0]), 1).data).toEqual(Uint8Array.from([0, 255, 128]))
  })
  it('masks: a photo-sized mask file decodes to one channel, alpha multiplied in', async () => {
    const path = join(work, 'mask.png')
    await writeFile(path, await maskPng(rectMask(300, 200, 100, 50, 64, 64)))
    const mask = await decodeMask({ path })
    expect([mask.width, mask.height, mask.data.length]).toEqual([300, 200, 300 * 200])
    expect(mask.data[60 * 300 + 110]).toBe(255)
    expect(mask.data[10 * 300 + 10]).toBe(0)
  })
  it.skipIf(process.platform === 'win32')('refuses a FIFO, /dev/zero or a folder at once with E_IMAGE_NOT_FILE, for photos and masks', { timeout: 5000 }, async () => {
    const fifo = join(work, 'pipe.jpg')
    execFileSync('mkfifo', [fifo])
    const folder = join(work, 'folder.png')
    await mkdir(folder)
    for (const path of [fifo, '/dev/zero', folder]) {
      await expect(decodeImage({ path }), path).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FILE', message: expect.stringContaining('not a regular file') })
    }
    await expect(decodeMask({ path: fifo })).rejects.toMatchObject({ code: 'E_IMAGE_NOT_FILE' })
  })
  it('refuses a photo file over the byte limit before reading it (E_IMAGE_TOO_LARGE)', { timeout: 5000 }, async () => {
    const path = join(work, 'huge.jpg')
    await writeFile(path, '')
    await truncate(path, maxInputBytes + 1) // sparse: nothing is written
    await expect(decodeImage({ path })).rejects.toMatchObject({ code: 'E_IMAGE_TOO_LARGE', message: expect.stringContaining('MiB') })
  })
})

describe('enlarging the generated crop (upscaleCubic)', () => {
  /** A w x h image of `channels` whose value at (x, y, c) is f(x, y, c). */
  const image = (w: number, h: number, channels: 1 | 3 | 4, f: (x: number, y: number, c: number) => number) => {
    const data = new Uint8Array(w * h * channels)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) data[(y * w + x) * channels + c] = f(x, y, c)
    return { width: w, height: h, channels, data }
  }

  it('puts pixel centres where they belong: a ramp comes out as the same ramp, not shifted', () => {
    // 8x: output pixel d sits at input coordinate (d + 0.5) / 8 - 0.5; a cubic that reproduces
    // straight lines gives 3 x that there, away from the clamped edges
    const across = upscaleCubic(image(32, 4, 1, (x) => 3 * x + 20), 256, 32)
    const down = upscaleCubic(image(4, 32, 1, (_, y) => 3 * y + 20), 32, 256)
    for (let d = 24; d < 232; d++) {
      const want = 3 * ((d + 0.5) / 8 - 0.5) + 20
      expect(Math.abs(across.data[5 * 256 + d] - want), `column ${d}`).toBeLessThanOrEqual(0.5)
      expect(Math.abs(down.data[d * 32 + 5] - want), `row ${d}`).toBeLessThanOrEqual(0.5)
    }
  })

  it('keeps flat colour flat to the edges, and clamps the overshoot at a hard edge instead of wrapping it', () => {
    const flat = upscaleCubic(image(5, 7, 3, (_, __, c) => [12, 200, 77][c]), 41, 50)
    expect([flat.width, flat.height, flat.channels]).toEqual([41, 50, 3])
    for (let i = 0; i < flat.data.length; i++) expect(flat.data[i]).toBe([12, 200, 77][i % 3])
    const gray = upscaleCubic(image(3, 3, 1, () => 99), 10, 12)
    expect(gray.data.length).toBe(120)
    expect(gray.data.every((v) => v === 99)).toBe(true)
    // black | white: the cubic rings past both, and those pixels are 0 and 255
    const step = upscaleCubic(image(8, 2, 3, (x) => (x < 4 ? 0 : 255)), 64, 16)
    const row = [...Array(64).keys()].map((x) => step.data[(8 * 64 + x) * 3])
    expect(row.slice(0, 24).every((v) => v === 0)).toBe(true)
    expect(row.slice(40).every((v) => v === 255)).toBe(true)
    // monotone across the edge: nothing wrapped round to the far end of the byte range
    for (let x = 1; x < 64; x++) expect(row[x]).toBeGreaterThanOrEqual(row[x - 1])
  })

  it('agrees with sharp\'s cubic within rounding and filter details, and resizeImage enlarges with it and reduces with sharp', async () => {
    const img = image(64, 64, 3, (x, y, c) => Math.round(127 + 100 * Math.sin(x * 0.21 + c) * Math.cos(y * 0.17 - c)))
    const mine = upscaleCubic(img, 512, 512)
    const theirs = await sharp(img.data, { raw: { width: 64, height: 64, channels: 3 } }).resize(512, 512, { fit: 'fill', kernel: 'cubic' }).raw().toBuffer()
    let sum = 0
    let max = 0
    for (let i = 0; i < theirs.length; i++) {
      const d = Math.abs(mine.data[i] - theirs[i])
      sum += d
      max = Math.max(max, d)
    }
    expect(sum / theirs.length).toBeLessThan(1.5)
    expect(max).toBeLessThanOrEqual(4)
    // (compared as one boolean: a diff of 786,432 bytes takes minutes to print)
    expect(Buffer.from((await resizeImage(img, 512, 512)).data).equals(Buffer.from(mine.data))).toBe(true)
    const smaller = await resizeImage(img, 40, 40)
    const lanczos = await sharp(img.data, { raw: { width: 64, height: 64, channels: 3 } }).resize(40, 40, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer()
    expect(Buffer.from(smaller.data).equals(lanczos)).toBe(true)
  })

  it('leaves images with alpha to sharp, whose colour is premultiplied: transparent black lends no grey to white beside it', async () => {
    // transparent black | opaque white (a reference photo with transparency, as its detail band is made)
    const rgba = image(8, 2, 4, (x) => (x < 4 ? 0 : 255))
    expect(() => upscaleCubic(rgba, 64, 16)).toThrow('4 channels')
    const big = await resizeImage(rgba, 64, 16)
    expect(big.channels).toBe(4)
    // across the edge, every pixel with any opacity is white: colour not mixed with the transparent pixels'
    for (let x = 0; x < 64; x++) {
      const i = (8 * 64 + x) * 4
      if (big.data[i + 3] > 0) expect(big.data.subarray(i, i + 3), `x ${x}`).toEqual(new Uint8Array([255, 255, 255]))
    }
    // and the edge is soft: some of those pixels are partly transparent
    const alphas = [...Array(64).keys()].map((x) => big.data[(8 * 64 + x) * 4 + 3])
    expect(alphas.filter((a) => a > 0 && a < 255).length).toBeGreaterThan(3)
  })
})

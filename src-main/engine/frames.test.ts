// Frames: the contract's mapping (and the sign of its angle), the inverse and the bounding box,
// reflect padding past the photo, antialiased sampling and masks on a frame's grid.
import { describe, expect, it } from 'vitest'
import type { Crop, Mask, RawImage } from './api.js'
import { frameBounds, frameRegion, frameToImage, imageToFrame, nonZeroBounds, reflectedRect, reflectIndex, sampleFrame, sampleMaskFrame } from './frames.js'
import { sampleMaskCrop } from './masks.js'
import { noiseImage, rectMask } from './testing/photos.js'


function stdDev(values: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i]
  const mean = sum / values.length
  let sq = 0
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2
  return Math.sqrt(sq / values.length)
}

describe('frame mapping', () => {
  it('follows the Crop contract: centre + rotate(angle) * (u - size/2, v - size/2), clockwise on screen with y down', () => {
    const crop: Crop = { x: 100, y: 50, size: 200, angle: 30 }
    // the frame's right-middle point lies 100 px from the centre (200, 150) along 30 degrees below the x axis
    const [x, y] = frameToImage(crop, 200, 100)
    expect(x).toBeCloseTo(200 + 100 * Math.cos(Math.PI / 6), 9)
    expect(y).toBeCloseTo(150 + 100 * Math.sin(Math.PI / 6), 9)
    // a quarter turn clockwise: the frame's right points down the photo, its top-left corner sits top-right
    const quarter: Crop = { x: 100, y: 50, size: 200, angle: 90 }
    expect(frameToImage(quarter, 200, 100)).toEqual([200, 250])
    expect(frameToImage(quarter, 0, 0)).toEqual([300, 50])
    // without an angle the frame is the square itself
    expect(frameToImage({ x: 100, y: 50, size: 200 }, 10, 20)).toEqual([110, 70])
  })

  it('imageToFrame undoes frameToImage, and the other way round', () => {
    for (const angle of [-180, -135.5, -20, 0, 7.25, 90, 179]) {
      const crop: Crop = { x: -40, y: 75, size: 333, angle }
      for (const [u, v] of [
        [0, 0],
        [333, 0],
        [12.5, 300.25],
        [166.5, 166.5],
      ]) {
        const [x, y] = frameToImage(crop, u, v)
        const [u2, v2] = imageToFrame(crop, x, y)
        expect(u2).toBeCloseTo(u, 9)
        expect(v2).toBeCloseTo(v, 9)
        const [x2, y2] = frameToImage(crop, ...imageToFrame(crop, u * 2 - 50, v))
        expect(x2).toBeCloseTo(u * 2 - 50, 9)
        expect(y2).toBeCloseTo(v, 9)
      }
    }
  })

  it('the bounding box holds the four corners and touches them; the region is it clipped to the photo', () => {
    for (const angle of [0, 20, -45, 90, 135]) {
      const crop: Crop = { x: 10, y: 20, size: 100, angle }
      const b = frameBounds(crop)
      const corners = [
        [0, 0],
        [100, 0],
        [0, 100],
        [100, 100],
      ].map(([u, v]) => frameToImage(crop, u, v))
      const xs = corners.map((c) => c[0])
      const ys = corners.map((c) => c[1])
      expect(b.left).toBeCloseTo(Math.min(...xs), 9)
      expect(b.right).toBeCloseTo(Math.max(...xs), 9)
      expect(b.top).toBeCloseTo(Math.min(...ys), 9)
      expect(b.bottom).toBeCloseTo(Math.max(...ys), 9)
    }
    // 45 degrees: half the diagonal (70.7) each way from the centre, out to whole pixels
    expect(frameRegion({ x: 200, y: 150, size: 100, angle: 45 }, 400, 400)).toEqual({ x: 179, y: 129, width: 142, height: 142 })
    // centred at (60, 70) it reaches past the top-left: clipped to the photo (to 130.7 and 140.7 on the far sides)
    expect(frameRegion({ x: 10, y: 20, size: 100, angle: 45 }, 400, 400)).toEqual({ x: 0, y: 0, width: 131, height: 141 })
    expect(frameRegion({ x: 10, y: 20, size: 100, angle: 45 }, 100, 90)).toEqual({ x: 0, y: 0, width: 100, height: 90 })
    // an upright square on whole pixels is its own region
    expect(frameRegion({ x: 10, y: 20, size: 50, angle: 0 }, 400, 400)).toEqual({ x: 10, y: 20, width: 50, height: 50 })
  })
})

describe('reflect padding', () => {
  it('mirrors indices about the first and last pixel without repeating them', () => {
    expect([-6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => reflectIndex(i, 4))).toEqual([0, 1, 2, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0, 1, 2, 3])
    expect(reflectIndex(-7, 1)).toBe(0)
  })

  it('a quarter-turned frame past the top-left corner samples the mirrored photo, pixel for pixel', async () => {
    const image = noiseImage(60, 50, 3, 7)
    const crop: Crop = { x: -15, y: -10, size: 40, angle: 90 }
    const out = await sampleFrame(image, crop, 40)
    for (let b = 0; b < 40; b++) {
      for (let a = 0; a < 40; a++) {
        // frame cell (a, b) of a quarter turn clockwise shows photo pixel (x + size - 1 - b, y + a)
        const px = reflectIndex(crop.x + 39 - b, 60)
        const py = reflectIndex(crop.y + a, 50)
        for (let c = 0; c < 3; c++) expect(out.data[(b * 40 + a) * 3 + c], `cell ${a},${b}`).toBe(image.data[(py * 60 + px) * 3 + c])
      }
    }
    // and an upright rectangle past the right and bottom edges is the mirrored photo too
    const rect = reflectedRect(image, { x: 50, y: 45, width: 20, height: 10 })
    for (let y = 0; y < 10; y++) for (let x = 0; x < 20; x++) expect(rect.data[(y * 20 + x) * 3]).toBe(image.data[(reflectIndex(45 + y, 50) * 60 + reflectIndex(50 + x, 60)) * 3])
  })

  it('a turned frame reaching past the edge reads the photo mirrored there, continuous across the edge', async () => {
    // a horizontal ramp, 40 + x at pixel centre x + 0.5: mirrored about the first pixel's centre it reads 40 + |x - 0.5|
    const width = 120
    const image: RawImage = { width, height: 80, channels: 3, data: new Uint8Array(width * 80 * 3) }
    for (let y = 0; y < 80; y++) for (let x = 0; x < width; x++) image.data.fill(40 + x, (y * width + x) * 3, (y * width + x) * 3 + 3)
    const crop: Crop = { x: -30, y: 10, size: 60, angle: 15 }
    const out = await sampleFrame(image, crop, 60)
    let past = 0
    for (let b = 0; b < 60; b++) {
      for (let a = 0; a < 60; a++) {
        const [x] = frameToImage(crop, a + 0.5, b + 0.5)
        if (x < 0) past++
        expect(Math.abs(out.data[(b * 60 + a) * 3] - (40 + Math.abs(x - 0.5))), `cell ${a},${b} at x ${x}`).toBeLessThanOrEqual(1)
      }
    }
    expect(past).toBeGreaterThan(0.4 * 3600)
  })
})

describe('sampleFrame', () => {
  it('antialiases when the output is smaller than the frame: fine stripes come out as their mean, not as moire', async () => {
    const size = 240
    // one-pixel stripes, far finer than the output grid
    const image: RawImage = { width: 400, height: 400, channels: 3, data: new Uint8Array(400 * 400 * 3) }
    for (let y = 0; y < 400; y++) for (let x = 0; x < 400; x++) image.data.fill((x + y) % 2 ? 200 : 40, (y * 400 + x) * 3, (y * 400 + x) * 3 + 3)
    const out = await sampleFrame(image, { x: 80, y: 80, size, angle: 30 }, 60)
    const red = Array.from({ length: 3600 }, (_, i) => out.data[i * 3])
    expect(Math.abs(red.reduce((a, b) => a + b, 0) / red.length - 120)).toBeLessThan(3)
    expect(stdDev(red)).toBeLessThan(4)
  })

  it('keeps the alpha channel of an RGBA photo', async () => {
    const image = noiseImage(50, 50, 4, 3)
    for (let i = 0; i < 2500; i++) image.data[i * 4 + 3] = 128
    const out = await sampleFrame(image, { x: 5, y: 5, size: 40, angle: 10 }, 20)
    expect(out.channels).toBe(4)
    for (let i = 0; i < 400; i++) expect(out.data[i * 4 + 3]).toBe(128)
  })
})

describe('sampleMaskFrame', () => {
  it('upright, it area-averages as the square crop does', () => {
    const mask = rectMask(500, 400, 130, 90, 170, 150)
    const frame = sampleMaskFrame(mask, 500, 400, { x: 50, y: 0, size: 400, angle: 0 }, 64)
    const square = sampleMaskCrop(mask, 500, 400, { x: 50, y: 0, size: 400 }, 64)
    let worst = 0
    for (let i = 0; i < 64 * 64; i++) worst = Math.max(worst, Math.abs(frame.data[i] - square.data[i]))
    // the frame's 13 x 13 points per cell against exact coverage: within a few levels on the edge cells
    expect(worst).toBeLessThanOrEqual(10)
    expect(frame.data.filter((v) => v === 255).length).toBe(square.data.filter((v) => v === 255).length)
  })

  it('follows the turn, and reads 0 past the photo', () => {
    // the right half of the photo painted; a frame turned 90 degrees clockwise looks at it with its top half
    const mask = rectMask(200, 200, 100, 0, 100, 200)
    const quarter = sampleMaskFrame(mask, 200, 200, { x: 0, y: 0, size: 200, angle: 90 }, 8)
    for (let b = 0; b < 8; b++) for (let a = 0; a < 8; a++) expect(quarter.data[b * 8 + a], `cell ${a},${b}`).toBe(b < 4 ? 255 : 0)
    // everything painted, a frame half past the left edge: its left half is outside, so 0
    const full: Mask = { width: 100, height: 100, data: new Uint8Array(10000).fill(255) }
    const past = sampleMaskFrame(full, 100, 100, { x: -40, y: 10, size: 80, angle: 0 }, 8)
    for (let b = 0; b < 8; b++) for (let a = 0; a < 8; a++) expect(past.data[b * 8 + a]).toBe(a < 4 ? 0 : 255)
    // a mask at a quarter of the photo's resolution gives the same grid
    const smallMask = rectMask(50, 50, 25, 0, 25, 50)
    expect(Array.from(sampleMaskFrame(smallMask, 200, 200, { x: 0, y: 0, size: 200, angle: 90 }, 8).data)).toEqual(Array.from(quarter.data))
  })
})

describe('nonZeroBounds of a mask', () => {
  /** A mask of random blobs in a random part of it, with `seed`'s own sizes. */
  function blobs(seed: number): Mask {
    let s = seed
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    const width = 5 + Math.floor(next() * 60)
    const height = 3 + Math.floor(next() * 40)
    const data = new Uint8Array(width * height)
    for (let k = Math.floor(next() * 4); k > 0; k--) {
      const x = Math.floor(next() * width)
      const y = Math.floor(next() * height)
      for (let p = Math.floor(next() * 5); p >= 0; p--) data[Math.min(height - 1, y + p) * width + Math.min(width - 1, x + (p % 3))] = 1 + Math.floor(next() * 255)
    }
    return { width, height, data }
  }

  it('finds the box the cell-by-cell scan finds, whatever the size, offset and first or last byte', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { width, height, data } = blobs(seed)
      // the generic path reads a plain array; the byte path reads words where the view allows
      const want = nonZeroBounds(Array.from(data), width, height)
      expect(nonZeroBounds(data, width, height), `seed ${seed}`).toEqual(want)
      // the same bytes at an offset that is no multiple of 4
      const shifted = new Uint8Array(data.length + 3)
      shifted.set(data, 3)
      expect(nonZeroBounds(shifted.subarray(3), width, height), `seed ${seed}, offset 3`).toEqual(want)
    }
    // narrow masks, where a row's scan outside the box is shorter than a word and the painted
    // bytes of the rows around it share its words
    let s = 11
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    for (let trial = 0; trial < 3000; trial++) {
      const width = 1 + (trial % 9)
      const height = 1 + Math.floor(next() * 4)
      const offset = trial % 4
      const bytes = new Uint8Array(width * height + offset)
      const data = bytes.subarray(offset)
      for (let k = 1 + Math.floor(next() * 3); k > 0; k--) data[Math.floor(next() * data.length)] = 200
      expect(nonZeroBounds(data, width, height), `trial ${trial}`).toEqual(nonZeroBounds(Array.from(data), width, height))
    }
    const single = (at: number) => {
      const data = new Uint8Array(7 * 3)
      data[at] = 9
      return nonZeroBounds(data, 7, 3)
    }
    expect(single(0)).toEqual({ x0: 0, y0: 0, x1: 0, y1: 0 })
    expect(single(20)).toEqual({ x0: 6, y0: 2, x1: 6, y1: 2 })
    expect(nonZeroBounds(new Uint8Array(21), 7, 3)).toBeNull()
  })

  it('lets sampleMaskCrop read only the cells that reach the painted box, with the same values', () => {
    for (let seed = 1; seed <= 120; seed++) {
      const mask = blobs(seed)
      const { width, height } = mask
      // the same mask with both far corners painted: the box is the whole mask, so every cell is read
      const cornered = { width, height, data: Uint8Array.from(mask.data) }
      cornered.data[0] = 255
      cornered.data[width * height - 1] = 255
      // crops that stay a mask pixel off the corners, on a photo four times the mask's size, at sizes above and below it
      const photo = { width: width * 4, height: height * 4 }
      const crop: Crop = { x: 8, y: 8, size: Math.min(photo.width, photo.height) - 16 - (seed % 5) }
      if (crop.size < 4) continue
      for (const size of [3, 16, 41]) {
        expect(Array.from(sampleMaskCrop(mask, photo.width, photo.height, crop, size).data), `seed ${seed} at ${size}`).toEqual(
          Array.from(sampleMaskCrop(cornered, photo.width, photo.height, crop, size).data),
        )
      }
    }
  })
})

// Paste-back: outside mask + feather the photo keeps its exact bytes, also after a PNG export.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Mask, RawImage } from './api.js'
import { Engine } from './engine.js'
import { cropPixels, decodeImage, fitWithin } from './images.js'
import { imageToFrame } from './frames.js'
import { type ChromaMap, chromaMap, colorShift, composite, featherMask, frameDelta, mapEigen, noToneMatch, pasteThroughFrame, toneMatch } from './pasteback.js'
import { testModelDir } from './testing/models.js'
import { alphaPng, exifRotatedJpeg, gradientPixels, noiseImage, p3Png, rectMask } from './testing/photos.js'

/** Distance (Chebyshev) from each pixel to the nearest masked pixel, brute force on small images. */
function distanceToMask(mask: Mask): Float32Array {
  const pts: [number, number][] = []
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) if (mask.data[y * mask.width + x]) pts.push([x, y])
  const out = new Float32Array(mask.width * mask.height).fill(Infinity)
  for (let y = 0; y < mask.height; y++) for (let x = 0; x < mask.width; x++) for (const [px, py] of pts) out[y * mask.width + x] = Math.min(out[y * mask.width + x], Math.max(Math.abs(px - x), Math.abs(py - y)))
  return out
}


describe('featherMask', () => {
  it('is non-zero only within the feather radius of the mask, and 1 deep inside', () => {
    const mask = rectMask(40, 40, 15, 12, 8, 10)
    for (const feather of [0, 1, 4, 7]) {
      const alpha = featherMask(mask, feather)
      const dist = distanceToMask(mask)
      for (let i = 0; i < alpha.length; i++) {
        if (dist[i] > feather) expect(alpha[i], `feather ${feather} at ${i}`).toBe(0)
      }
      expect(alpha[(12 + 5) * 40 + 15 + 4]).toBeGreaterThan(0.6)
    }
    // a soft edge: feathered values between 0 and 1 exist
    const soft = featherMask(mask, 6)
    expect(soft.some((a) => a > 0.05 && a < 0.95)).toBe(true)
  })

  it('blurs only around the painted box, with the weights the whole mask gives', () => {
    let s = 7
    const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32)
    for (let run = 0; run < 60; run++) {
      const width = 40 + Math.floor(next() * 60)
      const height = 40 + Math.floor(next() * 60)
      const feather = Math.floor(next() * 12)
      const stroke = new Uint8Array(width * height)
      // a soft dab somewhere, touching a border now and then
      const cx = Math.floor(next() * width)
      const cy = Math.floor(next() * height)
      for (let y = Math.max(0, cy - 6); y < Math.min(height, cy + 6); y++) for (let x = Math.max(0, cx - 6); x < Math.min(width, cx + 6); x++) stroke[y * width + x] = 40 + Math.floor(next() * 215)
      // the same with both far corners painted: the painted box is the whole mask, so the blurs run on all of it
      const whole = Uint8Array.from(stroke)
      whole[0] = 255
      whole[width * height - 1] = 255
      const got = featherMask({ width, height, data: stroke }, feather)
      const want = featherMask({ width, height, data: whole }, feather)
      const reach = feather + 2
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          // the corners' own weights aside
          if ((x <= reach && y <= reach) || (x >= width - 1 - reach && y >= height - 1 - reach)) continue
          expect(got[y * width + x], `run ${run} at ${x},${y}`).toBe(want[y * width + x])
        }
      }
    }
  })
})

describe('composite', () => {
  it('writes only where the weight is above zero, and leaves alpha alone', () => {
    const photo = noiseImage(50, 40, 4, 1)
    const crop = { x: 10, y: 5, size: 30 }
    const generated = noiseImage(30, 30, 3, 2)
    const alpha = featherMask(rectMask(30, 30, 10, 10, 8, 8), 4)
    const out = composite(photo, crop, generated, alpha)
    let changed = 0
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < 50; x++) {
        const i = (y * 50 + x) * 4
        const inCrop = x >= 10 && x < 40 && y >= 5 && y < 35
        const a = inCrop ? alpha[(y - 5) * 30 + (x - 10)] : 0
        expect(out.data[i + 3]).toBe(photo.data[i + 3])
        if (a === 0) for (let c = 0; c < 3; c++) expect(out.data[i + c]).toBe(photo.data[i + c])
        else if (out.data[i] !== photo.data[i]) changed++
      }
    }
    expect(changed).toBeGreaterThan(40)
  })
})

describe('pasteThroughFrame', () => {
  it('carries a frame-space change into the photo through the turn, writing only near the change', () => {
    const photo = noiseImage(120, 100, 4, 21)
    const crop = { x: 20, y: 10, size: 80, angle: 30 }
    const n = 40
    // a change of +30 red, -20 green over frame cells 10..19 x 15..24 (frame points 20..40 x 30..50)
    const region = noiseImage(n, n, 4, 22)
    // (room for the whole change in the frame's own pixels)
    for (let i = 0; i < region.data.length; i++) region.data[i] = 40 + (region.data[i] % 160)
    const result = { ...region, data: Uint8Array.from(region.data) }
    for (let b = 15; b < 25; b++) {
      for (let a = 10; a < 20; a++) {
        const k = (b * n + a) * 4
        result.data[k] = Math.min(255, region.data[k] + 30)
        result.data[k + 1] = Math.max(0, region.data[k + 1] - 20)
      }
    }
    const delta = frameDelta(region, result)
    const out = pasteThroughFrame(photo, { x: 0, y: 0, width: 120, height: 100 }, crop, delta, n)
    let deep = 0
    for (let y = 0; y < 100; y++) {
      for (let x = 0; x < 120; x++) {
        const i = (y * 120 + x) * 4
        const [u, v] = imageToFrame(crop, x + 0.5, y + 0.5)
        // distance from the changed frame points, in frame cells (2 frame units each)
        const d = Math.max(20 - u, u - 40, 30 - v, v - 50, 0) / 2
        expect(out.data[i + 3]).toBe(photo.data[i + 3])
        if (d > 1) for (let c = 0; c < 3; c++) expect(out.data[i + c], `pixel ${x},${y}`).toBe(photo.data[i + c])
        // everywhere: the photo plus the change read bilinearly at the pixel's frame point (cell centres at whole grid numbers)
        if (u >= 0 && v >= 0 && u < 80 && v < 80) {
          const gx = Math.min(n - 1, Math.max(0, u / 2 - 0.5))
          const gy = Math.min(n - 1, Math.max(0, v / 2 - 0.5))
          const at = (a: number, b: number, c: number) => delta[(Math.min(n - 1, b) * n + Math.min(n - 1, a)) * 3 + c]
          const [a, b] = [Math.floor(gx), Math.floor(gy)]
          const [wx, wy] = [gx - a, gy - b]
          for (let c = 0; c < 3; c++) {
            const change = (1 - wy) * ((1 - wx) * at(a, b, c) + wx * at(a + 1, b, c)) + wy * ((1 - wx) * at(a, b + 1, c) + wx * at(a + 1, b + 1, c))
            expect(Math.abs(out.data[i + c] - Math.min(255, Math.max(0, photo.data[i + c] + change))), `pixel ${x},${y}`).toBeLessThanOrEqual(0.5)
          }
        } else for (let c = 0; c < 3; c++) expect(out.data[i + c]).toBe(photo.data[i + c])
        // well inside, the whole change (where the photo leaves room for it)
        if (Math.min(u - 21, 39 - u, v - 31, 49 - v) > 0 && photo.data[i] < 220 && photo.data[i + 1] > 25) {
          deep++
          expect(out.data[i]).toBe(photo.data[i] + 30)
          expect(out.data[i + 1]).toBe(photo.data[i + 1] - 20)
          expect(out.data[i + 2]).toBe(photo.data[i + 2])
        }
      }
    }
    expect(deep).toBeGreaterThan(100)
    // no change: the same bytes
    expect(Buffer.from(pasteThroughFrame(photo, { x: 0, y: 0, width: 120, height: 100 }, crop, new Int16Array(n * n * 3), n).data).equals(Buffer.from(photo.data))).toBe(true)
  })

  it('upright at full scale, the photo becomes the frame result exactly', () => {
    const photo = noiseImage(60, 50, 3, 31)
    const crop = { x: 12, y: 7, size: 30, angle: 0 }
    const region = { width: 30, height: 30, channels: 3 as const, data: new Uint8Array(30 * 30 * 3) }
    for (let y = 0; y < 30; y++) region.data.set(photo.data.subarray(((7 + y) * 60 + 12) * 3, ((7 + y) * 60 + 42) * 3), y * 90)
    const result = noiseImage(30, 30, 3, 32)
    const out = pasteThroughFrame(photo, { x: 0, y: 0, width: 60, height: 50 }, crop, frameDelta(region, result), 30)
    for (let y = 0; y < 50; y++) {
      for (let x = 0; x < 60; x++) {
        const inside = x >= 12 && x < 42 && y >= 7 && y < 37
        for (let c = 0; c < 3; c++) expect(out.data[(y * 60 + x) * 3 + c]).toBe(inside ? result.data[((y - 7) * 30 + x - 12) * 3 + c] : photo.data[(y * 60 + x) * 3 + c])
      }
    }
  })
})

describe('colour match', () => {
  it('removes a uniform colour cast of the generated crop, measured where the photo is kept', () => {
    const photo = noiseImage(60, 60, 3, 5)
    const crop = { x: 5, y: 5, size: 50 }
    const cast = [18, -12, 6]
    const generated: RawImage = { width: 50, height: 50, channels: 3, data: new Uint8Array(50 * 50 * 3) }
    for (let y = 0; y < 50; y++) {
      for (let x = 0; x < 50; x++) {
        for (let c = 0; c < 3; c++) {
          const v = photo.data[((y + 5) * 60 + x + 5) * 3 + c] - cast[c]
          generated.data[(y * 50 + x) * 3 + c] = Math.max(0, Math.min(255, v))
        }
      }
    }
    const alpha = featherMask(rectMask(50, 50, 15, 15, 20, 20), 2)
    const shift = colorShift(photo, crop, generated, alpha)
    // clipping at 0/255 of noisy pixels biases the estimate a little
    for (let c = 0; c < 3; c++) expect(Math.abs(shift[c] - cast[c])).toBeLessThan(3)
    const matched = composite(photo, crop, generated, alpha, { ...noToneMatch, shift })
    const plain = composite(photo, crop, generated, alpha)
    const error = (img: RawImage): number => {
      let sum = 0
      for (let y = 25; y < 30; y++) for (let x = 25; x < 30; x++) for (let c = 0; c < 3; c++) sum += img.data[(y * 60 + x) * 3 + c] - photo.data[(y * 60 + x) * 3 + c]
      return Math.abs(sum / 75)
    }
    expect(error(matched)).toBeLessThan(error(plain) / 2)
  })

  it('a black-and-white or tinted photo gets an edit in its own tint; a colour photo keeps the generated colour', () => {
    const size = 40
    const crop = { x: 0, y: 0, size }
    const alpha = featherMask(rectMask(size, size, 12, 12, 16, 16), 2)
    // a generator output with colour fringes everywhere
    const generated = noiseImage(size, size, 3, 4)
    for (const tint of [0, 12]) {
      // grey noise, warmed by `tint` (an old print): red up, blue down
      const photo = noiseImage(size, size, 3, 9)
      for (let i = 0; i < size * size; i++) {
        const v = 20 + (photo.data[i * 3] % 200)
        photo.data.set([v + tint, v, v - tint], i * 3)
      }
      const tone = toneMatch(photo, crop, generated, alpha, colorShift(photo, crop, generated, alpha))
      expect(Math.max(...gains(tone.chroma)), `tint ${tint}`).toBeLessThan(0.05)
      const out = composite(photo, crop, generated, alpha, tone)
      for (let i = 0; i < size * size; i++) {
        const [r, g, b] = out.data.subarray(i * 3, i * 3 + 3)
        // (where the noise's brightness runs into 0 or 255 the tint is clipped away)
        if (Math.min(r, g, b) < 2 || Math.max(r, g, b) > 253) continue
        // the photo's tint, give or take the rounding and what is left of the fringes
        expect(Math.abs(r - g - tint), `tint ${tint}, pixel ${i}`).toBeLessThanOrEqual(3)
        expect(Math.abs(g - b - tint), `tint ${tint}, pixel ${i}`).toBeLessThanOrEqual(3)
      }
    }
    // a photo as colourful as the generator's output keeps it all; a greyer generator is never saturated
    const colour = noiseImage(size, size, 3, 11)
    expect(Math.min(...gains(toneMatch(colour, crop, generated, alpha, [0, 0, 0]).chroma))).toBeGreaterThan(0.9)
    const grey = noiseImage(size, size, 3, 13)
    for (let i = 0; i < size * size; i++) grey.data[i * 3 + 1] = grey.data[i * 3 + 2] = grey.data[i * 3]
    for (const gain of gains(toneMatch(colour, crop, grey, alpha, [0, 0, 0]).chroma)) expect(gain).toBeCloseTo(1, 6)
  })

  it('a tone match does not depend on the crops matched before it', () => {
    const size = 40
    const crop = { x: 0, y: 0, size }
    const alpha = featherMask(rectMask(size, size, 12, 12, 16, 16), 2)
    const generated = noiseImage(size, size, 3, 31)
    // a greyish photo with a little tint noise, and a very colourful one
    const grey = noiseImage(size, size, 3, 32)
    for (let i = 0; i < size * size; i++) grey.data.set([grey.data[i * 3] % 4, 0, grey.data[i * 3 + 2] % 4].map((d) => 100 + d), i * 3)
    const colour = noiseImage(size, size, 3, 33)
    const first = toneMatch(grey, crop, generated, alpha, [0, 0, 0])
    expect(first.chromaLimit).toBeLessThan(5)
    toneMatch(colour, crop, generated, alpha, [0, 0, 0])
    expect(toneMatch(grey, crop, generated, alpha, [0, 0, 0])).toEqual(first)
    // one that keeps too little of the photo to measure stops early, and leaves nothing behind either
    toneMatch(colour, crop, generated, new Float32Array(size * size).fill(1).fill(0, 0, 70), [0, 0, 0])
    expect(toneMatch(grey, crop, generated, alpha, [0, 0, 0])).toEqual(first)
  })

  it('chromaMap takes the generator\'s colour variation onto the photo\'s hues, and never strengthens it', () => {
    const apply = ([a, b, c]: ChromaMap, [u, v]: [number, number]): [number, number] => [a * u + b * v, b * u + c * v]
    // the photo's chroma varies along one hue only, (1, -1) in (R - Y, B - Y): warmer or cooler
    const along = [Math.SQRT1_2, -Math.SQRT1_2] as [number, number]
    const sepia: ChromaMap = [50, -50, 50]
    const map = chromaMap([400, 0, 400], sepia)
    const [u0, v0] = apply(map, [along[1], -along[0]])
    expect(Math.hypot(u0, v0)).toBeLessThan(1e-3)
    // along it the spread is the photo's: sd 10 of the generator's 20
    const [u1, v1] = apply(map, along)
    expect(u1 * along[0] + v1 * along[1]).toBeCloseTo(0.5, 3)
    // a photo more colourful than the generator every way keeps the generator's colour as it is
    const same = chromaMap([30, 5, 20], [900, 100, 700])
    expect(same[0]).toBeCloseTo(1, 6)
    expect(same[1]).toBeCloseTo(0, 6)
    expect(same[2]).toBeCloseTo(1, 6)
    // a generator whose colour varies like the photo's keeps it as it is too
    const twin = chromaMap([120, -40, 60], [120, -40, 60])
    ;[1, 0, 1].forEach((v, i) => expect(twin[i]).toBeCloseTo(v, 3))
    // with both colourful but in different hues, no direction gains
    for (const gain of gains(chromaMap([100, 80, 90], [300, -200, 150]))) expect(gain).toBeLessThanOrEqual(1 + 1e-9)
    // mapEigen: the identity leaves a matrix as it is, a square root squared gives it back
    const m: ChromaMap = [5, 2, 3]
    mapEigen(m, (l) => l).forEach((v, i) => expect(v).toBeCloseTo(m[i], 9))
    const [ra, rb, rc] = mapEigen(m, Math.sqrt)
    ;[ra * ra + rb * rb, ra * rb + rb * rc, rb * rb + rc * rc].forEach((v, i) => expect(v).toBeCloseTo(m[i], 9))
  })

  it('an old print tinted along one hue gets an edit in that hue, no further from its tint than the print itself goes', () => {
    const size = 48
    const crop = { x: 0, y: 0, size }
    const alpha = featherMask(rectMask(size, size, 14, 14, 20, 20), 2)
    // colour fringes in every hue, and a red blob (lips) under the mask
    const generated = noiseImage(size, size, 3, 21)
    for (let y = 20; y < 28; y++) for (let x = 18; x < 30; x++) generated.data.set([230, 40, 90], (y * size + x) * 3)
    // a print whose tint warms with its brightness: red up and blue down by up to 12
    const photo = noiseImage(size, size, 3, 22)
    const tintOf = (v: number) => Math.round((12 * v) / 255)
    let widest = 0
    for (let i = 0; i < size * size; i++) {
      const v = 30 + (photo.data[i * 3] % 190)
      photo.data.set([v + tintOf(v), v, v - tintOf(v)], i * 3)
    }
    const tone = toneMatch(photo, crop, generated, alpha, colorShift(photo, crop, generated, alpha))
    const [pu, , pv] = tone.photoMean
    const chromaOf = (data: Uint8Array, i: number): [number, number] => {
      const [r, g, b] = data.subarray(i * 3, i * 3 + 3)
      const y = 0.299 * r + 0.587 * g + 0.114 * b
      return [r - y - pu, b - y - pv]
    }
    for (let i = 0; i < size * size; i++) widest = Math.max(widest, Math.hypot(...chromaOf(photo.data, i)))
    // the hue it varies along, in (R - Y, B - Y): (t, 0, -t) added to a grey is (1 - 0.185, -1 - 0.185) t
    const hue = [0.815 / Math.hypot(0.815, 1.185), -1.185 / Math.hypot(0.815, 1.185)]
    const out = composite(photo, crop, generated, alpha, tone)
    let edited = 0
    for (let i = 0; i < size * size; i++) {
      if (alpha[i] < 1) continue
      edited++
      const [u, v] = chromaOf(out.data, i)
      // off the print's hue by no more than the rounding to bytes
      expect(Math.abs(u * hue[1] - v * hue[0]), `pixel ${i}`).toBeLessThan(1)
      expect(Math.hypot(u, v), `pixel ${i}`).toBeLessThanOrEqual(widest + 1)
    }
    expect(edited).toBeGreaterThan(200)
  })
})

/** A chroma map's gains: its eigenvalues. */
function gains([a, b, c]: ChromaMap): [number, number] {
  const half = Math.hypot((a - c) / 2, b)
  return [(a + c) / 2 + half, (a + c) / 2 - half]
}

/** What the written file holds, as raw pixels. */
async function readBack(path: string): Promise<RawImage> {
  const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, channels: info.channels as 3 | 4, data: new Uint8Array(data) }
}

describe('render: paste-back on a real photo and model', () => {
  let engine: Engine
  let work: string
  beforeAll(async () => {
    engine = new Engine()
    await engine.loadModel(await testModelDir())
    work = await mkdtemp(join(tmpdir(), 'stylemap-paste-test-'))
  })
  afterAll(async () => {
    await engine.dispose()
    await rm(work, { recursive: true, force: true })
  })

  for (const [name, make] of [
    ['EXIF-rotated JPEG', () => exifRotatedJpeg(360, 240)],
    ['RGBA PNG', () => alphaPng(300, 260)],
  ] as const) {
    const crop = { x: 40, y: 20, size: 200 }
    const feather = 6
    /** The photo itself as the reference (another crop of it), masked at crop (60, 70) 50x40. */
    const editOf = (imageId: string, width: number, height: number) => ({
      original: { imageId, crop },
      layers: [{ reference: { imageId, crop: { x: 0, y: 0, size: 180 } }, mask: rectMask(width, height, crop.x + 60, crop.y + 70, 50, 40) }],
      feather,
    })

    it(`${name}: every pixel outside mask + feather is bit-identical in the exported file`, async () => {
      const photo = await engine.openImage({ bytes: await make() })
      const original = await decodeImage({ bytes: await make() })
      const out = join(work, `${name.replace(/\W+/g, '-')}.png`)
      const { file } = await engine.render({ edit: editOf(photo.imageId, photo.width, photo.height), output: { kind: 'file', path: out } })
      expect([file.width, file.height]).toEqual([photo.width, photo.height])
      const written = await readBack(out)
      expect([written.width, written.height, written.channels]).toEqual([photo.width, photo.height, original.pixels.channels])
      const ch = original.pixels.channels
      let inside = 0
      let changedInside = 0
      for (let y = 0; y < photo.height; y++) {
        for (let x = 0; x < photo.width; x++) {
          const i = (y * photo.width + x) * ch
          const cx = x - crop.x - 60
          const cy = y - crop.y - 70
          const near = cx >= -feather && cx < 50 + feather && cy >= -feather && cy < 40 + feather
          if (!near) {
            for (let c = 0; c < ch; c++) if (written.data[i + c] !== original.pixels.data[i + c]) throw new Error(`pixel ${x},${y} changed outside mask + feather`)
          } else {
            inside++
            if (written.data[i] !== original.pixels.data[i] || written.data[i + 1] !== original.pixels.data[i + 1]) changedInside++
          }
        }
      }
      expect(changedInside / inside).toBeGreaterThan(0.3)
    })

    it(`${name}: the preview is the exported file's crop region byte for byte, and holds nothing new`, async () => {
      const photo = await engine.openImage({ bytes: await make() })
      const edit = editOf(photo.imageId, photo.width, photo.height)
      const held = engine.inspect.heldImageIds().sort()
      const preview = await engine.render({ edit, output: { kind: 'preview' } })
      expect(engine.inspect.heldImageIds().sort()).toEqual(held)
      expect(preview.crop).toEqual(crop)
      const out = join(work, `${name.replace(/\W+/g, '-')}-full.png`)
      await engine.render({ edit, output: { kind: 'file', path: out } })
      expect(engine.inspect.heldImageIds().sort()).toEqual(held)
      const expected = cropPixels(await readBack(out), crop)
      const { pasted } = preview
      expect([pasted.width, pasted.height, pasted.channels]).toEqual([200, 200, expected.channels])
      expect(Buffer.from(pasted.data).equals(Buffer.from(expected.data))).toBe(true)
      // outside mask + feather the preview holds the photo's own bytes; inside, the edit shows
      const before = cropPixels(await engine.getPixels(photo.imageId), crop)
      const ch = before.channels
      let changedInside = 0
      for (let y = 0; y < 200; y++) {
        for (let x = 0; x < 200; x++) {
          const i = (y * 200 + x) * ch
          const near = x >= 60 - feather && x < 110 + feather && y >= 70 - feather && y < 110 + feather
          if (!near) {
            for (let c = 0; c < ch; c++) if (pasted.data[i + c] !== before.data[i + c]) throw new Error(`preview pixel ${x},${y} changed outside mask + feather`)
          } else if (pasted.data[i] !== before.data[i] || pasted.data[i + 1] !== before.data[i + 1]) changedInside++
        }
      }
      expect(changedInside).toBeGreaterThan(0.3 * 62 * 52)
      // smaller on screen, the blend is done at the output size: the photo's crop region is
      // downscaled first and mask, generated image and feather brought to 50 px. So it is not
      // the full paste-back scaled byte for byte (that took the full-size work the preview
      // avoids); it is the downscaled photo crop exactly away from the edit, and close to the
      // scaled paste-back on the edit
      const small = (await engine.render({ edit, output: { kind: 'preview', maxSize: 50 } })).pasted
      expect([small.width, small.height, small.channels]).toEqual([50, 50, ch])
      const plain = await fitWithin(before, 50)
      const scaledFull = await fitWithin(pasted, 50)
      // mask 60..110 x 70..110 of 200 -> 15..27.5 x 17.5..27.5 of 50; feather 6 -> 1.5, plus a pixel of area sampling
      const reach = 1 + 1.5
      let editDiff = 0
      let editCount = 0
      let changedSmall = 0
      for (let y = 0; y < 50; y++) {
        for (let x = 0; x < 50; x++) {
          const i = (y * 50 + x) * ch
          const far = x < 15 - reach || x >= 27.5 + reach || y < 17.5 - reach || y >= 27.5 + reach
          if (far) {
            for (let c = 0; c < ch; c++) if (small.data[i + c] !== plain.data[i + c]) throw new Error(`small preview pixel ${x},${y} differs from the downscaled photo away from the edit`)
            continue
          }
          for (let c = 0; c < 3; c++) editDiff += Math.abs(small.data[i + c] - scaledFull.data[i + c])
          editCount += 3
          if (small.data[i] !== plain.data[i] || small.data[i + 1] !== plain.data[i + 1]) changedSmall++
        }
      }
      expect(changedSmall).toBeGreaterThan(0.3 * 13 * 10)
      expect(editDiff / editCount).toBeLessThan(4)
      await expect(engine.render({ edit, output: { kind: 'preview', maxSize: 0 } })).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
      await expect(engine.render({ edit: { ...edit, original: { imageId: photo.imageId, crop: { x: 200, y: 20, size: 200 } } }, output: { kind: 'preview' } })).rejects.toMatchObject({
        code: 'E_CROP_OUT_OF_BOUNDS',
      })
    })
  }

  it('a photo with its own colour profile (Display P3) keeps its stored values outside the mask, and its profile', async () => {
    const [width, height] = [240, 200]
    const bytes = await p3Png(width, height)
    // the values the file stores (p3Png converted the sRGB gradient into Display P3 to write them)
    const stored = await sharp(bytes).keepIccProfile().raw().toBuffer()
    expect(stored.equals(gradientPixels(width, height))).toBe(false)
    const photo = await engine.openImage({ bytes })
    // what the engine works on are the values in the file, not a conversion of them
    expect(Buffer.from((await engine.getPixels(photo.imageId)).data).equals(stored)).toBe(true)
    const crop = { x: 20, y: 0, size: 200 }
    const feather = 6
    const edit = { original: { imageId: photo.imageId, crop }, layers: [{ reference: { imageId: photo.imageId }, mask: rectMask(width, height, 80, 70, 60, 50) }], feather }
    const out = join(work, 'p3-edit.png')
    await engine.render({ edit, output: { kind: 'file', path: out } })
    const written = await sharp(out).keepIccProfile().raw().toBuffer()
    expect((await sharp(out).metadata()).icc?.equals((await sharp(bytes).metadata()).icc as Buffer)).toBe(true)
    let changed = 0
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const near = x >= 80 - feather && x < 140 + feather && y >= 70 - feather && y < 120 + feather
        const i = (y * width + x) * 3
        const same = written[i] === stored[i] && written[i + 1] === stored[i + 1] && written[i + 2] === stored[i + 2]
        if (!near && !same) throw new Error(`pixel ${x},${y} outside mask + feather changed: ${[...written.subarray(i, i + 3)]} vs ${[...stored.subarray(i, i + 3)]}`)
        if (near && !same) changed++
      }
    }
    expect(changed).toBeGreaterThan(60 * 50 * 0.3)
  })

  it('a 6000x4000 photo: the preview is blended at maxSize, the downscaled photo exactly away from the edit and close to the scaled export on it', async () => {
    const [width, height] = [6000, 4000]
    const jpeg = await sharp(gradientPixels(width, height, 3), { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
    const photo = await engine.openImage({ bytes: jpeg })
    const crop = { x: 1800, y: 600, size: 3000 }
    // the edit covers the middle fifth of the crop (photo 3000..3600 x 1800..2400), painted on a
    // 300x200 mask as the editor stores it for a large photo
    const edit = { original: { imageId: photo.imageId, crop }, layers: [{ reference: { imageId: photo.imageId }, mask: rectMask(300, 200, 150, 90, 30, 30) }], feather: 16 }
    const held = engine.inspect.heldImageIds().sort()
    const { pasted: preview } = await engine.render({ edit, output: { kind: 'preview', maxSize: 512 } })
    expect([preview.width, preview.height, preview.channels, preview.data.length]).toEqual([512, 512, 3, 512 * 512 * 3])
    // no full-size result was made and kept: the engine holds exactly what it held before
    expect(engine.inspect.heldImageIds().sort()).toEqual(held)
    // the preview is the photo's crop region away from the edit (mask at 1200..1800 px of the
    // crop, ~205..307 on screen; feather 16 -> 2.7 px on screen)
    const plain = await fitWithin(cropPixels(await engine.getPixels(photo.imageId), crop), 512)
    // what the export shows on the same screen: the exported file's crop region downscaled
    const out = join(work, 'big.png')
    await engine.render({ edit, output: { kind: 'file', path: out } })
    const exportedSmall = await fitWithin(cropPixels(await readBack(out), crop), 512)
    let changed = 0
    let editDiff = 0
    let editCount = 0
    for (let y = 0; y < 512; y++) {
      for (let x = 0; x < 512; x++) {
        const i = (y * 512 + x) * 3
        const far = x < 200 || x > 311 || y < 200 || y > 311
        const differs = preview.data[i] !== plain.data[i] || preview.data[i + 1] !== plain.data[i + 1] || preview.data[i + 2] !== plain.data[i + 2]
        if (far && differs) throw new Error(`preview pixel ${x},${y} changed away from the edit`)
        if (far) continue
        if (differs) changed++
        for (let c = 0; c < 3; c++) editDiff += Math.abs(preview.data[i + c] - exportedSmall.data[i + c])
        editCount += 3
      }
    }
    expect(changed).toBeGreaterThan(0.3 * 102 * 102)
    expect(editDiff / editCount).toBeLessThan(4)
    await engine.closeImage(photo.imageId)
  }, 120_000)
})

// Paste-back of a generated crop into the full-resolution photo. Only pixels where the
// feathered mask is above zero are written, so everything outside mask + feather keeps the
// photo's exact bytes.
import type { Crop, Mask, RawImage } from './api.js'

/** Box blur of radius h along rows then columns, in place over a w x h float plane. */
function boxBlur(values: Float32Array, width: number, height: number, radius: number): void {
  if (radius <= 0) return
  const line = new Float32Array(Math.max(width, height))
  const norm = 1 / (2 * radius + 1)
  for (let y = 0; y < height; y++) {
    const row = y * width
    let sum = 0
    for (let x = -radius; x <= radius; x++) if (x >= 0 && x < width) sum += values[row + x]
    for (let x = 0; x < width; x++) {
      line[x] = sum * norm
      const add = x + radius + 1
      const drop = x - radius
      if (add < width) sum += values[row + add]
      if (drop >= 0) sum -= values[row + drop]
    }
    values.set(line.subarray(0, width), row)
  }
  for (let x = 0; x < width; x++) {
    let sum = 0
    for (let y = -radius; y <= radius; y++) if (y >= 0 && y < height) sum += values[y * width + x]
    for (let y = 0; y < height; y++) {
      line[y] = sum * norm
      const add = y + radius + 1
      const drop = y - radius
      if (add < height) sum += values[add * width + x]
      if (drop >= 0) sum -= values[drop * width + x]
    }
    for (let y = 0; y < height; y++) values[y * width + x] = line[y]
  }
}

/**
 * Blend weights from a mask: two box blurs of radius floor(feather / 2) (a tent filter), so a
 * weight is non-zero only within `feather` pixels of a masked pixel. Values below 1/1024 are
 * cut to 0 so float dust never touches a pixel.
 */
export function featherMask(mask: Mask, feather: number): Float32Array {
  const { width, height, data } = mask
  const alpha = new Float32Array(width * height)
  for (let i = 0; i < alpha.length; i++) alpha[i] = data[i] / 255
  const half = Math.floor(Math.max(0, feather) / 2)
  boxBlur(alpha, width, height, half)
  boxBlur(alpha, width, height, half)
  for (let i = 0; i < alpha.length; i++) {
    const a = alpha[i]
    alpha[i] = a < 1 / 1024 ? 0 : a > 1 ? 1 : a
  }
  return alpha
}

/**
 * Per-channel shift that makes the generated crop agree with the photo on average where the
 * photo is kept (weight 0 inside the crop): it removes the generator's overall colour cast.
 */
export function colorShift(photo: RawImage, crop: Crop, generated: RawImage, alpha: Float32Array): [number, number, number] {
  const sum = [0, 0, 0]
  let count = 0
  const { size } = crop
  const pc = photo.channels
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * size + x
      if (alpha[k] !== 0) continue
      const p = ((crop.y + y) * photo.width + crop.x + x) * pc
      for (let c = 0; c < 3; c++) sum[c] += photo.data[p + c] - generated.data[k * generated.channels + c]
      count++
    }
  }
  if (count < size * size * 0.05) return [0, 0, 0]
  const limit = 48
  return sum.map((s) => Math.max(-limit, Math.min(limit, s / count))) as [number, number, number]
}

/** The colour of a pixel apart from its brightness, R, G, B minus their luminance (Rec. 601), written into `out` (no allocation per pixel). */
function chromaOf(r: number, g: number, b: number, out: [number, number, number]): [number, number, number] {
  const luma = 0.299 * r + 0.587 * g + 0.114 * b
  out[0] = r - luma
  out[1] = g - luma
  out[2] = b - luma
  return out
}

/** How the generated colours are brought to the photo's: a per-channel shift, then the colour variation scaled around the photo's mean colour. */
export interface ToneMatch {
  shift: [number, number, number]
  /** 0..1: how much of the generated colour variation (around its mean colour) is kept. */
  chroma: number
  /** Mean chroma of the shifted generated crop and of the photo where it is kept. */
  generatedMean: [number, number, number]
  photoMean: [number, number, number]
}

export const noToneMatch: ToneMatch = { shift: [0, 0, 0], chroma: 1, generatedMean: [0, 0, 0], photoMean: [0, 0, 0] }

/**
 * The tone match of a generated crop to the photo, measured where the photo is kept (weight 0
 * inside the crop): the per-channel `shift` (colorShift), then no more colour variation than
 * the photo has there. A black-and-white or tinted old photo has almost none, so the edit takes
 * the photo's own tint instead of the colour fringes a generator trained on colour faces paints;
 * a colour photo keeps about all of it. It only ever takes colour away.
 */
export function toneMatch(photo: RawImage, crop: Crop, generated: RawImage, alpha: Float32Array, shift: [number, number, number]): ToneMatch {
  const { size } = crop
  // two passes over the kept pixels, no per-pixel allocation: a 3000 px crop has 9 M of them
  const pc: [number, number, number] = [0, 0, 0]
  const gc: [number, number, number] = [0, 0, 0]
  const visit = (each: (photoChroma: [number, number, number], generatedChroma: [number, number, number]) => void): number => {
    let count = 0
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const k = y * size + x
        if (alpha[k] !== 0) continue
        const p = ((crop.y + y) * photo.width + crop.x + x) * photo.channels
        const g = k * generated.channels
        each(chromaOf(photo.data[p], photo.data[p + 1], photo.data[p + 2], pc), chromaOf(generated.data[g] + shift[0], generated.data[g + 1] + shift[1], generated.data[g + 2] + shift[2], gc))
        count++
      }
    }
    return count
  }
  const photoMean: [number, number, number] = [0, 0, 0]
  const generatedMean: [number, number, number] = [0, 0, 0]
  const count = visit((p, g) => {
    for (let c = 0; c < 3; c++) {
      photoMean[c] += p[c]
      generatedMean[c] += g[c]
    }
  })
  if (count < size * size * 0.05) return { ...noToneMatch, shift }
  for (let c = 0; c < 3; c++) {
    photoMean[c] /= count
    generatedMean[c] /= count
  }
  let photoSpread = 0
  let generatedSpread = 0
  visit((p, g) => {
    for (let c = 0; c < 3; c++) {
      photoSpread += Math.abs(p[c] - photoMean[c])
      generatedSpread += Math.abs(g[c] - generatedMean[c])
    }
  })
  const chroma = generatedSpread === 0 ? 1 : Math.min(1, photoSpread / generatedSpread)
  return { shift, chroma, generatedMean, photoMean }
}

/**
 * Blends `generated` (crop-sized RGB), toned by `tone` and with `detail` (3 values per pixel)
 * added, into a copy of `photo` inside `crop`, weighted by `alpha`.
 */
export function composite(photo: RawImage, crop: Crop, generated: RawImage, alpha: Float32Array, tone: ToneMatch = noToneMatch, detail?: Float32Array): RawImage {
  const out = new Uint8Array(photo.data)
  const { size } = crop
  const pc = photo.channels
  const gc = generated.channels
  const chroma: [number, number, number] = [0, 0, 0]
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * size + x
      const a = alpha[k]
      if (a === 0) continue
      const p = ((crop.y + y) * photo.width + crop.x + x) * pc
      const r = generated.data[k * gc] + tone.shift[0]
      const gr = generated.data[k * gc + 1] + tone.shift[1]
      const b = generated.data[k * gc + 2] + tone.shift[2]
      const luma = 0.299 * r + 0.587 * gr + 0.114 * b
      chromaOf(r, gr, b, chroma)
      for (let c = 0; c < 3; c++) {
        const g = luma + tone.photoMean[c] + tone.chroma * (chroma[c] - tone.generatedMean[c]) + (detail ? detail[k * 3 + c] : 0)
        const v = photo.data[p + c] + a * (g - photo.data[p + c])
        out[p + c] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
      }
    }
  }
  return { width: photo.width, height: photo.height, channels: photo.channels, data: out }
}

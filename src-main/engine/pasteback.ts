// Paste-back of a generated crop into the full-resolution photo. Only pixels where the
// feathered mask is above zero are written, so everything outside mask + feather keeps the
// photo's exact bytes. A turned frame is blended in its own square, and what that changed is
// carried into the photo through the frame's inverse warp (pasteThroughFrame).
import type { Crop, Mask, RawImage, Region } from './api.js'
import { frameAxes, frameToImage, nonZeroBounds } from './frames.js'

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

/** What a frame-space paste-back changed: result - region per RGB channel, 3 values per pixel. */
export function frameDelta(region: RawImage, result: RawImage): Int16Array {
  const n = region.width * region.height
  const delta = new Int16Array(n * 3)
  const ch = region.channels
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) delta[i * 3 + c] = result.data[i * ch + c] - region.data[i * ch + c]
  return delta
}

/** The cells of an n x n delta grid that hold a change (inclusive bounds), or null when none does. */
/**
 * Adds a frame's change (`delta`, on an n x n grid over the frame, from `frameDelta`) into a
 * copy of `target`, an image showing the photo rectangle `area` at its own size, through the
 * frame's inverse warp: each target pixel inside the frame's square takes the change at its
 * frame point, read bilinearly. A pixel whose taps are all zero keeps its exact bytes, so only
 * pixels within a pixel or two of a change are written; alpha is never touched.
 */
export function pasteThroughFrame(target: RawImage, area: Region, crop: Crop, delta: Int16Array, n: number): RawImage {
  const out = new Uint8Array(target.data)
  const { width, height, channels } = target
  const sx = width / area.width
  const sy = height / area.height
  const size = crop.size
  const g = n / size
  // only where a bilinear tap can be non-zero: the cells that changed and one around them,
  // brought to the photo (the frame's bounding box is several times larger than a mask)
  const changed = nonZeroBounds(delta, n, n, 3)
  if (!changed) return { ...target, data: out }
  const step = size / n
  const reach = { x: Math.max(0, (changed.x0 - 1) * step), y: Math.max(0, (changed.y0 - 1) * step), right: Math.min(size, (changed.x1 + 2) * step), bottom: Math.min(size, (changed.y1 + 2) * step) }
  const corners = [
    frameToImage(crop, reach.x, reach.y),
    frameToImage(crop, reach.right, reach.y),
    frameToImage(crop, reach.x, reach.bottom),
    frameToImage(crop, reach.right, reach.bottom),
  ]
  const x0 = Math.max(0, Math.floor((Math.min(...corners.map((c) => c[0])) - area.x) * sx) - 1)
  const y0 = Math.max(0, Math.floor((Math.min(...corners.map((c) => c[1])) - area.y) * sy) - 1)
  const x1 = Math.min(width, Math.ceil((Math.max(...corners.map((c) => c[0])) - area.x) * sx) + 1)
  const y1 = Math.min(height, Math.ceil((Math.max(...corners.map((c) => c[1])) - area.y) * sy) + 1)
  const last = n - 1
  const t = frameAxes(crop)
  for (let ty = y0; ty < y1; ty++) {
    const dy = area.y + (ty + 0.5) / sy - t.cy
    for (let tx = x0; tx < x1; tx++) {
      // imageToFrame, written out: this runs for every pixel of the frame's bounding box
      const dx = area.x + (tx + 0.5) / sx - t.cx
      const u = t.half + t.cos * dx + t.sin * dy
      const v = t.half - t.sin * dx + t.cos * dy
      if (u < 0 || v < 0 || u >= size || v >= size) continue
      // grid coordinates (cell centres at whole numbers), held to the grid's edge cells
      const gx = Math.min(last, Math.max(0, u * g - 0.5))
      const gy = Math.min(last, Math.max(0, v * g - 0.5))
      const a0 = Math.floor(gx)
      const b0 = Math.floor(gy)
      const a1 = Math.min(last, a0 + 1)
      const b1 = Math.min(last, b0 + 1)
      const k00 = (b0 * n + a0) * 3
      const k01 = (b0 * n + a1) * 3
      const k10 = (b1 * n + a0) * 3
      const k11 = (b1 * n + a1) * 3
      if (!(delta[k00] | delta[k00 + 1] | delta[k00 + 2] | delta[k01] | delta[k01 + 1] | delta[k01 + 2] | delta[k10] | delta[k10 + 1] | delta[k10 + 2] | delta[k11] | delta[k11 + 1] | delta[k11 + 2])) continue
      const wx = gx - a0
      const wy = gy - b0
      const p = (ty * width + tx) * channels
      for (let c = 0; c < 3; c++) {
        const top = delta[k00 + c] + wx * (delta[k01 + c] - delta[k00 + c])
        const bottom = delta[k10 + c] + wx * (delta[k11 + c] - delta[k10 + c])
        const value = target.data[p + c] + top + wy * (bottom - top)
        out[p + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value)
      }
    }
  }
  return { ...target, data: out }
}

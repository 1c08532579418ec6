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
  const painted = nonZeroBounds(data, width, height)
  if (!painted) return alpha
  const half = Math.floor(Math.max(0, feather) / 2)
  // The blurs run on the painted box grown by what they spread (2 half) and a pixel more, not on
  // the whole mask (a brush stroke is a small part of it): there each running sum of boxBlur
  // starts from zeros, as it reaches the box on the whole mask, so the weights come out the same.
  const margin = 2 * half + 1
  const x0 = Math.max(0, painted.x0 - margin)
  const y0 = Math.max(0, painted.y0 - margin)
  const w = Math.min(width, painted.x1 + 1 + margin) - x0
  const h = Math.min(height, painted.y1 + 1 + margin) - y0
  const part = new Float32Array(w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) part[y * w + x] = data[(y0 + y) * width + x0 + x] / 255
  boxBlur(part, w, h, half)
  boxBlur(part, w, h, half)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const a = part[y * w + x]
      alpha[(y0 + y) * width + x0 + x] = a < 1 / 1024 ? 0 : a > 1 ? 1 : a
    }
  }
  return alpha
}

/**
 * Per-channel shift that makes the generated crop agree with the photo on average where the
 * photo is kept (weight 0 inside the crop): it removes the generator's overall colour cast.
 */
export function colorShift(photo: RawImage, crop: Crop, generated: RawImage, alpha: Float32Array): [number, number, number] {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let count = 0
  const { size } = crop
  const pc = photo.channels
  const gc = generated.channels
  const pd = photo.data
  const gd = generated.data
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * size + x
      if (alpha[k] !== 0) continue
      const p = ((crop.y + y) * photo.width + crop.x + x) * pc
      const g = k * gc
      s0 += pd[p] - gd[g]
      s1 += pd[p + 1] - gd[g + 1]
      s2 += pd[p + 2] - gd[g + 2]
      count++
    }
  }
  if (count < size * size * 0.05) return [0, 0, 0]
  const limit = 48
  return [s0, s1, s2].map((s) => Math.max(-limit, Math.min(limit, s / count))) as [number, number, number]
}

/**
 * A symmetric 2 x 2 matrix [[a, b], [b, c]] as [a, b, c], acting on chroma written as
 * (R - Y, B - Y) with Y the Rec. 601 luma (G - Y follows from those two).
 */
export type ChromaMap = [number, number, number]

/** f applied to a symmetric 2 x 2 matrix through its eigenvalues: V diag(f(l)) V^T. */
export function mapEigen([a, b, c]: ChromaMap, f: (eigenvalue: number) => number): ChromaMap {
  const half = Math.hypot((a - c) / 2, b)
  const big = (a + c) / 2 + half
  const small = (a + c) / 2 - half
  // the big eigenvalue's unit eigenvector, from the row of A - big I that is longer
  let x = 1
  let y = 0
  if (half > 0) {
    const [vx, vy] = a >= c ? [big - c, b] : [b, big - a]
    const n = Math.hypot(vx, vy)
    x = vx / n
    y = vy / n
  }
  const fb = f(big)
  const fs = f(small)
  return [fb * x * x + fs * y * y, (fb - fs) * x * y, fb * y * y + fs * x * x]
}

/** P Q P for symmetric P and Q (symmetric again). */
function sandwich([pa, pb, pc]: ChromaMap, [qa, qb, qc]: ChromaMap): ChromaMap {
  // M = P Q, then M P
  const m00 = pa * qa + pb * qb
  const m01 = pa * qb + pb * qc
  const m10 = pb * qa + pc * qb
  const m11 = pb * qb + pc * qc
  return [m00 * pa + m01 * pb, (m00 * pb + m01 * pc + m10 * pa + m11 * pb) / 2, m10 * pb + m11 * pc]
}

/**
 * The linear map taking chroma of covariance `generated` to chroma of covariance `photo` with
 * the least change (the Monge-Kantorovich map between two normal distributions,
 * G^-1/2 (G^1/2 P G^1/2)^1/2 G^-1/2), its gains then capped at 1: it turns and shrinks
 * colour, never strengthens it. A black-and-white photo (P = 0) gives 0: no colour of the
 * generator's own; an old print tinted along one hue gives a projection onto that hue; a colour
 * photo whose colours vary like the generator's gives about the identity.
 */
export function chromaMap(generated: ChromaMap, photo: ChromaMap): ChromaMap {
  // a grey generator (G about 0) has no colour to map: regularised, the map's gains are capped at 1
  const floor = 1e-3 + 1e-4 * (generated[0] + generated[2])
  const g: ChromaMap = [generated[0] + floor, generated[1], generated[2] + floor]
  const root = mapEigen(g, Math.sqrt)
  const inverseRoot = mapEigen(g, (l) => 1 / Math.sqrt(l))
  const map = sandwich(inverseRoot, mapEigen(sandwich(root, photo), (l) => Math.sqrt(Math.max(0, l))))
  return mapEigen(map, (l) => Math.min(1, Math.max(0, l)))
}

/** How the generated colours are brought to the photo's: a per-channel shift, then the colour variation mapped around the photo's mean colour. */
export interface ToneMatch {
  shift: [number, number, number]
  /** How the generated chroma (R - Y, B - Y) about its mean becomes the edit's about the photo's (chromaMap); [1, 0, 1] keeps it. */
  chroma: ChromaMap
  /** The most chroma (distance from the photo's mean in (R - Y, B - Y)) a pixel of the edit may have: the photo's 99th percentile where it is kept. */
  chromaLimit: number
  /** Mean chroma of the shifted generated crop and of the photo where it is kept. */
  generatedMean: [number, number, number]
  photoMean: [number, number, number]
}

export const noToneMatch: ToneMatch = { shift: [0, 0, 0], chroma: [1, 0, 1], chromaLimit: Infinity, generatedMean: [0, 0, 0], photoMean: [0, 0, 0] }

/**
 * The tone match of a generated crop to the photo, measured where the photo is kept (weight 0
 * inside the crop): the per-channel `shift` (colorShift), then the generated colour variation
 * mapped onto the photo's (chromaMap of their covariances there). A black-and-white photo has
 * none, and an old print varies along its one tint, so the edit takes the photo's own tint
 * instead of the colours a generator trained on colour faces paints (pink lips on a grey
 * face); a colour photo keeps about all of it. It only ever takes colour away. What the
 * generator paints far off its own mean (the lips) could still go past anything the photo
 * shows, so `chromaLimit` stops each pixel at the photo's 99th percentile distance from its
 * mean chroma there.
 */
export function toneMatch(photo: RawImage, crop: Crop, generated: RawImage, alpha: Float32Array, shift: [number, number, number]): ToneMatch {
  const { size } = crop
  const { count, sums, cells } = keptChroma(photo, crop, generated, alpha)
  try {
    if (count < size * size * 0.05) return { ...noToneMatch, shift }
    const [pu, pv, puu, puv, pvv, gu, gv, guu, guv, gvv] = sums.map((s) => s / count)
    const chroma = chromaMap([guu - gu * gu, guv - gu * gv, gvv - gv * gv], [Math.max(0, puu - pu * pu), puv - pu * pv, Math.max(0, pvv - pv * pv)])
    // the shift moves the generated crop's mean chroma, not its spread
    const sl = 0.299 * shift[0] + 0.587 * shift[1] + 0.114 * shift[2]
    const [su, sv] = [gu + shift[0] - sl, gv + shift[2] - sl]
    return { shift, chroma, chromaLimit: chromaPercentile(cells, count, pu, pv, 0.99), generatedMean: [su, greenOf(su, sv), sv], photoMean: [pu, greenOf(pu, pv), pv] }
  } finally {
    // the grid is shared: zeroed for the next crop, whatever happened
    clearCells(cells)
  }
}

/** G - Y of a colour whose R - Y and B - Y are u and v (the three weigh to zero in the luma). */
const greenOf = (u: number, v: number): number => -(0.299 * u + 0.114 * v) / 0.587

/**
 * The photo's chroma is counted on a grid of 1-level cells over (R - Y, B - Y), each in
 * [-CHROMA_SPAN, CHROMA_SPAN) (R - Y of bytes lies within 179 of 0, B - Y within 226). The grid
 * is reused, and cleared where it was counted (toneMatch).
 */
const CHROMA_SPAN = 256
const CHROMA_CELLS = 2 * CHROMA_SPAN
const chromaCells = { counts: new Uint32Array(CHROMA_CELLS * CHROMA_CELLS), box: { x0: CHROMA_CELLS, y0: CHROMA_CELLS, x1: -1, y1: -1 } }
/** Radii are counted in bins of 1 / RADIUS_STEPS levels for the percentile. */
const RADIUS_STEPS = 4
const RADIUS_BINS = 256 * RADIUS_STEPS

/**
 * One pass over the crop's kept pixels (weight 0) for toneMatch: the chroma (R - Y, B - Y, with Y
 * the Rec. 601 luma) of the photo and of the generated crop there. `sums`: u, v, uu, uv and vv
 * of the photo, then of the generated crop; `cells`: the photo's chroma counted on the grid.
 * Moments about zero rather than the means save a second pass (float64 sums of byte values:
 * 9 M pixels of a 3000 px crop stay far from losing the variance). Written out, with sums in
 * locals: a callback per pixel took ~30 ms for a 512 px preview's.
 */
function keptChroma(photo: RawImage, crop: Crop, generated: RawImage, alpha: Float32Array): { count: number; sums: number[]; cells: typeof chromaCells } {
  const { size } = crop
  const pd = photo.data
  const gd = generated.data
  const pch = photo.channels
  const gch = generated.channels
  const width = photo.width
  const counts = chromaCells.counts
  // plain locals: declared by destructuring an array, V8 kept them boxed (7.3 ms for 3.3 here)
  let cx0 = CHROMA_CELLS
  let cy0 = CHROMA_CELLS
  let cx1 = -1
  let cy1 = -1
  let count = 0
  let a0 = 0
  let a1 = 0
  let a2 = 0
  let a3 = 0
  let a4 = 0
  let b0 = 0
  let b1 = 0
  let b2 = 0
  let b3 = 0
  let b4 = 0
  for (let y = 0; y < size; y++) {
    const row = ((crop.y + y) * width + crop.x) * pch
    for (let x = 0; x < size; x++) {
      const k = y * size + x
      if (alpha[k] !== 0) continue
      const p = row + x * pch
      const g = k * gch
      const pl = 0.299 * pd[p] + 0.587 * pd[p + 1] + 0.114 * pd[p + 2]
      const pu = pd[p] - pl
      const pv = pd[p + 2] - pl
      const gl = 0.299 * gd[g] + 0.587 * gd[g + 1] + 0.114 * gd[g + 2]
      const gu = gd[g] - gl
      const gv = gd[g + 2] - gl
      a0 += pu
      a1 += pv
      a2 += pu * pu
      a3 += pu * pv
      a4 += pv * pv
      b0 += gu
      b1 += gv
      b2 += gu * gu
      b3 += gu * gv
      b4 += gv * gv
      const cu = Math.floor(pu) + CHROMA_SPAN
      const cv = Math.floor(pv) + CHROMA_SPAN
      counts[cv * CHROMA_CELLS + cu]++
      if (cu < cx0) cx0 = cu
      if (cu > cx1) cx1 = cu
      if (cv < cy0) cy0 = cv
      if (cv > cy1) cy1 = cv
      count++
    }
  }
  chromaCells.box = { x0: cx0, y0: cy0, x1: cx1, y1: cy1 }
  return { count, sums: [a0, a1, a2, a3, a4, b0, b1, b2, b3, b4], cells: chromaCells }
}

/** Zeroes the counted cells, for the next crop. */
function clearCells(cells: typeof chromaCells): void {
  const { counts, box } = cells
  for (let cv = box.y0; cv <= box.y1; cv++) counts.fill(0, cv * CHROMA_CELLS + box.x0, cv * CHROMA_CELLS + box.x1 + 1)
  cells.box = { x0: CHROMA_CELLS, y0: CHROMA_CELLS, x1: -1, y1: -1 }
}

/**
 * The distance from (u, v) within which `share` of the counted chroma lies, each cell taken at
 * its nearest point (so at most the true percentile).
 */
function chromaPercentile(cells: typeof chromaCells, count: number, u: number, v: number, share: number): number {
  const { counts, box } = cells
  const radii = new Float64Array(RADIUS_BINS)
  for (let cv = box.y0; cv <= box.y1; cv++) {
    const v0 = cv - CHROMA_SPAN
    const dy = Math.max(v0 - v, 0, v - (v0 + 1))
    for (let cu = box.x0; cu <= box.x1; cu++) {
      const n = counts[cv * CHROMA_CELLS + cu]
      if (n === 0) continue
      const u0 = cu - CHROMA_SPAN
      const dx = Math.max(u0 - u, 0, u - (u0 + 1))
      radii[Math.min(RADIUS_BINS - 1, Math.floor(Math.hypot(dx, dy) * RADIUS_STEPS))] += n
    }
  }
  let below = 0
  let bin = 0
  while (bin < RADIUS_BINS - 1 && (below += radii[bin]) < share * count) bin++
  return (bin + 1) / RADIUS_STEPS
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
  const pd = photo.data
  const gd = generated.data
  const [s0, s1, s2] = tone.shift
  const [pm0, pm1, pm2] = tone.photoMean
  const [gm0, , gm2] = tone.generatedMean
  const [ta, tb, tc] = tone.chroma
  const limit = tone.chromaLimit
  // written out per channel: this runs for every pixel under the feathered mask
  const put = (at: number, g: number, a: number): void => {
    const v = pd[at] + a * (g - pd[at])
    out[at] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v)
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const k = y * size + x
      const a = alpha[k]
      if (a === 0) continue
      const p = ((crop.y + y) * photo.width + crop.x + x) * pc
      const r = gd[k * gc] + s0
      const gr = gd[k * gc + 1] + s1
      const b = gd[k * gc + 2] + s2
      const luma = 0.299 * r + 0.587 * gr + 0.114 * b
      // the chroma about the generated mean, mapped; G - Y follows from R - Y and B - Y
      const u = r - luma - gm0
      const v = b - luma - gm2
      let mu = ta * u + tb * v
      let mv = tb * u + tc * v
      const radius = Math.sqrt(mu * mu + mv * mv)
      if (radius > limit) {
        mu *= limit / radius
        mv *= limit / radius
      }
      const d = k * 3
      put(p, luma + pm0 + mu + (detail ? detail[d] : 0), a)
      put(p + 1, luma + pm1 + greenOf(mu, mv) + (detail ? detail[d + 1] : 0), a)
      put(p + 2, luma + pm2 + mv + (detail ? detail[d + 2] : 0), a)
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

// Frames: a crop square turned about its centre (Crop.angle), which may reach past the photo's
// edges (the photo is mirrored there). The maths between frame points and photo points, and
// sampling a frame's pixels or a photo-space mask onto an n x n grid over it.
//
// Coordinates are continuous: photo pixel (i, j) covers [i, i + 1) x [j, j + 1), its centre is
// (i + 0.5, j + 0.5). Frame point (u, v) runs over 0..size; on an n x n grid over the frame,
// cell (a, b) has its centre at ((a + 0.5) * size / n, (b + 0.5) * size / n).
import sharp from 'sharp'
import type { Crop, Mask, RawImage, Region } from './api.js'

/** Whether a crop is a frame (has an angle), as opposed to an axis-aligned square inside the photo. */
export function isFrame(crop: Crop): boolean {
  return crop.angle !== undefined
}

/** Whether a crop's square is turned (a frame with a non-zero angle). */
export function isTurned(crop: Crop): boolean {
  return crop.angle !== undefined && crop.angle !== 0
}

/** A frame's centre, half its size, and the cosine and sine of its angle: what the mappings are made of. */
export interface FrameAxes {
  cx: number
  cy: number
  half: number
  cos: number
  sin: number
}

/** The frame's axes (for loops that map many points). */
export function frameAxes(crop: Crop): FrameAxes {
  const r = ((crop.angle ?? 0) * Math.PI) / 180
  // exact at the right angles, so a quarter turn samples whole pixels
  const exact = (v: number) => (Math.abs(v) < 1e-12 ? 0 : Math.abs(Math.abs(v) - 1) < 1e-12 ? Math.sign(v) : v)
  return { cx: crop.x + crop.size / 2, cy: crop.y + crop.size / 2, half: crop.size / 2, cos: exact(Math.cos(r)), sin: exact(Math.sin(r)) }
}

/** The photo point under frame point (u, v): centre + rotate(angle) * (u - size / 2, v - size / 2). */
export function frameToImage(crop: Crop, u: number, v: number): [number, number] {
  const t = frameAxes(crop)
  const du = u - t.half
  const dv = v - t.half
  return [t.cx + t.cos * du - t.sin * dv, t.cy + t.sin * du + t.cos * dv]
}

/** The frame point over photo point (x, y): the inverse of `frameToImage`. */
export function imageToFrame(crop: Crop, x: number, y: number): [number, number] {
  const t = frameAxes(crop)
  const dx = x - t.cx
  const dy = y - t.cy
  return [t.half + t.cos * dx + t.sin * dy, t.half - t.sin * dx + t.cos * dy]
}

/** The smallest photo-space rectangle (continuous, not clipped) holding the frame's square. */
export function frameBounds(crop: Crop): { left: number; top: number; right: number; bottom: number } {
  const t = frameAxes(crop)
  // a square's bounding box is square too: half of it is the half side times |cos| + |sin|
  const r = t.half * (Math.abs(t.cos) + Math.abs(t.sin))
  return { left: t.cx - r, top: t.cy - r, right: t.cx + r, bottom: t.cy + r }
}

/** The whole photo pixels the frame's square touches, clipped to the photo (empty when it misses it). */
export function frameRegion(crop: Crop, width: number, height: number): Region {
  const b = frameBounds(crop)
  // a hair of tolerance, so a square on whole pixels does not take in the row beyond its edge
  const x0 = Math.max(0, Math.floor(b.left + 1e-9))
  const y0 = Math.max(0, Math.floor(b.top + 1e-9))
  const x1 = Math.min(width, Math.ceil(b.right - 1e-9))
  const y1 = Math.min(height, Math.ceil(b.bottom - 1e-9))
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) }
}

/** Index `i` mirrored into 0..n-1 about the first and last pixel (reflect padding, the edge pixel not repeated). */
export function reflectIndex(i: number, n: number): number {
  if (i >= 0 && i < n) return i
  if (n === 1) return 0
  const period = 2 * (n - 1)
  const m = ((i % period) + period) % period
  return m < n ? m : period - m
}

/** The pixels of `rect` (any integer rectangle), the photo mirrored where it reaches past the edges. */
export function reflectedRect(image: RawImage, rect: Region): RawImage {
  const { width, height, channels } = image
  const data = new Uint8Array(rect.width * rect.height * channels)
  const columns = new Int32Array(rect.width)
  for (let x = 0; x < rect.width; x++) columns[x] = reflectIndex(rect.x + x, width) * channels
  for (let y = 0; y < rect.height; y++) {
    const row = reflectIndex(rect.y + y, height) * width * channels
    const out = y * rect.width * channels
    const inside0 = Math.max(0, -rect.x)
    const inside1 = Math.min(rect.width, width - rect.x)
    for (let x = 0; x < rect.width; x++) {
      if (x === inside0 && inside1 > inside0) {
        // the run inside the photo is one copy
        data.set(image.data.subarray(row + (rect.x + x) * channels, row + (rect.x + inside1) * channels), out + x * channels)
        x = inside1 - 1
        continue
      }
      const from = row + columns[x]
      for (let c = 0; c < channels; c++) data[out + x * channels + c] = image.data[from + c]
    }
  }
  return { width: rect.width, height: rect.height, channels, data }
}

/**
 * The frame's square sampled onto an n x n image (the photo's channels), mirrored past the
 * photo's edges. Smaller than the frame, the frame's bounding box (plus the filter's reach) is
 * first brought to the output scale with lanczos, so the result is antialiased; the turn is
 * then bilinear at that scale.
 */
export async function sampleFrame(image: RawImage, crop: Crop, n: number): Promise<RawImage> {
  const { channels } = image
  const scale = Math.min(1, n / crop.size)
  let source: RawImage
  let originX: number
  let originY: number
  let fx: number
  let fy: number
  if (scale === 1) {
    // at full scale the bilinear taps read the photo itself, mirrored index by index
    source = image
    originX = 0
    originY = 0
    fx = 1
    fy = 1
  } else {
    const b = frameBounds(crop)
    // lanczos3 reaches 3 output pixels; one more for the bilinear taps
    const margin = Math.ceil(4 / scale) + 1
    const rect: Region = { x: Math.floor(b.left) - margin, y: Math.floor(b.top) - margin, width: 0, height: 0 }
    rect.width = Math.ceil(b.right) + margin - rect.x
    rect.height = Math.ceil(b.bottom) + margin - rect.y
    const inside = rect.x >= 0 && rect.y >= 0 && rect.x + rect.width <= image.width && rect.y + rect.height <= image.height
    const input = inside ? image : reflectedRect(image, rect)
    let pipeline = sharp(input.data, { raw: { width: input.width, height: input.height, channels }, limitInputPixels: false })
    if (inside) pipeline = pipeline.extract({ left: rect.x, top: rect.y, width: rect.width, height: rect.height })
    const w = Math.max(1, Math.round(rect.width * scale))
    const h = Math.max(1, Math.round(rect.height * scale))
    const { data } = await pipeline.resize(w, h, { fit: 'fill', kernel: 'lanczos3' }).raw().toBuffer({ resolveWithObject: true })
    source = { width: w, height: h, channels, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
    originX = rect.x
    originY = rect.y
    fx = w / rect.width
    fy = h / rect.height
  }
  return bilinearFrame(source, originX, originY, fx, fy, crop, n)
}

/**
 * Bilinear samples of `source` (which shows the photo from (originX, originY) on, scaled by
 * fx, fy) at the centres of an n x n grid over the frame. Taps past the source are mirrored.
 */
function bilinearFrame(source: RawImage, originX: number, originY: number, fx: number, fy: number, crop: Crop, n: number): RawImage {
  const { width, height, channels, data } = source
  const out = new Uint8Array(n * n * channels)
  const t = frameAxes(crop)
  const step = crop.size / n
  // source coordinate (pixel-centre units) of a photo point p: (p - origin) * f - 0.5
  const ux = t.cos * step * fx
  const uy = t.sin * step * fy
  for (let b = 0; b < n; b++) {
    const dv = (b + 0.5) * step - t.half
    const du0 = 0.5 * step - t.half
    let sx = (t.cx + t.cos * du0 - t.sin * dv - originX) * fx - 0.5
    let sy = (t.cy + t.sin * du0 + t.cos * dv - originY) * fy - 0.5
    for (let a = 0; a < n; a++, sx += ux, sy += uy) {
      const x0 = Math.floor(sx)
      const y0 = Math.floor(sy)
      const wx = sx - x0
      const wy = sy - y0
      // mirrored taps only near and past the edges: inside, the plain indices
      const inside = x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height
      const c0 = (inside ? x0 : reflectIndex(x0, width)) * channels
      const c1 = (inside ? x0 + 1 : reflectIndex(x0 + 1, width)) * channels
      const r0 = (inside ? y0 : reflectIndex(y0, height)) * width * channels
      const r1 = (inside ? y0 + 1 : reflectIndex(y0 + 1, height)) * width * channels
      const i00 = r0 + c0
      const i01 = r0 + c1
      const i10 = r1 + c0
      const i11 = r1 + c1
      const w11 = wx * wy
      const w01 = wx - w11
      const w10 = wy - w11
      const w00 = 1 - wx - w10
      const o = (b * n + a) * channels
      for (let c = 0; c < channels; c++) {
        // non-negative, so adding a half and truncating rounds
        out[o + c] = (w00 * data[i00 + c] + w01 * data[i01 + c] + w10 * data[i10 + c] + w11 * data[i11 + c] + 0.5) | 0
      }
    }
  }
  return { width: n, height: n, channels, data: out }
}

/**
 * The smallest box (inclusive) of the cells of a width x height grid, `channels` values a
 * cell, holding every cell with a non-zero value; null when every value is zero.
 */
export function nonZeroBounds(data: ArrayLike<number>, width: number, height: number, channels = 1): { x0: number; y0: number; x1: number; y1: number } | null {
  if (channels === 1 && data instanceof Uint8Array) return byteBounds(data, width, height)
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = (y * width + x) * channels
      let set = false
      for (let c = 0; c < channels && !set; c++) set = data[k + c] !== 0
      if (!set) continue
      if (x < x0) x0 = x
      if (x > x1) x1 = x
      if (y < y0) y0 = y
      y1 = y
    }
  }
  return x1 < 0 ? null : { x0, y0, x1, y1 }
}

/**
 * nonZeroBounds of one byte a cell, a mask's. A brush stroke covers little of a photo-sized mask,
 * so the zero bytes before the first painted one and after the last are skipped four at a time,
 * and the rows between are read only outside the box found so far (a 1500 x 1000 mask with a
 * 300 x 200 stroke: 6-10 ms cell by cell, about 1 ms so).
 */
function byteBounds(data: Uint8Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  const n = width * height
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, n >> 2) : null
  let first = 0
  if (words) {
    let i = 0
    while (i < words.length && words[i] === 0) i++
    first = i * 4
  }
  while (first < n && data[first] === 0) first++
  if (first === n) return null
  let last = n - 1
  if (words) {
    // the bytes past the last whole word, then whole words down to a painted one
    while (last >= words.length * 4 && data[last] === 0) last--
    if (last < words.length * 4) {
      let j = last >> 2
      while (words[j] === 0) j--
      last = j * 4 + 3
    }
  }
  while (data[last] === 0) last--
  const y0 = Math.floor(first / width)
  const y1 = Math.floor(last / width)
  // the first and last painted bytes are inside the box; each row can only widen it
  let x0 = Math.min(first % width, last % width)
  let x1 = Math.max(first % width, last % width)
  for (let y = y0; y <= y1; y++) {
    const row = y * width
    if (x0 > 0) x0 = firstPainted(data, words, row, row + x0) - row
    if (x1 < width - 1) x1 = lastPainted(data, words, row + x1 + 1, row + width) - row
  }
  return { x0, y0, x1, y1 }
}

/** The first non-zero byte of data[from, to), or `to` when none: whole words at a time where it can. */
function firstPainted(data: Uint8Array, words: Uint32Array | null, from: number, to: number): number {
  let i = from
  if (words) {
    for (; i < to && (i & 3) !== 0; i++) if (data[i] !== 0) return i
    if (i < to) {
      // i is a word's first byte: skip the zero words wholly before `to`
      let w = i >> 2
      const end = to >> 2
      while (w < end && words[w] === 0) w++
      i = w * 4
    }
  }
  while (i < to && data[i] === 0) i++
  return i
}

/** The last non-zero byte of data[from, to), or from - 1 when none, read from the end. */
function lastPainted(data: Uint8Array, words: Uint32Array | null, from: number, to: number): number {
  let i = to - 1
  if (words) {
    for (; i >= from && ((i + 1) & 3) !== 0; i--) if (data[i] !== 0) return i
    if (i >= from) {
      // i is a word's last byte: skip the zero words wholly from `from` on
      let w = (i + 1) / 4 - 1
      const start = (from + 3) >> 2
      while (w >= start && words[w] === 0) w--
      i = w * 4 + 3
    }
  }
  while (i >= from && data[i] === 0) i--
  return i
}

/**
 * The part of `mask` (which covers a photo of photoWidth x photoHeight at any resolution)
 * under the frame, on an n x n grid: each cell the mean of the mask over its turned square
 * (sampled on a grid of points fine enough for the mask's resolution), 0 past the photo.
 * Where a cell is no larger than a mask pixel, the mask is read bilinearly at its centre.
 */
export function sampleMaskFrame(mask: Mask, photoWidth: number, photoHeight: number, crop: Crop, n: number): Mask {
  const { width: mw, height: mh, data: md } = mask
  const mx = mw / photoWidth
  const my = mh / photoHeight
  const t = frameAxes(crop)
  const step = crop.size / n
  const reach = step * Math.max(mx, my)
  const out = new Uint8Array(n * n)
  const at = (x: number, y: number) => (x >= 0 && x < mw && y >= 0 && y < mh ? md[y * mw + x] : 0)
  // only the cells that can see a painted mask pixel: the painted box, a pixel around it, on the frame's grid
  const painted = nonZeroBounds(mask.data, mask.width, mask.height)
  if (!painted) return { width: n, height: n, data: out }
  const corners = [
    [painted.x0 - 1, painted.y0 - 1],
    [painted.x1 + 2, painted.y0 - 1],
    [painted.x0 - 1, painted.y1 + 2],
    [painted.x1 + 2, painted.y1 + 2],
  ].map(([x, y]) => imageToFrame(crop, x / mx, y / my))
  const cell = (v: number) => Math.floor(v / step)
  const a0 = Math.max(0, cell(Math.min(...corners.map((c) => c[0]))) - 1)
  const a1 = Math.min(n - 1, cell(Math.max(...corners.map((c) => c[0]))) + 1)
  const b0 = Math.max(0, cell(Math.min(...corners.map((c) => c[1]))) - 1)
  const b1 = Math.min(n - 1, cell(Math.max(...corners.map((c) => c[1]))) + 1)
  if (reach <= 1) {
    for (let b = b0; b <= b1; b++) {
      for (let a = a0; a <= a1; a++) {
        const du = (a + 0.5) * step - t.half
        const dv = (b + 0.5) * step - t.half
        const px = (t.cx + t.cos * du - t.sin * dv) * mx - 0.5
        const py = (t.cy + t.sin * du + t.cos * dv) * my - 0.5
        const x0 = Math.floor(px)
        const y0 = Math.floor(py)
        const wx = px - x0
        const wy = py - y0
        const top = at(x0, y0) + wx * (at(x0 + 1, y0) - at(x0, y0))
        const bottom = at(x0, y0 + 1) + wx * (at(x0 + 1, y0 + 1) - at(x0, y0 + 1))
        out[b * n + a] = Math.round(top + wy * (bottom - top))
      }
    }
    return { width: n, height: n, data: out }
  }
  // k x k points per cell, each standing for an equal part of its area: two a mask pixel, so a
  // cell's mean is within about 255 / (4 * reach) levels of the exact coverage
  const k = Math.min(32, Math.ceil(2 * reach))
  const sub = step / k
  for (let b = b0; b <= b1; b++) {
    for (let a = a0; a <= a1; a++) {
      let sum = 0
      for (let j = 0; j < k; j++) {
        const dv = b * step + (j + 0.5) * sub - t.half
        for (let i = 0; i < k; i++) {
          const du = a * step + (i + 0.5) * sub - t.half
          const px = Math.floor((t.cx + t.cos * du - t.sin * dv) * mx)
          const py = Math.floor((t.cy + t.sin * du + t.cos * dv) * my)
          sum += at(px, py)
        }
      }
      out[b * n + a] = Math.round(sum / (k * k))
    }
  }
  return { width: n, height: n, data: out }
}

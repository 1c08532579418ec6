// The editor paints masks over the whole photo (often at display resolution); the engine
// wants them over a crop square at a given size. These turn one into the other.
import type { Crop, Mask } from './api.js'
import { isTurned, nonZeroBounds, sampleMaskFrame } from './frames.js'

interface Tap {
  index: number
  weight: number
}

/**
 * For each of `n` output cells covering [start, start + length) in source units, the source
 * pixels and their coverage weights. Past the source (a frame reaching past the photo) a cell
 * reads 0 (index -1) where `zeroOutside`, else the edge pixel.
 */
function taps(start: number, length: number, n: number, limit: number, zeroOutside = false): Tap[][] {
  const out: Tap[][] = []
  const step = length / n
  for (let i = 0; i < n; i++) {
    const a = start + i * step
    const b = a + step
    const list: Tap[] = []
    let total = 0
    for (let p = Math.floor(a); p < Math.ceil(b); p++) {
      const overlap = Math.min(b, p + 1) - Math.max(a, p)
      if (overlap <= 0) continue
      const index = zeroOutside && (p < 0 || p >= limit) ? -1 : Math.min(limit - 1, Math.max(0, p))
      list.push({ index, weight: overlap })
      total += overlap
    }
    if (total === 0) list.push({ index: Math.min(limit - 1, Math.max(0, Math.floor(a))), weight: (total = 1) })
    for (const tap of list) tap.weight /= total
    out.push(list)
  }
  return out
}

/**
 * The part of `mask` (which covers a photo of photoWidth x photoHeight at any resolution)
 * under `crop`, area-averaged to size x size; a frame reads 0 past the photo.
 */
export function sampleMaskCrop(mask: Mask, photoWidth: number, photoHeight: number, crop: Crop, size: number): Mask {
  if (isTurned(crop)) return sampleMaskFrame(mask, photoWidth, photoHeight, crop, size)
  const data = new Uint8Array(size * size)
  const painted = nonZeroBounds(mask.data, mask.width, mask.height)
  if (!painted) return { width: size, height: size, data }
  const sx = mask.width / photoWidth
  const sy = mask.height / photoHeight
  const frame = crop.angle !== undefined
  const columns = taps(crop.x * sx, crop.size * sx, size, mask.width, frame)
  const rows = taps(crop.y * sy, crop.size * sy, size, mask.height, frame)
  // only the cells with a tap on the painted box can be above zero (a stroke is a small part of a crop)
  const x = reaching(columns, painted.x0, painted.x1)
  const y = reaching(rows, painted.y0, painted.y1)
  const line = new Float32Array(size)
  for (let oy = y.from; oy < y.to; oy++) {
    line.fill(0)
    for (const row of rows[oy]) {
      if (row.index < 0) continue
      const base = row.index * mask.width
      for (let ox = x.from; ox < x.to; ox++) {
        let sum = 0
        for (const column of columns[ox]) if (column.index >= 0) sum += column.weight * mask.data[base + column.index]
        line[ox] += row.weight * sum
      }
    }
    for (let ox = x.from; ox < x.to; ox++) data[oy * size + ox] = Math.round(line[ox])
  }
  return { width: size, height: size, data }
}

/** The output cells [from, to) between the first and the last whose taps read a source pixel within [lo, hi]. */
function reaching(cells: Tap[][], lo: number, hi: number): { from: number; to: number } {
  const reads = (i: number) => cells[i].some((t) => t.index >= lo && t.index <= hi)
  let from = 0
  while (from < cells.length && !reads(from)) from++
  let to = cells.length
  while (to > from && !reads(to - 1)) to--
  return { from, to }
}

/** `mask` moved by (dx, dy) whole pixels; what moves past the border is dropped, what comes in is empty. */
export function shiftMask(mask: Mask, dx: number, dy: number): Mask {
  const data = new Uint8Array(mask.width * mask.height)
  for (let y = 0; y < mask.height; y++) {
    const from = y - dy
    if (from < 0 || from >= mask.height) continue
    for (let x = 0; x < mask.width; x++) {
      const fx = x - dx
      if (fx >= 0 && fx < mask.width) data[y * mask.width + x] = mask.data[from * mask.width + fx]
    }
  }
  return { width: mask.width, height: mask.height, data }
}

/** Pixel-wise maximum of same-sized masks (the union of several layers). */
export function unionMasks(masks: Mask[], width: number, height: number): Mask {
  const data = new Uint8Array(width * height)
  for (const mask of masks) {
    for (let i = 0; i < data.length; i++) if (mask.data[i] > data[i]) data[i] = mask.data[i]
  }
  return { width, height, data }
}

export function isEmptyMask(mask: Mask): boolean {
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i] !== 0) return false
  return true
}

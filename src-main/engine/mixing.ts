// The mixing rules of ../../../shared/docs/stylemapgan.md on plain Float32Arrays, so they can be
// checked against small hand-computed tensors. Tensors are one sample, channel-major [C, r, r].

import type { StyleLevel } from './api.js'
import { HALF_VALUES } from './half.js'
import { nonZeroBounds } from './frames.js'

/** A style tensor as float32, or as IEEE halves (half.ts): how the engine keeps references' pyramids. */
export type StyleTensor = Float32Array | Uint16Array

/** One reference as the mixing rules see it. */
export interface MixLayer {
  /** The reference's tensor(s): a stylemap for W, one per style level for W+. */
  reference: Float32Array | StyleTensor[]
  /**
   * W+: the cells each level's tensor holds (channel-major, box-sized planes), where the engine
   * keeps only the part of a reference its masks read; absent: every tensor is the whole grid.
   */
  regions?: Box[]
  /** R x R mask, 0..255, on the reference's grid. */
  mask: Uint8Array
  strength: number
  /** Placement on the original in model-resolution pixels. */
  dx: number
  dy: number
}

/** Average-pools an R x R 0..255 mask to r x r values in [0, 1] (R must be a multiple of r). */
export function poolMask(mask: Uint8Array, resolution: number, r: number): Float32Array {
  const f = resolution / r
  if (!Number.isInteger(f) || f < 1) throw new Error(`mask resolution ${resolution} is not a multiple of ${r}`)
  const out = new Float32Array(r * r)
  const norm = 1 / (f * f * 255)
  for (let y = 0; y < r; y++) {
    for (let x = 0; x < r; x++) {
      let sum = 0
      for (let yy = y * f; yy < (y + 1) * f; yy++) {
        const row = yy * resolution
        for (let xx = x * f; xx < (x + 1) * f; xx++) sum += mask[row + xx]
      }
      out[y * r + x] = sum * norm
    }
  }
  return out
}

/** Pixel offset -> whole cells at a grid of r cells over R pixels, truncating toward zero (the demo's `int(d / (R / r))`). */
export function cellOffset(d: number, resolution: number, r: number): number {
  return Math.trunc(d / (resolution / r)) + 0 // + 0 turns -0 into 0
}

/** A rectangle of cells, [x0, x1) x [y0, y1); it may reach past the grid. */
export interface Box {
  x0: number
  y0: number
  x1: number
  y1: number
}

/** The whole r x r grid as a box. */
export const gridBox = (r: number): Box => ({ x0: 0, y0: 0, x1: r, y1: r })

/** `box` (cells of a size x size grid) in cells of a grid x grid one, grown to whole cells. */
export function toGrid(box: Box, size: number, grid: number): Box {
  const k = size / grid
  return { x0: Math.floor(box.x0 / k), y0: Math.floor(box.y0 / k), x1: Math.ceil(box.x1 / k), y1: Math.ceil(box.y1 / k) }
}

/** The cells of a box. */
export const boxArea = (b: Box): number => (b.x1 - b.x0) * (b.y1 - b.y0)

/** The smallest box around `boxes`; null for none. */
export function unionBox(boxes: readonly Box[]): Box | null {
  if (!boxes.length) return null
  return boxes.reduce((u, b) => ({ x0: Math.min(u.x0, b.x0), y0: Math.min(u.y0, b.y0), x1: Math.max(u.x1, b.x1), y1: Math.max(u.y1, b.y1) }))
}

/**
 * Moves `t * weight[src]` of the way from `target` to `source`, for every destination cell whose
 * source cell (destination - offset) lies inside the grid; cells shifted past the border drop out.
 * `target` holds the cells of `box` (channel-major, box-sized planes); only its cells inside the
 * grid are touched. `source` holds the cells of `held` (the whole grid by default); a source cell
 * with weight outside it is an error, not a zero.
 */
function blendShifted(target: Float32Array, box: Box, source: StyleTensor, weight: Float32Array, channels: number, r: number, ox: number, oy: number, t: number, held: Box = gridBox(r)): void {
  const hw = held.x1 - held.x0
  const plane = hw * (held.y1 - held.y0)
  if (source.length !== channels * plane) throw new Error(`blendShifted: a source of ${source.length} values for ${channels} channels on ${hw} x ${held.y1 - held.y0} cells`)
  const bw = box.x1 - box.x0
  const boxPlane = bw * (box.y1 - box.y0)
  // the destination columns whose source column is inside the grid
  const x0 = Math.max(0, box.x0, ox)
  const x1 = Math.min(r, box.x1, r + ox)
  if (x1 <= x0) return
  const alpha = new Float32Array(x1 - x0)
  // the row's runs of non-zero weight, [start, end) pairs: a brush mask is runs of whole cells
  const runs = new Int32Array(x1 - x0 + 1)
  for (let y = Math.max(0, box.y0); y < Math.min(r, box.y1); y++) {
    const sy = y - oy
    if (sy < 0 || sy >= r) continue
    let n = 0
    for (let k = 0; k < x1 - x0; k++) {
      alpha[k] = t * weight[sy * r + x0 + k - ox]
      // a run starts at a weight after zeros (n even) and ends at a zero after weights (n odd)
      if ((alpha[k] !== 0) === ((n & 1) === 0)) runs[n++] = k
    }
    if (n & 1) runs[n++] = x1 - x0
    if (n === 0) continue
    // the source cells read on this row: x0 - ox + runs[0] .. x0 - ox + runs[n - 1]
    if (sy < held.y0 || sy >= held.y1 || x0 - ox + runs[0] < held.x0 || x0 - ox + runs[n - 1] > held.x1) {
      throw new Error(`blendShifted: masked source cells of row ${sy} lie outside the reference's kept cells [${held.x0}, ${held.x1}) x [${held.y0}, ${held.y1})`)
    }
    const d = (y - box.y0) * bw + (x0 - box.x0)
    const s = (sy - held.y0) * hw + x0 - ox - held.x0
    // channel-major, so both tensors are read along their rows; one loop per source type keeps each monomorphic
    if (source instanceof Uint16Array) {
      const values = HALF_VALUES
      for (let c = 0; c < channels; c++) {
        const row = c * boxPlane + d
        const from = c * plane + s
        for (let j = 0; j < n; j += 2) {
          for (let k = runs[j]; k < runs[j + 1]; k++) target[row + k] += alpha[k] * (values[source[from + k]] - target[row + k])
        }
      }
      continue
    }
    for (let c = 0; c < channels; c++) {
      const row = c * boxPlane + d
      const from = c * plane + s
      for (let j = 0; j < n; j += 2) {
        for (let k = runs[j]; k < runs[j + 1]; k++) target[row + k] += alpha[k] * (source[from + k] - target[row + k])
      }
    }
  }
}

/**
 * Copies n values from `from` at `at` to `to` at `into` (both float32, or both halves' bits): a
 * typed-array set for long rows, a loop for short ones, where making a subarray view costs more
 * than the copy (a 64 px edit's rows are a few dozen cells; a 256 px one's over a hundred, where
 * set is about twice as fast).
 */
export function copyRow(to: StyleTensor, into: number, from: StyleTensor, at: number, n: number): void {
  if (n >= 64) {
    to.set(from.subarray(at, at + n), into)
    return
  }
  for (let k = 0; k < n; k++) to[into + k] = from[at + k]
}

/**
 * Copies `w` x `h` cells of every one of `channels` planes: from `from` (planes fw x fh cells) at
 * (fx, fy) into `to` (planes tw x th) at (tx, ty). Both boxes must lie inside their planes, and
 * both tensors be float32 or both halves.
 */
export function copyCells(to: StyleTensor, tw: number, th: number, tx: number, ty: number, from: StyleTensor, fw: number, fh: number, fx: number, fy: number, w: number, h: number, channels: number): void {
  if (tx < 0 || ty < 0 || fx < 0 || fy < 0 || tx + w > tw || ty + h > th || fx + w > fw || fy + h > fh || to.length < channels * tw * th || from.length < channels * fw * fh) {
    throw new Error(`copyCells: ${w} x ${h} cells from (${fx}, ${fy}) of ${fw} x ${fh} to (${tx}, ${ty}) of ${tw} x ${th}`)
  }
  if (to instanceof Float32Array !== from instanceof Float32Array) throw new Error('copyCells: float32 values and halves')
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < h; y++) copyRow(to, c * tw * th + (ty + y) * tw + tx, from, c * fw * fh + (fy + y) * fw + fx, w)
  }
}

/**
 * The cells of `box` of a [channels, r, r] tensor (float32 or halves), as float32, zero where the
 * box reaches past the grid; written into `out` when given (channels x box-size values, e.g. a
 * kept buffer's view). Halves into halves `out` stay halves.
 */
export function windowOf(data: StyleTensor, channels: number, r: number, box: Box, out?: Float32Array): Float32Array
export function windowOf(data: Uint16Array, channels: number, r: number, box: Box, out: Uint16Array): Uint16Array
export function windowOf(data: StyleTensor, channels: number, r: number, box: Box, out?: StyleTensor): StyleTensor {
  const bw = box.x1 - box.x0
  const bh = box.y1 - box.y0
  const x0 = Math.max(0, box.x0)
  const x1 = Math.min(r, box.x1)
  const y0 = Math.max(0, box.y0)
  const y1 = Math.min(r, box.y1)
  if (out) {
    if (out.length !== channels * bw * bh) throw new Error(`windowOf: ${out.length} values for [${channels}, ${bh}, ${bw}]`)
    if (x0 !== box.x0 || y0 !== box.y0 || x1 !== box.x1 || y1 !== box.y1) out.fill(0)
  }
  const into = out ?? new Float32Array(channels * bw * bh)
  if (x1 <= x0 || y1 <= y0) return into
  if (data instanceof Float32Array || into instanceof Uint16Array) {
    copyCells(into, bw, bh, x0 - box.x0, y0 - box.y0, data, r, r, x0, y0, x1 - x0, y1 - y0, channels)
    return into
  }
  // the table read into a local once, for the loop
  const values = HALF_VALUES
  const n = x1 - x0
  for (let c = 0; c < channels; c++) {
    for (let y = y0; y < y1; y++) {
      const to = c * bw * bh + (y - box.y0) * bw + (x0 - box.x0)
      const from = c * r * r + y * r + x0
      for (let k = 0; k < n; k++) into[to + k] = values[data[from + k]]
    }
  }
  return into
}

/**
 * W space (the paper): the mask is averaged down to the S x S stylemap grid and the stylemaps
 * are blended there, `w = w + t m (w_ref - w)` for each layer in order (t = 1, no offset:
 * `w = m w_ref + (1 - m) w_orig`).
 */
export function mixW(original: Float32Array, layers: MixLayer[], stylemap: { channels: number; size: number }, resolution: number): Float32Array {
  const out = Float32Array.from(original)
  const { channels, size } = stylemap
  for (const layer of layers) {
    const ref = layer.reference
    if (!(ref instanceof Float32Array)) throw new Error('W mixing needs one stylemap per reference')
    const m = poolMask(layer.mask, resolution, size)
    blendShifted(out, gridBox(size), ref, m, channels, size, cellOffset(layer.dx, resolution, size), cellOffset(layer.dy, resolution, size), layer.strength)
  }
  return out
}

/** Per-level strength factor: `coarse` at the smallest style size, `fine` at the largest, linear in log2(size). */
export function levelFactors(levels: StyleLevel[], levelStrength?: { coarse: number; fine: number }): number[] {
  if (!levelStrength) return levels.map(() => 1)
  const logs = levels.map((l) => Math.log2(l.size))
  const lo = Math.min(...logs)
  const hi = Math.max(...logs)
  return logs.map((v) => {
    const p = hi === lo ? 0 : (v - lo) / (hi - lo)
    return levelStrength.coarse + p * (levelStrength.fine - levelStrength.coarse)
  })
}

/** A layer's W+ weights at a style level of size r: its mask average-pooled to r x r and thresholded (> 0.5). */
export function wplusWeights(layer: MixLayer, resolution: number, r: number): Float32Array {
  const pooled = poolMask(layer.mask, resolution, r)
  const binary = new Float32Array(pooled.length)
  for (let k = 0; k < pooled.length; k++) binary[k] = pooled[k] > 0.5 ? 1 : 0
  return binary
}

/**
 * W+ space (the reference demo): at every style level of size r the mask is average-pooled by
 * R / r and thresholded (> 0.5); there the original's values move toward the reference's by
 * t: `orig[moved] += t (ref[mask] - orig[moved])`. Layers apply in order.
 */
export function mixWPlus(
  original: StyleTensor[],
  layers: MixLayer[],
  levels: StyleLevel[],
  resolution: number,
  levelStrength?: { coarse: number; fine: number },
): Float32Array[] {
  const factors = levelFactors(levels, levelStrength)
  return levels.map((level, i) => mixWPlusWindow(original[i], layers, i, level, resolution, factors[i], gridBox(level.size)))
}

/**
 * The cells of `box` of W+ level i after mixing (mixWPlus's arithmetic, in the same order, on
 * those cells only), zero where the box reaches past the grid. `weights`: each layer's
 * wplusWeights at this level, when the caller has them already.
 */
export function mixWPlusWindow(
  original: StyleTensor,
  layers: MixLayer[],
  i: number,
  level: StyleLevel,
  resolution: number,
  factor: number,
  box: Box,
  weights = layers.map((l) => wplusWeights(l, resolution, level.size)),
): Float32Array {
  const out = windowOf(original, level.channels, level.size, box)
  for (const [k, layer] of layers.entries()) {
    const ref = layer.reference
    if (ref instanceof Float32Array) throw new Error('W+ mixing needs style tensors per reference')
    const ox = cellOffset(layer.dx, resolution, level.size)
    const oy = cellOffset(layer.dy, resolution, level.size)
    blendShifted(out, box, ref[i], weights[k], level.channels, level.size, ox, oy, layer.strength * factor, layer.regions?.[i])
  }
  return out
}

/**
 * The cells W+ mixing changes at a level of size r (a destination cell of a layer with weight
 * and strength): an r x r map, 1 where a cell changes.
 */
export function wplusChangedCells(layers: MixLayer[], resolution: number, r: number, factor: number, weights = layers.map((l) => wplusWeights(l, resolution, r))): Uint8Array {
  const map = new Uint8Array(r * r)
  for (const [k, layer] of layers.entries()) {
    if (layer.strength * factor === 0) continue
    const w = weights[k]
    const ox = cellOffset(layer.dx, resolution, r)
    const oy = cellOffset(layer.dy, resolution, r)
    for (let sy = Math.max(0, -oy); sy < Math.min(r, r - oy); sy++) {
      for (let sx = Math.max(0, -ox); sx < Math.min(r, r - ox); sx++) if (w[sy * r + sx]) map[(sy + oy) * r + sx + ox] = 1
    }
  }
  return map
}

/** The box around the set cells of an r x r map (end exclusive); null when none is set. */
export function cellsBox(map: Uint8Array, r: number): Box | null {
  const b = nonZeroBounds(map, r, r)
  return b && { x0: b.x0, y0: b.y0, x1: b.x1 + 1, y1: b.y1 + 1 }
}

/** Global interpolation `(1 - t) a + t b`. */
export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] + t * (b[i] - a[i])
  return out
}

/** Truncation `mean + psi (w - mean)`. */
export function truncate(w: Float32Array, mean: Float32Array, psi: number): Float32Array {
  const out = new Float32Array(w.length)
  for (let i = 0; i < w.length; i++) out[i] = mean[i] + psi * (w[i] - mean[i])
  return out
}

/** Deterministic standard normal samples from a 32-bit seed (mulberry32 + Box-Muller). */
export function normalSamples(seed: number, count: number): Float32Array {
  let state = seed >>> 0
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const out = new Float32Array(count)
  for (let i = 0; i < count; i += 2) {
    const u1 = Math.max(uniform(), 1e-12)
    const u2 = uniform()
    const radius = Math.sqrt(-2 * Math.log(u1))
    out[i] = radius * Math.cos(2 * Math.PI * u2)
    if (i + 1 < count) out[i + 1] = radius * Math.sin(2 * Math.PI * u2)
  }
  return out
}

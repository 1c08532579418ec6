// References' style pyramids kept in part. A W+ edit reads a reference's style tensors only at the
// cells its mask covers, so the engine keeps, of a crop used only as a reference, the cells of a
// box around its masks (at every level), not the whole pyramid: at 256 px a whole pyramid is
// 61 MB as halves, and a photo with three references held three of them. The levels up to the
// resizer's tail level (a quarter of the resolution and coarser, 11 MB at 256 px) are kept whole:
// a mask painted past the kept box costs a run of the resizer's tail on the grown box, and the box
// kept grows. A model without that level pays a whole resizer run (a stroke's drafts then keep
// the pyramid whole until the exact render at the stroke's end).
import type { StyleLevel } from './api.js'
import { type Box, boxArea, cellsBox, gridBox, toGrid, unionBox } from './mixing.js'

/** A crop's style pyramid as the engine keeps it: whole, or the cells of a box of model pixels at every level. */
export interface KeptStyles {
  /** One tensor per level as halves: [channels, r, r], or [channels] x the level's box when `pixels` is set (from level `wholeLevels` on). */
  halves: Uint16Array[]
  /** With `pixels`: how many levels, the coarsest, are kept whole all the same (the resizer's tail reads the last of them). */
  wholeLevels?: number
  /**
   * With `pixels`, where the box has holes: R x R, nonzero at the pixels whose cells the tensors
   * hold at every level (the box of two masks far apart, grown by the tail at each: between them
   * the tensors hold zeros, which no mask read). Absent: every pixel of the box.
   */
  filled?: Uint8Array
  /** The box of model pixels the tensors cover (toGrid at each level: every cell it touches); absent: whole. */
  pixels?: Box
  /**
   * Whole only until the crop is first read as a reference by an exact render: made ahead of
   * any mask (Engine.prepare), or by a stroke's draft whose mask went past the part kept (the
   * stroke's later dabs read it whole). Then it is cut down to what the masks read, as if the
   * resizer had run just then.
   */
  provisional?: boolean
  /**
   * Of a provisional pyramid a stroke's draft made: the box of pixels kept before that stroke
   * went past it. Cut down again, it is grown as the kept box would have been (regionToKeep).
   */
  past?: Box
}

/** Margin added around what a reference's masks read, as a share of the model's resolution, so a stroke a little further costs no resizer run. */
export const REGION_MARGIN = 1 / 8
/** Past this share of the model's pixels a reference's pyramid is kept whole. */
export const REGION_WHOLE_SHARE = 0.5

/** The bounding box of a size x size mask's nonzero pixels (exclusive ends); null when it has none. */
export function maskBox(mask: Uint8Array, size: number): Box | null {
  if (mask.length !== size * size) throw new Error(`maskBox: ${mask.length} bytes for a ${size} x ${size} mask`)
  return cellsBox(mask, size)
}

/**
 * The box of pixels to keep of a reference whose masks read `need`, given the box kept so far
 * (null: none): both, grown by the margin (twice the margin when a stroke has already gone past
 * a kept box, so a long stroke costs few resizer runs) and clipped to the crop; null when that is
 * past `share` of the crop (REGION_WHOLE_SHARE), and the whole pyramid is kept.
 */
export function regionToKeep(need: Box, kept: Box | null, resolution: number, share = REGION_WHOLE_SHARE): Box | null {
  const box = grownBox(unionBox(kept ? [need, kept] : [need])!, regionMargin(resolution) * (kept ? 2 : 1), resolution)
  return boxArea(box) > share * resolution * resolution ? null : box
}

/** REGION_MARGIN in pixels of a model of `resolution`. */
export const regionMargin = (resolution: number): number => Math.ceil(resolution * REGION_MARGIN)

/** `box` grown by `margin` pixels on every side, clipped to the crop. */
export function grownBox(box: Box, margin: number, resolution: number): Box {
  return { x0: Math.max(0, box.x0 - margin), y0: Math.max(0, box.y0 - margin), x1: Math.min(resolution, box.x1 + margin), y1: Math.min(resolution, box.y1 + margin) }
}

/**
 * The box around the pixels of `mask` (R x R) whose cells `kept` does not hold: outside its box,
 * or in a hole of it; null when it holds them all, or `kept` is whole.
 */
export function uncovered(mask: Uint8Array, resolution: number, kept: KeptStyles): Box | null {
  const { pixels, filled } = kept
  if (!pixels) return null
  let box: Box | null = null
  for (let y = 0; y < resolution; y++) {
    const inRows = y >= pixels.y0 && y < pixels.y1
    for (let x = 0, i = y * resolution; x < resolution; x++, i++) {
      if (!mask[i] || (inRows && x >= pixels.x0 && x < pixels.x1 && (!filled || filled[i]))) continue
      if (!box) box = { x0: x, y0: y, x1: x + 1, y1: y + 1 }
      else {
        box.x0 = Math.min(box.x0, x)
        box.x1 = Math.max(box.x1, x + 1)
        box.y1 = y + 1
      }
    }
  }
  return box
}

/**
 * Of `kept` grown to `pixels` (a box holding its own) by `added` (the box a tail run gave): the
 * pixels held (KeptStyles.filled), or undefined when that is all of `pixels`.
 */
export function filledAfter(kept: KeptStyles, added: Box, pixels: Box, resolution: number): Uint8Array | undefined {
  const filled = new Uint8Array(resolution * resolution)
  const fill = (b: Box) => {
    for (let y = b.y0; y < b.y1; y++) filled.fill(1, y * resolution + b.x0, y * resolution + b.x1)
  }
  if (kept.filled) filled.set(kept.filled)
  else if (kept.pixels) fill(kept.pixels)
  fill(added)
  for (let y = pixels.y0; y < pixels.y1; y++) for (let i = y * resolution + pixels.x0; i < y * resolution + pixels.x1; i++) if (!filled[i]) return filled
  return undefined
}

/** The cells of `box` (inside the planes) of a [channels, height, width] tensor of halves, as box-sized planes. */
export function cutPlanes(data: Uint16Array, channels: number, width: number, height: number, box: Box): Uint16Array {
  const bw = box.x1 - box.x0
  const bh = box.y1 - box.y0
  if (data.length !== channels * width * height || box.x0 < 0 || box.y0 < 0 || box.x1 > width || box.y1 > height || bw <= 0 || bh <= 0) {
    throw new Error(`cutPlanes: box [${box.x0}, ${box.x1}) x [${box.y0}, ${box.y1}) of a [${channels}, ${height}, ${width}] tensor of ${data.length} values`)
  }
  const out = new Uint16Array(channels * bw * bh)
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < bh; y++) {
      const from = (c * height + box.y0 + y) * width + box.x0
      out.set(data.subarray(from, from + bw), (c * bh + y) * bw)
    }
  }
  return out
}

/** The cells of `box` (inside the grid) of a [channels, r, r] tensor of halves, as box-sized planes. */
export function cutRegion(data: Uint16Array, channels: number, r: number, box: Box): Uint16Array {
  return cutPlanes(data, channels, r, r, box)
}

/**
 * `whole` (one tensor of halves per level) kept on a box of pixels, its first `wholeLevels`
 * levels whole all the same; or whole when `pixels` is null.
 */
export function keepStyles(whole: Uint16Array[], levels: readonly StyleLevel[], resolution: number, pixels: Box | null, wholeLevels = 0): KeptStyles {
  if (!pixels) return { halves: whole }
  const halves = whole.map((h, i) => (i < wholeLevels ? h : cutRegion(h, levels[i].channels, levels[i].size, toGrid(pixels, resolution, levels[i].size))))
  return wholeLevels ? { halves, pixels, wholeLevels } : { halves, pixels }
}

/** The cells each level's tensor of `kept` holds. */
export function keptBoxes(kept: KeptStyles, levels: readonly StyleLevel[], resolution: number): Box[] {
  return levels.map((l, i) => (kept.pixels && i >= (kept.wholeLevels ?? 0) ? toGrid(kept.pixels, resolution, l.size) : gridBox(l.size)))
}

/**
 * The window of the tail level (of size `size`) a run of the resizer's tail takes to give the
 * cells `pixels` covers at every later level as the whole resizer does: those cells grown by
 * `margin`, clipped to the grid.
 */
export function tailWindow(pixels: Box, resolution: number, size: number, margin: number): Box {
  const cells = toGrid(pixels, resolution, size)
  return { x0: Math.max(0, cells.x0 - margin), y0: Math.max(0, cells.y0 - margin), x1: Math.min(size, cells.x1 + margin), y1: Math.min(size, cells.y1 + margin) }
}

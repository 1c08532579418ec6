// References' style pyramids kept in part. A W+ edit reads a reference's style tensors only at the
// cells its mask covers, so the engine keeps, of a crop used only as a reference, the cells of a
// box around its masks (at every level), not the whole pyramid: at 256 px a whole pyramid is
// 61 MB as halves, and a photo with three references held three of them. A mask painted past the
// kept box costs one resizer run of the reference's stylemap, and the box kept then grows (a
// stroke's drafts keep that pyramid whole until the exact render at the stroke's end).
import type { StyleLevel } from './api.js'
import { type Box, boxArea, cellsBox, gridBox, toGrid, unionBox } from './mixing.js'

/** A crop's style pyramid as the engine keeps it: whole, or the cells of a box of model pixels at every level. */
export interface KeptStyles {
  /** One tensor per level as halves: [channels, r, r], or [channels] x the level's box when `pixels` is set. */
  halves: Uint16Array[]
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

/** Whether `outer` holds every cell of `inner`. */
export function contains(outer: Box, inner: Box): boolean {
  return outer.x0 <= inner.x0 && outer.y0 <= inner.y0 && outer.x1 >= inner.x1 && outer.y1 >= inner.y1
}

/**
 * The box of pixels to keep of a reference whose masks read `need`, given the box kept so far
 * (null: none): both, grown by the margin (twice the margin when a stroke has already gone past
 * a kept box, so a long stroke costs few resizer runs) and clipped to the crop; null when that is
 * past REGION_WHOLE_SHARE of the crop, and the whole pyramid is kept.
 */
export function regionToKeep(need: Box, kept: Box | null, resolution: number): Box | null {
  const m = Math.ceil(resolution * REGION_MARGIN) * (kept ? 2 : 1)
  const both = unionBox(kept ? [need, kept] : [need])!
  const box = { x0: Math.max(0, both.x0 - m), y0: Math.max(0, both.y0 - m), x1: Math.min(resolution, both.x1 + m), y1: Math.min(resolution, both.y1 + m) }
  return boxArea(box) > REGION_WHOLE_SHARE * resolution * resolution ? null : box
}

/** The cells of `box` (inside the grid) of a [channels, r, r] tensor of halves, as box-sized planes. */
export function cutRegion(data: Uint16Array, channels: number, r: number, box: Box): Uint16Array {
  const bw = box.x1 - box.x0
  const bh = box.y1 - box.y0
  if (data.length !== channels * r * r || box.x0 < 0 || box.y0 < 0 || box.x1 > r || box.y1 > r || bw <= 0 || bh <= 0) {
    throw new Error(`cutRegion: box [${box.x0}, ${box.x1}) x [${box.y0}, ${box.y1}) of a [${channels}, ${r}, ${r}] tensor of ${data.length} values`)
  }
  const out = new Uint16Array(channels * bw * bh)
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < bh; y++) {
      const from = c * r * r + (box.y0 + y) * r + box.x0
      out.set(data.subarray(from, from + bw), (c * bh + y) * bw)
    }
  }
  return out
}

/** `whole` (one tensor of halves per level) kept on a box of pixels, or whole when `pixels` is null. */
export function keepStyles(whole: Uint16Array[], levels: readonly StyleLevel[], resolution: number, pixels: Box | null): KeptStyles {
  if (!pixels) return { halves: whole }
  return { halves: whole.map((h, i) => cutRegion(h, levels[i].channels, levels[i].size, toGrid(pixels, resolution, levels[i].size))), pixels }
}

/** The cells each level's tensor of `kept` holds. */
export function keptBoxes(kept: KeptStyles, levels: readonly StyleLevel[], resolution: number): Box[] {
  return levels.map((l) => (kept.pixels ? toGrid(kept.pixels, resolution, l.size) : gridBox(l.size)))
}

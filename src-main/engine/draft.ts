// The draft preview (models with the coarse and fine graphs): what is shown while a stroke is
// being painted, before the exact render.
//
// Nearly all of the feature path's arithmetic is in its last up-blocks (the fine part), and it
// runs whole only because each layer normalises over the whole feature map. A draft runs the
// coarse part whole (exact, cheap), then the fine part on a window around the cells the edit
// changed since the crop's latest exact decode, normalised with that decode's statistics
// instead of the window's own, and shows that decode outside the window. While painting, that
// decode is the edit as the previous stroke left it: a stroke moves the statistics little, so
// the draft is close to the exact render where the stroke is; past the window it shows the
// decode where the exact render has small changes, which the feathered paste-back mostly hides.
import type { Box } from './mixing.js'
import { boxArea, cellOffset, copyRow, toGrid, unionBox, windowOf } from './mixing.js'
import { type GammaBetaPatch, grow, type LevelChange, modulateChanges, patchesOf, withPatches } from './incremental.js'
import { betaChannels, type ModelRuntime, type Modulation } from './model.js'

/**
 * The buffers a stroke's drafts copy the fine layers' gamma/beta windows into, kept from one
 * draft to the next (the engine drops them when an exact render follows). A 256 px draft copies
 * tens of MB of windows; into fresh buffers, the page faults of the new memory cost about as
 * much again as the copy, and the collector then frees them. Views of a kept buffer grown as a
 * window needs, one buffer per key: at most the largest window's share of the fine layers'
 * gamma/beta (DRAFT_WINDOW_SHARE of the grid), held until the stroke's exact render.
 */
export class DraftBuffers {
  readonly #kept = new Map<string, Float32Array>()

  /** `length` values of the buffer kept under `key` (their contents are whatever was last written). */
  take(key: string, length: number): Float32Array {
    let buffer = this.#kept.get(key)
    if (!buffer || buffer.length < length) {
      buffer = new Float32Array(length)
      this.#kept.set(key, buffer)
    }
    return buffer.subarray(0, length)
  }

  clear(): void {
    this.#kept.clear()
  }
}

/** Above this share of the grid, a draft window costs about what the exact path does: the exact path runs instead. */
export const DRAFT_WINDOW_SHARE = 0.6

/**
 * What a W+ edit of a crop was mixed from, beyond the masks: each layer's reference crop,
 * strength and offset, and the level factors. Two edits with the same `layers` and `factors`
 * differ only where their mask weights do.
 */
export interface MixState {
  layers: string
  factors: number[]
  /** Per style level, per layer: wplusWeights (r x r, on the reference's grid). */
  weights: Float32Array[][]
  /** Per layer: its offset in model pixels. */
  offsets: { dx: number; dy: number }[]
}

/** An exact decode of a crop (its own, or of an edit of it) with its fine layers' statistics (ModelRuntime.featuresWithStats). */
export interface ExactDecode {
  image: Float32Array
  stats: Float32Array
  /** What it was mixed from (a W+ edit or none); null: not known (W), so a draft compares against the photo. */
  state: MixState | null
  /**
   * The edit's gamma/beta where they differ from the crop's own, per level (null: none differ
   * there), so a draft from this decode recomputes only what changed since; null: not kept (an
   * edit that computed gamma/beta whole, or past the budget), and drafts recompute every change.
   */
  patches: (GammaBetaPatch | null)[] | null
}

/**
 * Per style level, the cells whose gamma/beta differ between an edit (`current`) and the exact
 * decode it would start from (`since`), grown by one cell as a 3x3 convolution spreads a change;
 * null where nothing differs. Null in all when the two are not comparable (other layers,
 * strengths, offsets or level factors, or a W edit, whose state is not tracked).
 */
export function changedSince(since: MixState | null, current: MixState | null, sizes: number[], resolution: number): (Box | null)[] | null {
  if (!since || !current || since.layers !== current.layers || since.factors.join() !== current.factors.join()) return null
  return sizes.map((r, level) => {
    let box: Box | null = null
    current.weights[level].forEach((w, k) => {
      const before = since.weights[level][k]
      const ox = cellOffset(current.offsets[k].dx, resolution, r)
      const oy = cellOffset(current.offsets[k].dy, resolution, r)
      for (let sy = 0; sy < r; sy++) {
        for (let sx = 0; sx < r; sx++) {
          if (w[sy * r + sx] === before[sy * r + sx]) continue
          const x = sx + ox
          const y = sy + oy
          if (x < 0 || y < 0 || x >= r || y >= r) continue
          box = box ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x + 1), y1: Math.max(box.y1, y + 1) } : { x0: x, y0: y, x1: x + 1, y1: y + 1 }
        }
      }
    })
    return box && grow(box, 1, r)
  })
}

/** Where a draft recomputes, in cells of the coarse map x (preview.grid): `input` is fed, `out` is kept. */
export interface DraftWindow {
  out: Box
  input: Box
}

/**
 * The draft's window for changes per level (where gamma/beta change), or null when a draft would
 * not help: no fine layer changes, or the window covers more than `share` of the grid. The kept
 * cells are the changed ones; the input is those grown by the model's margin, so the kept cells
 * are what a whole run with the same statistics gives.
 */
export function draftWindow(model: ModelRuntime, outs: (Box | null)[], share = DRAFT_WINDOW_SHARE): DraftWindow | null {
  const p = model.manifest.preview
  const mods = model.manifest.modulations ?? []
  if (!p) return null
  const out = unionBox(outs.flatMap((box, i) => (box && i >= p.fineLayer ? [toGrid(box, mods[i].size, p.grid)] : [])))
  if (!out) return null
  const input = grow(out, p.margin, p.grid)
  if (boxArea(input) > share * p.grid * p.grid) return null
  return { out, input }
}

/**
 * The cells a draft needs recomputed, per level, given the cells an edit changes: all of them at
 * coarse levels (the coarse part runs whole), and at fine levels only those that reach the
 * window. `reach` is how far a changed cell acts: 1 for style cells (a 3x3 convolution reads one
 * cell around), 0 for cells whose gamma/beta change (changedSince's boxes).
 */
export function draftChanged(model: ModelRuntime, changed: (Box | null)[], window: DraftWindow, reach: 0 | 1 = 1): (Box | null)[] {
  const p = model.manifest.preview
  const mods = model.manifest.modulations ?? []
  if (!p) return changed
  return changed.map((box, i) => {
    if (!box || i < p.fineLayer) return box
    return intersect(box, grow(scaled(window.input, mods[i].size / p.grid), reach))
  })
}

/** The cells two boxes share, or null. */
function intersect(a: Box, b: Box): Box | null {
  const cut = { x0: Math.max(a.x0, b.x0), y0: Math.max(a.y0, b.y0), x1: Math.min(a.x1, b.x1), y1: Math.min(a.y1, b.y1) }
  return cut.x1 > cut.x0 && cut.y1 > cut.y0 ? cut : null
}

/** `box` scaled by `k` (a grid box to a finer grid). */
function scaled(box: Box, k: number): Box {
  return { x0: box.x0 * k, y0: box.y0 * k, x1: box.x1 * k, y1: box.y1 * k }
}

/** Writes the part of `values` (a `from`-sized box of a [channels, ...] tensor) inside `to` into `target` (a `to`-sized box of it). */
function overlay(target: Float32Array, to: Box, values: Float32Array, from: Box, channels: number): void {
  const x0 = Math.max(to.x0, from.x0)
  const x1 = Math.min(to.x1, from.x1)
  const y0 = Math.max(to.y0, from.y0)
  const y1 = Math.min(to.y1, from.y1)
  if (x1 <= x0 || y1 <= y0) return
  const tw = to.x1 - to.x0
  const th = to.y1 - to.y0
  const fw = from.x1 - from.x0
  const fh = from.y1 - from.y0
  for (let c = 0; c < channels; c++) {
    for (let y = y0; y < y1; y++) {
      copyRow(target, c * tw * th + (y - to.y0) * tw + (x0 - to.x0), values, c * fw * fh + (y - from.y0) * fw + (x0 - from.x0), x1 - x0)
    }
  }
}

/**
 * The draft image for an edit: gamma/beta recomputed where the edit changes them (as the exact
 * path has them), the coarse part whole, the fine part on `window.input` with `base`'s
 * statistics, and `base`'s image outside `window.out`. `base` is an exact decode of the crop:
 * its own, or the latest exact edit of it (while painting: the edit as it was before the
 * stroke, whose statistics are closer than the photo's). `changes` are relative to `over`, the
 * gamma/beta patches the changes go on top of: base's own (base.patches), so only what changed
 * since base is recomputed, or null (the photo's gamma/beta). Only the coarse layers of `photo`
 * are patched in place, and restored before this returns (one at a time, as withPatches).
 */
export async function draftImage(
  model: ModelRuntime,
  photo: Modulation[],
  changes: (LevelChange | null)[],
  base: ExactDecode,
  window: DraftWindow,
  over: (GammaBetaPatch | null)[] | null = null,
  buffers: DraftBuffers = new DraftBuffers(),
): Promise<Float32Array> {
  const p = model.manifest.preview
  if (!p) throw new Error('draftImage: the model has no draft preview graphs')
  const mods = model.manifest.modulations ?? []
  const R = model.manifest.resolution
  const { input, out } = window
  // fresh gamma/beta of every changed window, over the patches they are relative to
  const patches = [over ?? [], patchesOf(changes, await modulateChanges(model, changes))]
  const coarse = patches.map((set) => set.map((patch, i) => (i < p.fineLayer ? patch : null)))
  const x = await withPatches(model, photo, coarse, (patched) => model.coarse(patched))
  const fine: Modulation[] = []
  for (let i = p.fineLayer; i < mods.length; i++) {
    const { channels, size } = mods[i]
    const bc = betaChannels(mods[i])
    const at = scaled(input, size / p.grid)
    const cells = (at.x1 - at.x0) * (at.y1 - at.y0)
    const gamma = windowOf(photo[i].gamma, channels, size, at, buffers.take(`gamma_${i}`, channels * cells))
    const beta = windowOf(photo[i].beta, bc, size, at, buffers.take(`beta_${i}`, bc * cells))
    for (const set of patches) {
      const patch = set[i]
      if (!patch) continue
      overlay(gamma, at, patch.gamma, patch.out, channels)
      overlay(beta, at, patch.beta, patch.out, bc)
    }
    fine.push({ gamma, beta, height: at.y1 - at.y0, width: at.x1 - at.x0 })
  }
  const image = await model.fine(windowOf(x, p.channels, p.grid, input), fine, base.stats, input.y1 - input.y0, input.x1 - input.x0)
  // the base image with the window's `out` cells written over it (the margin around them is not kept)
  const k = R / p.grid
  const result = Float32Array.from(base.image)
  const fw = (input.x1 - input.x0) * k
  const fh = (input.y1 - input.y0) * k
  const ow = (out.x1 - out.x0) * k
  for (let c = 0; c < 3; c++) {
    for (let y = out.y0 * k; y < out.y1 * k; y++) {
      copyRow(result, c * R * R + y * R + out.x0 * k, image, c * fw * fh + (y - input.y0 * k) * fw + (out.x0 - input.x0) * k, ow)
    }
  }
  return result
}

// The draft preview (models with the coarse and fine graphs): what is shown while a stroke is
// being painted, before the exact render.
//
// Nearly all of the feature path's arithmetic is in its last up-blocks (the fine part), and it
// runs whole only because each layer normalises over the whole feature map. A draft runs the
// coarse part whole (exact, cheap), then the fine part on a window, normalised with the
// statistics of the crop's latest exact decode instead of the window's own, and shows that
// decode outside the window. The window takes in the cells whose fine layers' gamma/beta the
// edit changed since, and, where that costs at most DRAFT_GROWTH times as much, those where the
// coarse part's output moved: a coarse layer's change reaches past its cells, and at 256 px
// (several coarse layers, each normalised over its whole map) it can reach across the crop.
// While painting, that decode is the edit as the previous stroke left it: a stroke moves the
// statistics little, so the draft is close to the exact render where it recomputes; past the
// window it shows the decode, and the exact render at the stroke's end shows what moved there.
import type { Box, StyleTensor } from './mixing.js'
import { boxArea, cellsBox, copyCells, toGrid, unionBox, windowOf } from './mixing.js'
import { diffCells, grow, type MixState } from './incremental.js'
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
  readonly #kept = new Map<string, Float32Array | Uint16Array>()

  /** `length` values of the buffer kept under `key` (their contents are whatever was last written). */
  take(key: string, length: number): Float32Array {
    return this.#take(key, length, Float32Array)
  }

  /** take() for halves' bits (a level whose gamma/beta are halves). */
  takeHalves(key: string, length: number): Uint16Array {
    return this.#take(`${key}:halves`, length, Uint16Array)
  }

  #take<T extends Float32Array | Uint16Array>(key: string, length: number, kind: new (length: number) => T): T {
    let buffer = this.#kept.get(key)
    if (!(buffer instanceof kind) || buffer.length < length) {
      buffer = new kind(length)
      this.#kept.set(key, buffer)
    }
    return buffer.subarray(0, length) as T
  }

  clear(): void {
    this.#kept.clear()
  }
}

/** Above this share of the grid, a draft window costs about what the exact path does: the exact path runs instead. */
export const DRAFT_WINDOW_SHARE = 0.6

/**
 * How far the coarse part's map x may move from the x of the exact decode a draft starts from, in
 * units of that x's root mean square, before the draft recomputes the cell (see draftImage).
 */
export const DRAFT_COARSE_TOLERANCE = 0.05

/**
 * How many times the cells of its fine layers' window a draft's window may grow to where the
 * coarse part's output moved (see draftImage): a draft is there to be quick, and where a coarse
 * change reaches across much of the crop the exact render that follows the stroke shows it.
 */
export const DRAFT_GROWTH = 2

/** What bounds a draft's window (the engine's options; DRAFT_WINDOW_SHARE, DRAFT_COARSE_TOLERANCE and DRAFT_GROWTH by default). */
export interface DraftLimits {
  share: number
  tolerance: number
  growth: number
}

/** An exact decode of a crop (its own, or of an edit of it) with its fine layers' statistics (ModelRuntime.featuresWithStats). */
export interface ExactDecode {
  image: Float32Array
  stats: Float32Array
  /** The coarse part's map x it was decoded from (the model's preview grid); undefined: not kept. */
  x?: Float32Array
  /** What it was mixed from (a W+ edit or none); null: not known (W), so a draft compares against the photo. */
  state: MixState | null
  /**
   * Per style level, the cells whose style its mix changed from the crop's own (null at a level:
   * none); undefined where not kept. A draft whose mix cannot be compared with this one's (another
   * strength or offset) starts from it all the same, recomputing these cells and its own.
   */
  own?: (Uint8Array | null)[]
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

/** `box` scaled by `k` (a grid box to a finer grid). */
function scaled(box: Box, k: number): Box {
  return { x0: box.x0 * k, y0: box.y0 * k, x1: box.x1 * k, y1: box.y1 * k }
}

/** `window` taking in the cells of `moved` too (a grid of `grid` cells, inputs grown by `margin`). */
function grownWindow(window: DraftWindow, moved: Box, margin: number, grid: number): DraftWindow {
  const out = unionBox([window.out, moved])!
  return { out, input: grow(out, margin, grid) }
}

/** The root mean square of `values`. */
function rms(values: Float32Array): number {
  let sum = 0
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i]
  return Math.sqrt(sum / Math.max(1, values.length))
}

/**
 * The draft image for an edit whose gamma/beta `live` holds (LiveModulations' tensors, with the
 * edit written in): the coarse part whole, the fine part on a window with `base`'s statistics, and
 * `base`'s image outside the window's kept cells. `base` is an exact decode of the crop: its own,
 * or the latest exact edit of it (while painting: the edit as it was before the stroke, whose
 * statistics are closer than the photo's); `window` covers the cells whose fine layers'
 * gamma/beta changed since. The coarse part's map x changes further: a coarse layer's change
 * reaches past its cells through the layers after it, and its normalisation is global. So the
 * window also takes in the cells where x moved from base's by more than `tolerance` times the
 * root mean square of base's x, where the window so grown stays within `share` of the grid and
 * `growth` times the cells of `window`'s input; else it keeps to `window` (a draft is there to be
 * quick: where x moved outside it, the exact render after the stroke shows that).
 */
export async function draftImage(
  model: ModelRuntime,
  live: Modulation[],
  base: ExactDecode,
  window: DraftWindow,
  buffers: DraftBuffers = new DraftBuffers(),
  { share, tolerance, growth }: DraftLimits = { share: DRAFT_WINDOW_SHARE, tolerance: DRAFT_COARSE_TOLERANCE, growth: DRAFT_GROWTH },
): Promise<Float32Array> {
  const p = model.manifest.preview
  if (!p) throw new Error('draftImage: the model has no draft preview graphs')
  const mods = model.manifest.modulations ?? []
  const R = model.manifest.resolution
  const x = await model.coarse(live)
  // (no cell moves by more than an infinite tolerance, and Infinity x an RMS of 0 is no number)
  const movedCells = base.x && x !== base.x && tolerance !== Infinity ? diffCells(x, base.x, p.channels, p.grid, tolerance * rms(base.x)) : null
  const moved = movedCells && cellsBox(movedCells, p.grid)
  const grown = moved ? grownWindow(window, moved, p.margin, p.grid) : window
  const { out, input } = boxArea(grown.input) <= Math.min(share * p.grid * p.grid, growth * boxArea(window.input)) ? grown : window
  const fine: Modulation[] = []
  for (let i = p.fineLayer; i < mods.length; i++) {
    const { channels, size } = mods[i]
    const bc = betaChannels(mods[i])
    const at = scaled(input, size / p.grid)
    const cells = (at.x1 - at.x0) * (at.y1 - at.y0)
    // a level held as halves is passed as halves
    const windowed = (values: StyleTensor, c: number, key: string) =>
      values instanceof Uint16Array ? windowOf(values, c, size, at, buffers.takeHalves(key, c * cells)) : windowOf(values, c, size, at, buffers.take(key, c * cells))
    fine.push({
      gamma: windowed(live[i].gamma, channels, `gamma_${i}`),
      beta: windowed(live[i].beta, bc, `beta_${i}`),
      height: at.y1 - at.y0,
      width: at.x1 - at.x0,
    })
  }
  const image = await model.fine(windowOf(x, p.channels, p.grid, input), fine, base.stats, input.y1 - input.y0, input.x1 - input.x0)
  // the base image with the window's `out` cells written over it (the margin around them is not kept)
  const k = R / p.grid
  const result = Float32Array.from(base.image)
  const fw = (input.x1 - input.x0) * k
  const fh = (input.y1 - input.y0) * k
  copyCells(result, R, R, out.x0 * k, out.y0 * k, image, fw, fh, (out.x0 - input.x0) * k, (out.y0 - input.y0) * k, (out.x1 - out.x0) * k, (out.y1 - out.y0) * k, 3)
  return result
}

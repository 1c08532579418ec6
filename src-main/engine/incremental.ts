// The exact incremental edit path (models with the modulation and features graphs).
//
// About 60% of a decode is the modulation: every modulated layer's gamma and beta, 3x3
// convolutions of its style tensor. An edit changes the style tensors only in the cells its
// masks reach, and a 3x3 convolution spreads a change by one cell, so gamma and beta change
// only in those cells grown by one. Each edited crop keeps its gamma and beta as live tensors
// (LiveModulations) that hold the latest edit's values: the next edit recomputes only the cells
// whose mixed style differs from that edit's (a stroke added to a mask, a mask erased), writes
// them in, and runs the feature path whole on the tensors, since it normalises over whole
// feature maps. The crop's own values under what was written are saved aside, tile by tile, and
// written back when an edit is mixed from something else (other layers, strengths, offsets).
//
// The changed cells are covered by boxes that follow their shape (coverBoxes: the ring a grown
// mask adds is four strips, not the square around it), and every box of every level is
// recomputed in one modulation run: each box's window (the box and a one-cell border, since the
// graph's convolutions are 'valid') is packed into one canvas per level.
//
// The tensors count their changes (version), and the feature path's image of them is kept with the
// version it was made at: an edit whose tensors are as they were (the same edit pasted back with
// another feather or detail setting, or at another size) is that image again, with no run (256
// px: 0.5-0.6 s -> 0.02 s for the generated crop). An export gets it where its masks give the same
// W+ weights as the preview's (the app sends the preview masks at 1024 px at most).
import { bitsToHalf, HALF_VALUES, nearestHalf } from './half.js'
import { type Box, boxArea, cellOffset, cellsBox, copyCells, type StyleTensor, unionBox } from './mixing.js'
import { betaChannels, emptyWindow, type ModelRuntime, type Modulation, type ModulationLevel, modulationValues, type StyleWindow } from './model.js'

/** `box` grown by `d` cells on every side, clipped to an r x r grid when `clip` is given. */
export function grow(box: Box, d: number, clip?: number): Box {
  const out = { x0: box.x0 - d, y0: box.y0 - d, x1: box.x1 + d, y1: box.y1 + d }
  if (clip === undefined) return out
  return { x0: Math.max(0, out.x0), y0: Math.max(0, out.y0), x1: Math.min(clip, out.x1), y1: Math.min(clip, out.y1) }
}

/**
 * The cells (an r x r map) where two [channels, r, r] tensors differ in any channel (float32 `a`
 * and `b`: by more than `tolerance`, when given); null when equal. Float32 `a` against halves `b`
 * (a kept pyramid) differs where it rounds to another half; halves against halves (a resizer's
 * output against a kept pyramid), where the bits differ. A tolerance against halves is an error,
 * not ignored, and so are halves `a` against float32 `b`.
 */
export function diffCells(a: StyleTensor, b: StyleTensor, channels: number, r: number, tolerance = 0): Uint8Array | null {
  if (a.length !== channels * r * r || b.length !== a.length) throw new Error(`diffCells: tensors of ${a.length} and ${b.length} values for [${channels}, ${r}, ${r}]`)
  if (!(tolerance >= 0)) throw new Error(`diffCells: a tolerance of ${tolerance}`)
  if (tolerance > 0 && !(b instanceof Float32Array)) throw new Error('diffCells: a tolerance against halves (they are compared by rounding)')
  if (!(a instanceof Float32Array) && b instanceof Float32Array) throw new Error('diffCells: halves against float32 values')
  const plane = r * r
  const changed = new Uint8Array(plane)
  const bits = a instanceof Float32Array ? new Uint32Array(a.buffer, a.byteOffset, a.length) : null
  let any = false
  for (let c = 0; c < channels; c++) {
    const o = c * plane
    if (b instanceof Float32Array && tolerance > 0) {
      for (let k = 0; k < plane; k++) if (Math.abs(a[o + k] - b[o + k]) > tolerance) changed[k] = 1
    } else if (b instanceof Float32Array || !bits) {
      // the same kind of values: equal or not
      for (let k = 0; k < plane; k++) if (a[o + k] !== b[o + k]) changed[k] = 1
    } else {
      for (let k = 0; k < plane; k++) if (!changed[k] && bitsToHalf(bits[o + k]) !== b[o + k]) changed[k] = 1
    }
  }
  for (let k = 0; k < plane && !any; k++) any = changed[k] === 1
  return any ? changed : null
}

/**
 * What a W+ edit of a crop was mixed from, beyond the masks: each layer's reference crop,
 * strength and offset, and the level factors. Two edits with the same sources, strengths and
 * factors differ only where their mask weights do (changedSince); one layer's edits that differ
 * only in its strength or the factors differ by a ratio per level (scaleRatios).
 */
export interface MixState {
  /** Per layer, its reference crop and offset, in order ('|'-joined). */
  sources: string
  /** Per layer: its strength. */
  strengths: number[]
  factors: number[]
  /** Per style level, per layer: wplusWeights (r x r, on the reference's grid). */
  weights: Float32Array[][]
  /** Per layer: its offset in model pixels. */
  offsets: { dx: number; dy: number }[]
}

/** The state of a crop's own decode (no layers), for `levels` style levels. */
export const ownState = (levels: number): MixState => ({ sources: '', strengths: [], factors: [], weights: Array.from({ length: levels }, () => []), offsets: [] })

/**
 * Per style level, the cells (r x r maps) whose mixed style differs between an edit (`current`)
 * and an earlier one (`since`); null at a level where none does. Null in all when the two are
 * not comparable (other layers, strengths, offsets or level factors, or a W edit, whose state
 * is not tracked).
 */
export function changedSince(since: MixState | null, current: MixState | null, sizes: number[], resolution: number): (Uint8Array | null)[] | null {
  if (!since || !current || since.sources !== current.sources || since.strengths.join() !== current.strengths.join() || since.factors.join() !== current.factors.join()) return null
  // levels of one size whose weights are the same arrays have the same map
  return sameAsEarlier(sizes, (r, level) => [r, current.weights[level], since.weights[level]], (r, level) => {
    const map = new Uint8Array(r * r)
    let any = false
    current.weights[level].forEach((w, k) => {
      const before = since.weights[level][k]
      const ox = cellOffset(current.offsets[k].dx, resolution, r)
      const oy = cellOffset(current.offsets[k].dy, resolution, r)
      for (let sy = Math.max(0, -oy); sy < Math.min(r, r - oy); sy++) {
        for (let sx = Math.max(0, -ox); sx < Math.min(r, r - ox); sx++) {
          if (w[sy * r + sx] === before[sy * r + sx]) continue
          map[(sy + oy) * r + sx + ox] = 1
          any = true
        }
      }
    })
    return any ? map : null
  })
}

/**
 * Per style level, the ratio by which an edit's changes to the crop's gamma/beta (from its own)
 * scale going from the edit `since` to `current`, where the two are one layer that differs only
 * in its strength or the level factors (same reference, offset and weights); null otherwise. W+ mixing
 * moves a cell by strength x factor x (reference - own), and gamma/beta are linear in the style,
 * so the new changes are the old ones times the ratio: a strength slider needs no modulation run.
 * With more layers a later one blends toward what the earlier ones made, so they do not scale.
 */
export function scaleRatios(since: MixState | null, current: MixState | null): number[] | null {
  if (!since || !current || since.strengths.length !== 1 || current.strengths.length !== 1 || since.sources !== current.sources) return null
  if (since.factors.length !== current.factors.length || since.weights.length !== current.weights.length) return null
  const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, k) => v === b[k])
  if (!since.weights.every((level, i) => level.length === 1 && current.weights[i].length === 1 && same(level[0], current.weights[i][0]))) return null
  const ratios: number[] = []
  for (let i = 0; i < current.factors.length; i++) {
    const before = since.strengths[0] * since.factors[i]
    const after = current.strengths[0] * current.factors[i]
    // a level the layer left as it was cannot be scaled into a change
    if (before === 0 && after !== 0) return null
    ratios.push(before === 0 ? 1 : after / before)
  }
  return ratios.every((r) => r === 1) ? null : ratios
}

/** The cells within one cell of a set one (in an r x r map): where gamma/beta change when the styles of `map`'s cells do. */
export function dilate(map: Uint8Array, r: number): Uint8Array {
  // rows first (each set cell and its left and right), then columns
  const rows = new Uint8Array(r * r)
  for (let y = 0; y < r; y++) {
    const o = y * r
    for (let x = 0; x < r; x++) if (map[o + x] || (x > 0 && map[o + x - 1]) || (x + 1 < r && map[o + x + 1])) rows[o + x] = 1
  }
  const out = new Uint8Array(r * r)
  for (let y = 0; y < r; y++) {
    for (let x = 0; x < r; x++) {
      const k = y * r + x
      if (rows[k] || (y > 0 && rows[k - r]) || (y + 1 < r && rows[k + r])) out[k] = 1
    }
  }
  return out
}

/**
 * `make(item, i)` for each item, where an earlier item's `inputs` are the same (===) taking that
 * item's result instead: style levels come in pairs of one size, whose masks, weights and cell
 * maps are the same, and at 256 px each map is 65,536 cells. The results are shared, so callers
 * must not change them.
 */
export function sameAsEarlier<T, R>(items: readonly T[], inputs: (item: T, i: number) => unknown[], make: (item: T, i: number) => R): R[] {
  const keys = items.map(inputs)
  const out: R[] = []
  items.forEach((item, i) => {
    const j = keys.findIndex((k, j) => j < i && k.length === keys[i].length && k.every((v, n) => v === keys[i][n]))
    out.push(j >= 0 ? out[j] : make(item, i))
  })
  return out
}

/** What a box costs to recompute: its cells and the one-cell border its window reads. */
const windowCost = (b: Box): number => (b.x1 - b.x0 + 2) * (b.y1 - b.y0 + 2)

/**
 * Boxes that together cover the set cells of an r x r map, following its shape: the grid is cut
 * into bands of `band` rows (by default each row), each band's runs of columns holding a set
 * cell become a box (its rows trimmed to the set ones), and a box joins one above it where one
 * window around both costs no more than the two apart. A square is one box, the ring around it
 * four, a disc's edge a few boxes along each side. [] when none is set.
 */
export function coverBoxes(map: Uint8Array, r: number, band = 1): Box[] {
  const done: Box[] = []
  let open: Box[] = []
  const used = new Uint8Array(r)
  for (let y0 = 0; y0 < r; y0 += band) {
    const y1 = Math.min(r, y0 + band)
    used.fill(0)
    for (let y = y0; y < y1; y++) for (let x = 0; x < r; x++) if (map[y * r + x]) used[x] = 1
    const next: Box[] = []
    for (let x = 0; x < r; ) {
      if (!used[x]) {
        x++
        continue
      }
      const start = x
      while (x < r && used[x]) x++
      // the run's first and last rows with a set cell
      let top = y1
      let bottom = y0
      for (let y = y0; y < y1; y++) {
        for (let k = start; k < x; k++) {
          if (map[y * r + k]) {
            top = Math.min(top, y)
            bottom = y + 1
            break
          }
        }
      }
      const box = { x0: start, y0: top, x1: x, y1: bottom }
      // a run under a box that a join widened joins it; else it may join the box above it, where
      // that costs no more and the union overlaps no other box
      const under = next.findIndex((b) => meet(b, box))
      if (under >= 0) {
        next[under] = union(next[under], box)
        continue
      }
      const above = open.findIndex((a) => {
        if (!meet(a, { ...box, y0: a.y0 })) return false
        const u = union(a, box)
        return windowCost(u) <= windowCost(a) + windowCost(box) && !open.some((o) => o !== a && meet(o, u)) && !next.some((o) => meet(o, u))
      })
      if (above < 0) next.push(box)
      else next.push(union(open.splice(above, 1)[0], box))
    }
    done.push(...open)
    open = next
  }
  return [...done, ...open]
}

/** Whether two boxes share a cell. */
const meet = (a: Box, b: Box): boolean => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1

/** The smallest box around two. */
const union = (a: Box, b: Box): Box => unionBox([a, b])!

/**
 * The most rows a recomputed box spans: taller boxes are cut, so boxes of every shape pack into
 * one canvas with little left over (recompute), at the cost of a border row each side of a cut.
 */
export const SLAB_ROWS = 16

/** `boxes` with those taller than `rows` cut into slabs of about equal height, none taller. */
export function slabs(boxes: readonly Box[], rows = SLAB_ROWS): Box[] {
  return boxes.flatMap((b) => {
    const n = Math.ceil((b.y1 - b.y0) / rows)
    return Array.from({ length: n }, (_, k) => ({ ...b, y0: b.y0 + Math.round(((b.y1 - b.y0) * k) / n), y1: b.y0 + Math.round(((b.y1 - b.y0) * (k + 1)) / n) }))
  })
}

/** The one box around the cells whose gamma/beta change at a level whose styles change where `map` (r x r) is set; null for none. */
export function changedBox(map: Uint8Array | null, r: number): Box | null {
  const around = map && cellsBox(map, r)
  return around ? grow(around, 1, r) : null
}

/**
 * The cells whose gamma/beta change at a level whose styles change where `map` (r x r) is set:
 * the map grown by one cell. Given `mixed` (the cells the edit mixes at this level, null: none),
 * only those that read a mixed cell: the others' gamma/beta are the crop's own again
 * (unmixedCells), written back, not recomputed. Null when none.
 */
export function changedCells(map: Uint8Array | null, r: number, mixed?: Uint8Array | null): Uint8Array | null {
  if (!map) return null
  const cells = mixed === undefined ? dilate(map, r) : mixed ? both(dilate(map, r), dilate(mixed, r)) : null
  return cells && cellsBox(cells, r) ? cells : null
}

/**
 * Boxes to recompute the set cells of an r x r map on: coverBoxes of the map, cut into slabs;
 * or, where their packed windows would cost more (small grids, where borders weigh most), the
 * one box around them. [] for none.
 */
export function boxesOf(cells: Uint8Array | null, r: number): Box[] {
  const around = cells && cellsBox(cells, r)
  if (!cells || !around) return []
  const cover = slabs(coverBoxes(cells, r))
  const packed = packShelves(cover.map((b) => ({ width: b.x1 - b.x0 + 2, height: b.y1 - b.y0 + 2 })))
  return packed.width * packed.height < windowCost(around) ? cover : [around]
}

/**
 * The cells of an r x r map whose 3 x 3 neighbourhood is all mixed (`mixed` set) and inside the
 * grid: a single layer's gamma/beta there are the crop's own moved toward the reference's own on
 * the cell the offset reads (LiveModulations.referenceFor). Not on the border, where the grid's
 * zero padding stands in for cells the reference has. Null when none.
 */
export function fullyMixed(mixed: Uint8Array | null, r: number): Uint8Array | null {
  if (!mixed) return null
  const out = new Uint8Array(r * r)
  let any = false
  for (let y = 1; y < r - 1; y++) {
    for (let x = 1; x < r - 1; x++) {
      let all = 1
      for (let dy = -1; dy <= 1 && all; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (!mixed[(y + dy) * r + x + dx]) {
            all = 0
            break
          }
        }
      }
      out[y * r + x] = all
      if (all) any = true
    }
  }
  return any ? out : null
}

/** The cells of an r x r map inside any of `boxes`; null for none. */
export function boxCells(boxes: readonly Box[], r: number): Uint8Array | null {
  if (!boxes.length) return null
  const out = new Uint8Array(r * r)
  for (const b of boxes) for (let y = b.y0; y < b.y1; y++) out.fill(1, y * r + b.x0, y * r + b.x1)
  return out
}

/** The cells set in `a` and not in `b` (either may be null: none), as a new map; null when none. */
export function without(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (!a) return null
  const out = Uint8Array.from(a)
  let any = false
  for (let k = 0; k < out.length; k++) {
    if (b && b[k]) out[k] = 0
    else if (out[k]) any = true
  }
  return any ? out : null
}

/**
 * The cells whose gamma/beta an edit changes at a level (its styles change where `map` is set)
 * that read no mixed cell (`mixed`, null: none): their gamma/beta are the crop's own. Null when none.
 */
export function unmixedCells(map: Uint8Array | null, r: number, mixed: Uint8Array | null): Uint8Array | null {
  return map && without(dilate(map, r), mixed && dilate(mixed, r))
}

/** Per level, the cells set in either map (null at a level: none), as new maps. */
export function eitherCells(a: readonly (Uint8Array | null)[], b: readonly (Uint8Array | null)[]): (Uint8Array | null)[] {
  return a.map((x, i) => {
    const y = b[i]
    if (!x || !y) return (x ?? y) && Uint8Array.from(x ?? y!)
    const out = Uint8Array.from(x)
    for (let k = 0; k < out.length; k++) out[k] |= y[k]
    return out
  })
}

/** The cells set in both maps (written into `a`). */
function both(a: Uint8Array, b: Uint8Array): Uint8Array {
  for (let k = 0; k < a.length; k++) a[k] &= b[k]
  return a
}

/** The cells set in both maps (either may be null: none), as a new map; null when none. */
export function within(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  if (!a || !b) return null
  const out = both(Uint8Array.from(a), b)
  return out.some((v) => v) ? out : null
}

/**
 * The share of the whole modulation (gamma/beta values over every layer) an edit recomputes, given
 * per level the boxes of cells whose gamma/beta change (boxesOf; [] or null: none).
 * Past about half, recomputing windows costs more than computing gamma/beta whole: a W edit
 * changes most cells of every level (the resizer spreads a stylemap cell over its neighbours).
 */
export function changedShare(outs: readonly (readonly Box[] | null)[], modulations: readonly ModulationLevel[]): number {
  let changed = 0
  let whole = 0
  modulations.forEach((m, i) => {
    whole += modulationValues(m)
    for (const out of outs[i] ?? []) changed += (m.channels + betaChannels(m)) * boxArea(out)
  })
  return whole ? changed / whole : 0
}

/** Above this share of changed gamma/beta an edit computes them whole (changedShare). */
export const WHOLE_MODULATION_SHARE = 0.5

/** Where packed windows lie in a canvas: its size, and each window's top-left cell. */
export interface Packing {
  width: number
  height: number
  at: { x: number; y: number }[]
}

/**
 * Packs rectangles (`sizes`, in cells) into one canvas without overlap: tallest first, left to
 * right on shelves, each as tall as its first. Of a few shelf widths (the widest rectangle, one
 * shelf for all, and multiples of the square root of their area) the one with the smallest
 * canvas wins.
 */
export function packShelves(sizes: readonly { width: number; height: number }[]): Packing {
  const order = sizes.map((_, k) => k).sort((a, b) => sizes[b].height - sizes[a].height || a - b)
  const widest = Math.max(0, ...sizes.map((s) => s.width))
  const side = Math.sqrt(sizes.reduce((sum, s) => sum + s.width * s.height, 0))
  const widths = [widest, sizes.reduce((sum, s) => sum + s.width, 0), ...[1, 1.5, 2, 3].map((k) => Math.ceil(k * side))]
  let best: Packing | null = null
  for (const width of new Set(widths.filter((w) => w >= widest))) {
    const at = sizes.map(() => ({ x: 0, y: 0 }))
    let x = 0
    let y = 0
    let shelf = 0
    for (const k of order) {
      if (x + sizes[k].width > width) {
        y += shelf
        x = 0
        shelf = 0
      }
      if (shelf === 0) shelf = sizes[k].height
      at[k] = { x, y }
      x += sizes[k].width
    }
    const packing = { width, height: y + shelf, at }
    if (!best || packing.width * packing.height < best.width * best.height) best = packing
  }
  return best ?? { width: 0, height: 0, at: [] }
}

/** Fresh gamma/beta of boxes of cells at every level (recompute), and where each box's values lie in them. */
export interface Recomputed {
  /** Per level the canvas's gamma/beta (null where a level has no boxes). */
  mods: (Modulation | null)[]
  /** Per level, per box: the cell of the canvas's output holding the box's top-left cell. */
  at: { x: number; y: number }[][]
}

/**
 * Gamma and beta of `boxes` (per level, cells inside the grid) in one modulation run: each box's
 * window (the box grown by one cell; `valuesOf(level, window)` gives the style there, zero past
 * the grid) packed into one canvas per level. The convolutions are 'valid', so a box's outputs
 * read only its own window, and are what a whole run gives there.
 */
export async function recompute(model: ModelRuntime, boxes: readonly (readonly Box[])[], valuesOf: (level: number, window: Box) => Float32Array): Promise<Recomputed> {
  const levels = model.manifest.styles
  const at: { x: number; y: number }[][] = []
  const windows: StyleWindow[] = levels.map((level, i) => {
    const around = boxes[i].map((b) => grow(b, 1))
    if (!around.length) {
      at.push([])
      return emptyWindow(level.channels)
    }
    const sizes = around.map((b) => ({ width: b.x1 - b.x0, height: b.y1 - b.y0 }))
    if (around.length === 1) {
      at.push([{ x: 0, y: 0 }])
      return { data: valuesOf(i, around[0]), ...sizes[0] }
    }
    const packing = packShelves(sizes)
    const data = new Float32Array(level.channels * packing.width * packing.height)
    around.forEach((b, k) => {
      const { x, y } = packing.at[k]
      copyCells(data, packing.width, packing.height, x, y, valuesOf(i, b), sizes[k].width, sizes[k].height, 0, 0, sizes[k].width, sizes[k].height, level.channels)
    })
    at.push(packing.at)
    return { data, width: packing.width, height: packing.height }
  })
  const fresh = await model.modulate(windows, 1)
  return { mods: fresh.map((m, i) => (boxes[i].length ? m : null)), at }
}

/** A level's tiles of at most this many cells a side are the unit LiveModulations saves a crop's own gamma/beta in. */
export const SAVED_TILE = 8

/**
 * The reference's gamma/beta LiveModulations keeps, at most this share of its tensors' bytes (at
 * 256 px about 100 MB; a crop's own values saved under edits take up to as much as the tensors).
 */
export const MIXED_SHARE = 0.5

/**
 * The multiply-adds recomputing one cell of a level must cost (3 x 3 x style channels x gamma
 * and beta channels) for a reference's values there to be worth keeping. Below it the JavaScript
 * that finds and copies kept cells costs about what it saves: with the bundled 64 px model (74 k
 * a cell) about 1 ms more JavaScript a 64 px edit for 0.1 ms less modulation. At 256 px every
 * level qualifies (0.15-4.7 M a cell): keeping the 256 px levels' values too (their mixing in
 * JavaScript is saved with the modulation) made the steps of an offset dragged 11-13% quicker
 * than keeping only the 8-128 px levels' (in one process, alternated, 24 steps each: median 605
 * against 684 ms; 1e6 kept only those and gave 637 against 680), and exact edits no slower.
 */
export const KEEP_MIXED_MACS = 1e5

/**
 * The least strength (a layer's at a level) values written at are kept from as the reference's:
 * (held - own) / t magnifies their rounding by up to 1 / t, here 16 times (about 1e-6 of the
 * values, far below a level of 255 in the image).
 */
export const MIN_KEEP_STRENGTH = 1 / 16

/**
 * MIN_KEEP_STRENGTH for a level held as halves, whose held values are within half a step of a half
 * only: kept at t, the reference's values are (1 / t - 0.5) steps off at most, and written back at
 * any strength up to 1 they are then 1 / t steps off, within HALF_SCALE_STEPS from t = 1 / 2 on.
 * At 1/16 (256 px fixture, strength 0.07 kept, then 1 written from the kept values) the image was
 * 9 levels off a fresh render at worst.
 */
export const MIN_KEEP_STRENGTH_HALVES = 1 / 2

/** Per level, whether recomputing a cell costs at least `macs` multiply-adds (KEEP_MIXED_MACS). */
export function keepMixedAt(styles: readonly { channels: number }[], modulations: readonly ModulationLevel[], macs = KEEP_MIXED_MACS): boolean[] {
  return styles.map((s, i) => 9 * s.channels * (modulations[i].channels + betaChannels(modulations[i])) >= macs)
}

/**
 * How far from their exact values (in steps of a half at the value) the values written at a level
 * held as halves may be after LiveModulations.scale: each scale by r makes a value's error r
 * times what it was, and adds its own rounding (half a step). Past this the engine writes the
 * edit afresh instead (every written value within half a step again). On the 256 px fixture a
 * strength taken from 0.05 to 1 by one scale (r = 20, about 10 steps) was 13 levels off a fresh
 * render at worst (0.06 on average); float32 tensors, 1.
 */
export const HALF_SCALE_STEPS = 3

/** One tile of a level's gamma/beta of the reference's own styles, on its cells (box-sized planes), and which of its cells are kept. */
interface ReferenceTile {
  box: Box
  gamma: Float32Array
  beta: Float32Array
  have: Uint8Array
}

/** The crop's own gamma/beta on one tile of a level (box-sized planes; halves where the level's tensors are). */
interface SavedTile {
  box: Box
  gamma: StyleTensor
  beta: StyleTensor
  /** Whether the tensors hold other values there (written since the tile was last restored). */
  dirty: boolean
}

/**
 * An edited crop's gamma and beta of every modulated layer, kept as tensors that hold its latest
 * edit: the crop's own values where that edit changes nothing, fresh ones where it does. The
 * tensors change only through the methods below, each of which moves `version` on. An edit
 * writes in only what differs from the latest (`state`), and the feature path runs on the tensors
 * as they are. The crop's own values are saved, tile by tile, before a tile is first written, so
 * `restore` brings them back when an edit is not comparable with the latest. Saved tiles are kept
 * after a restore (they still hold the crop's own values), so the next edits of the same part of
 * the crop save nothing, and a restore copies back only the tiles written since the last one.
 * Callers serialise writes and runs (the engine's feature-run queue).
 */
export class LiveModulations {
  readonly tensors: Modulation[]
  /** The mix the tensors hold: ownState when nothing is written; null after a W edit (not comparable). */
  state: MixState | null
  readonly #levels: readonly ModulationLevel[]
  readonly #saved: Map<number, SavedTile>[]
  #savedBytes = 0
  /** The reference whose gamma/beta are kept (null: none), and those values, tile by tile on its cells. */
  #referenceKey: string | null = null
  #reference: Map<number, ReferenceTile>[]
  #referenceBytes = 0
  /** Counts the changes of the tensors: every method that writes into them adds one. */
  #version = 0
  /** Per level held as halves: how far its written values may be from exact, in steps of a half (HALF_SCALE_STEPS); 0.5 when written afresh. */
  #halfError: number[]
  /** Per level held as halves: how far the reference's kept values may be from exact, in the same steps (1 / t - 0.5 for values kept at t). */
  #keptError: number[]
  /** The feature path's image of the tensors at one version (keepDecoded). */
  #decoded: { version: number; image: Float32Array } | null = null

  /** `tensors`: the crop's own gamma/beta of every level of `levels`. */
  constructor(levels: readonly ModulationLevel[], tensors: Modulation[]) {
    this.#levels = levels
    this.tensors = tensors
    this.state = ownState(levels.length)
    this.#saved = levels.map(() => new Map())
    this.#reference = levels.map(() => new Map())
    this.#halfError = levels.map(() => 0.5)
    this.#keptError = levels.map(() => 0)
  }

  /**
   * Whether scaling by `ratios` keeps every level held as halves within HALF_SCALE_STEPS of exact
   * values; when not, the edit is to be written afresh (a restore, then its cells).
   */
  scales(ratios: readonly number[]): boolean {
    return this.tensors.every((m, i) => !(m.gamma instanceof Uint16Array) || Math.abs(ratios[i]) * this.#halfError[i] + 0.5 <= HALF_SCALE_STEPS)
  }

  /** Bytes held: the tensors, the saved tiles, the reference's kept values and the kept image. */
  get bytes(): number {
    return this.#tensorBytes + this.#savedBytes + this.#referenceBytes + (this.#decoded?.image.byteLength ?? 0)
  }

  /** The tensors' version: it changes whenever they do. */
  get version(): number {
    return this.#version
  }

  /**
   * Keeps `image`, the feature path's output for the tensors at `version` (read before the run).
   * A render of the same edit again (a paste-back setting changed) finds it as `decoded` while
   * the tensors stay as they were.
   */
  keepDecoded(image: Float32Array, version: number): void {
    this.#decoded = version === this.#version ? { version, image } : null
  }

  /** The kept image of the tensors as they are now; null when they changed since it was made (or none is kept). */
  get decoded(): Float32Array | null {
    return this.#decoded?.version === this.#version ? this.#decoded.image : null
  }

  #changed(): void {
    this.#version++
    this.#decoded = null
  }

  get #tensorBytes(): number {
    return this.tensors.reduce((sum, m) => sum + m.gamma.byteLength + m.beta.byteLength, 0)
  }

  /** The tensors' values: the reference's kept values (float32) may take MIXED_SHARE of them as float32, whichever levels are held as halves. */
  get #tensorValues(): number {
    return this.tensors.reduce((sum, m) => sum + m.gamma.length + m.beta.length, 0)
  }

  /** Bytes of the reference's values kept. */
  get referenceBytes(): number {
    return this.#referenceBytes
  }

  /** Bytes of the crop's own values saved aside. */
  get savedBytes(): number {
    return this.#savedBytes
  }

  /**
   * Writes fresh gamma/beta into level `i`'s cells `out` (inside the grid): `from`'s values from
   * its cell (x, y) on (`from` is a canvas of from.width x from.height cells, recompute's).
   */
  write(i: number, out: Box, from: Modulation, x: number, y: number): void {
    const level = this.#levels[i]
    const { channels, size } = level
    this.#saveUnder(i, out)
    this.#changed()
    const held = this.tensors[i]
    const w = out.x1 - out.x0
    const h = out.y1 - out.y0
    copyCells(held.gamma, size, size, out.x0, out.y0, from.gamma, from.width, from.height, x, y, w, h, channels)
    copyCells(held.beta, size, size, out.x0, out.y0, from.beta, from.width, from.height, x, y, w, h, betaChannels(level))
  }

  /** Before level `i`'s cells `out` are written: saves the crop's own values of the tiles under them not saved yet, and marks them all written. */
  #saveUnder(i: number, out: Box): void {
    const level = this.#levels[i]
    const { channels, size } = level
    const bc = betaChannels(level)
    const held = this.tensors[i]
    forTiles(out, size, (key, box) => {
      const saved = this.#saved[i].get(key)
      if (saved) {
        saved.dirty = true
        return
      }
      const w = box.x1 - box.x0
      const h = box.y1 - box.y0
      const tile = { box, gamma: like(held.gamma, channels * w * h), beta: like(held.beta, bc * w * h), dirty: true }
      copyCells(tile.gamma, w, h, 0, 0, held.gamma, size, size, box.x0, box.y0, w, h, channels)
      copyCells(tile.beta, w, h, 0, 0, held.beta, size, size, box.x0, box.y0, w, h, bc)
      this.#saved[i].set(key, tile)
      this.#savedBytes += tile.gamma.byteLength + tile.beta.byteLength
    })
  }

  /** Writes `fresh` (recompute's, of `boxes`) into the tensors. */
  writeAll(boxes: readonly (readonly Box[])[], fresh: Recomputed): void {
    boxes.forEach((level, i) => level.forEach((out, k) => this.write(i, out, fresh.mods[i]!, fresh.at[i][k].x, fresh.at[i][k].y)))
  }

  /**
   * Scales each level's changes from the crop's own by `ratios[level]`: own + ratio x (held - own)
   * on every tile written over (elsewhere the tensors hold the crop's own values). See scaleRatios.
   */
  scale(ratios: readonly number[]): void {
    this.#changed()
    this.#saved.forEach((tiles, i) => {
      const ratio = ratios[i]
      if (ratio === 1) return
      this.#halfError[i] = Math.abs(ratio) * this.#halfError[i] + 0.5
      const level = this.#levels[i]
      const held = this.tensors[i]
      // the tiles written over, a row of tiles at a time, left to right
      const rows = new Map<number, SavedTile[]>()
      for (const tile of tiles.values()) {
        if (!tile.dirty) continue
        const row = rows.get(tile.box.y0)
        if (row) row.push(tile)
        else rows.set(tile.box.y0, [tile])
      }
      for (const row of rows.values()) {
        row.sort((a, b) => a.box.x0 - b.box.x0)
        scaleRow(held.gamma, row, (t) => t.gamma, level.size, level.channels, ratio)
        scaleRow(held.beta, row, (t) => t.beta, level.size, betaChannels(level), ratio)
      }
    })
  }

  /** Writes the crop's own gamma/beta back on level `i`'s cells set in `cells` (an r x r map). */
  restoreCells(i: number, cells: Uint8Array): void {
    this.#changed()
    for (const tile of this.#saved[i].values()) {
      // a tile never written, or written back since, holds the crop's own values already
      if (tile.dirty) forRuns(cells, this.#levels[i].size, tile.box, (x0, x1, y) => this.#fromTile(i, tile, x0, x1, y))
    }
  }

  /** Copies the cells [x0, x1) of row y of `tile` (box-sized planes) into level `i`'s tensors. */
  #fromTile(i: number, tile: SavedTile, x0: number, x1: number, y: number): void {
    const level = this.#levels[i]
    const { size } = level
    const { box } = tile
    const [w, h] = [box.x1 - box.x0, box.y1 - box.y0]
    const held = this.tensors[i]
    copyCells(held.gamma, size, size, x0, y, tile.gamma, w, h, x0 - box.x0, y - box.y0, x1 - x0, 1, level.channels)
    copyCells(held.beta, size, size, x0, y, tile.beta, w, h, x0 - box.x0, y - box.y0, x1 - x0, 1, betaChannels(level))
  }

  /**
   * Keeps gamma/beta of the reference `key` only: drops those of another (null: keeps none).
   * Where a single layer mixes a cell whole (fullyMixed), its styles there are the crop's own
   * moved toward the reference's on the cell the offset reads, by the layer's strength at the
   * level (t); gamma/beta are affine in the styles, and a 3 x 3 convolution of a moved window is
   * the moved convolution, so its gamma/beta are own + t (reference - own) of the reference's own
   * gamma/beta on that cell. Kept on the reference's cells, they serve every strength, level
   * factor and offset of that reference: a part painted again, a stroke drawn back after an undo
   * and each step of an offset dragged copy them, and compute only cells not seen before.
   */
  referenceFor(key: string | null): void {
    if (key === this.#referenceKey) return
    this.#referenceKey = key
    this.#dropReference()
  }

  #dropReference(): void {
    this.#reference = this.#levels.map(() => new Map())
    this.#keptError = this.#levels.map(() => 0)
    this.#referenceBytes = 0
  }

  /**
   * Of level `i`'s `cells`, those whose reference cell (the cell less the offset ox, oy) has its
   * values kept; null when none.
   */
  referenceKept(i: number, cells: Uint8Array | null, ox: number, oy: number): Uint8Array | null {
    const around = cells && cellsBox(cells, this.#levels[i].size)
    if (!cells || !around || this.#referenceKey === null) return null
    const { size } = this.#levels[i]
    const out = new Uint8Array(size * size)
    let any = false
    forRuns(cells, size, around, (x0, x1, y) => {
      for (let x = x0; x < x1; x++) {
        const [sx, sy] = [x - ox, y - oy]
        if (sx < 0 || sy < 0 || sx >= size || sy >= size) continue
        const tile = this.#reference[i].get(tileKey(sx, sy, size, referenceTileWidth(size)))
        if (!tile?.have[(sy - tile.box.y0) * (tile.box.x1 - tile.box.x0) + sx - tile.box.x0]) continue
        out[y * size + x] = 1
        any = true
      }
    })
    return any ? out : null
  }

  /**
   * Keeps the reference's gamma/beta of level `i`'s `cells` (mixed whole, just written) on the
   * reference's cells (the cell less the offset ox, oy): from the tensors' values there, written
   * with the layer's strength t at the level, own + (held - own) / t (the tensors' own when t is 1).
   * Not below MIN_KEEP_STRENGTH (MIN_KEEP_STRENGTH_HALVES at a level held as halves), where the
   * division would magnify the values' rounding.
   */
  keepReference(i: number, cells: Uint8Array | null, ox: number, oy: number, t: number): void {
    const around = cells && cellsBox(cells, this.#levels[i].size)
    const halves = this.tensors[i].gamma instanceof Uint16Array
    if (!cells || !around || this.#referenceKey === null || t < (halves ? MIN_KEEP_STRENGTH_HALVES : MIN_KEEP_STRENGTH)) return
    if (halves) this.#keptError[i] = Math.max(this.#keptError[i], 1 / t - 0.5)
    const { channels, size } = this.#levels[i]
    const bc = betaChannels(this.#levels[i])
    const band = new Band(this.#levels[i], this.tensors[i], t, true)
    forRuns(cells, size, around, (x0, x1, y) => {
      band.at(y)
      for (let x = x0; x < x1; ) {
        const [sx, sy] = [x - ox, y - oy]
        if (sx < 0 || sy < 0 || sx >= size || sy >= size) throw new Error(`keepReference: cell (${x}, ${y}) of level ${i} reads no cell of the reference at offset (${ox}, ${oy})`)
        const key = tileKey(sx, sy, size, referenceTileWidth(size))
        const own = this.#saved[i].get(tileKey(x, y, size))
        if (!own) throw new Error(`keepReference: cell (${x}, ${y}) of level ${i} was not written`)
        const box = tileBox(key, size, referenceTileWidth(size))
        // the crop's own values are read only where t is not 1
        const end = Math.min(x1, t === 1 ? x1 : own.box.x1, box.x1 + ox)
        let ref = this.#reference[i].get(key)
        if (!ref) {
          const n = (box.x1 - box.x0) * (box.y1 - box.y0)
          // kept within a share of the tensors' own bytes: past it, later cells are recomputed
          if (this.#referenceBytes + ((channels + bc) * 4 + 1) * n > MIXED_SHARE * 4 * this.#tensorValues) {
            x = end
            continue
          }
          ref = { box, gamma: new Float32Array(channels * n), beta: new Float32Array(bc * n), have: new Uint8Array(n) }
          this.#reference[i].set(key, ref)
          this.#referenceBytes += ref.gamma.byteLength + ref.beta.byteLength + ref.have.byteLength
        }
        const w = ref.box.x1 - ref.box.x0
        ref.have.fill(1, (sy - ref.box.y0) * w + sx - ref.box.x0, (sy - ref.box.y0) * w + end - ox - ref.box.x0)
        band.add(x, y, end - x, own, ref, sx, sy)
        x = end
      }
    })
    band.sweep()
  }

  /**
   * Writes level `i`'s `cells` (referenceKept's) from the reference's kept values on the cell
   * less the offset (ox, oy): own + t (reference - own), the crop's own values read from the
   * tiles saved under them.
   */
  writeReference(i: number, cells: Uint8Array, ox: number, oy: number, t: number): void {
    const around = cellsBox(cells, this.#levels[i].size)
    if (!around) return
    this.#changed()
    // written from kept values, not afresh: a later scale starts from their error (at a strength up
    // to 1, at most theirs, plus the rounding of what is written)
    if (this.tensors[i].gamma instanceof Uint16Array) this.#halfError[i] = Math.max(this.#halfError[i], this.#keptError[i] + 0.5)
    const { size } = this.#levels[i]
    const band = new Band(this.#levels[i], this.tensors[i], t, false)
    forRuns(cells, size, around, (x0, x1, y) => {
      this.#saveUnder(i, { x0, y0: y, x1, y1: y + 1 })
      band.at(y)
      // in pieces inside one reference tile each (and one saved tile, where t is not 1)
      for (let x = x0; x < x1; ) {
        const [sx, sy] = [x - ox, y - oy]
        const ref = this.#reference[i].get(tileKey(sx, sy, size, referenceTileWidth(size)))
        const own = this.#saved[i].get(tileKey(x, y, size))
        if (!ref || !own) throw new Error(`writeReference: no kept values for cell (${x}, ${y}) of level ${i}`)
        const end = Math.min(x1, t === 1 ? x1 : own.box.x1, ref.box.x1 + ox)
        band.add(x, y, end - x, own, ref, sx, sy)
        x = end
      }
    })
    band.sweep()
  }

  /**
   * Writes the saved tiles written over since back: the tensors hold the crop's own gamma/beta
   * again, except on the cells set in `except[level]` (r x r maps), which the caller writes next:
   * copying them back first would be undone at once (a step of an offset dragged rewrites every
   * cell under the mask: a 256 px step with the bench's mask restored for 38 ms, now 20). Until
   * the caller has, the tensors hold neither the crop's own values nor an edit there, so `state`
   * is null.
   */
  restore(except?: readonly (Uint8Array | null)[]): void {
    this.#changed()
    this.#saved.forEach((tiles, i) => {
      const level = this.#levels[i]
      const held = this.tensors[i]
      const skip = except?.[i]
      for (const tile of tiles.values()) {
        if (!tile.dirty) continue
        const { box, gamma, beta } = tile
        const w = box.x1 - box.x0
        const h = box.y1 - box.y0
        if (skip) {
          forRuns(skip, level.size, box, (x0, x1, y) => this.#fromTile(i, tile, x0, x1, y), false)
          // a cell left as it is still differs from the saved one until written, and if it never is, the next restore copies it
          let left = false
          forRuns(skip, level.size, box, () => (left = true))
          tile.dirty = left
        } else {
          copyCells(held.gamma, level.size, level.size, box.x0, box.y0, gamma, w, h, 0, 0, w, h, level.channels)
          copyCells(held.beta, level.size, level.size, box.x0, box.y0, beta, w, h, 0, 0, w, h, betaChannels(level))
          tile.dirty = false
        }
      }
    })
    // every value written from here on is written afresh (the cells in `except` by the caller)
    this.#halfError.fill(0.5)
    this.state = except ? null : ownState(this.#levels.length)
  }
}

/**
 * The width of the tiles a reference's values are kept in at a level of `size` cells (SAVED_TILE
 * rows high): an eighth of the grid, 8 to 32 cells. Their rows are moved in runs of up to this
 * many cells (in runs of 8, as the saved tiles, a 256 px offset step's 7.6 M values took about
 * 7 ns each), and a kept part's tiles reach past it by less than a tile on either side.
 */
function referenceTileWidth(size: number): number {
  return Math.min(32, Math.max(SAVED_TILE, Math.floor(size / 8)))
}

/**
 * The key of the tile holding cell (x, y) of a grid of `size` cells, in tiles of SAVED_TILE rows
 * and `width` columns (forTiles's: SAVED_TILE a side).
 */
function tileKey(x: number, y: number, size: number, width = SAVED_TILE): number {
  const [w, h] = [Math.min(width, size), Math.min(SAVED_TILE, size)]
  return Math.floor(y / h) * Math.ceil(size / w) + Math.floor(x / w)
}

/** The cells of tile `key` (tileKey's) of a grid of `size` cells. */
function tileBox(key: number, size: number, width = SAVED_TILE): Box {
  const [w, h] = [Math.min(width, size), Math.min(SAVED_TILE, size)]
  const across = Math.ceil(size / w)
  const [tx, ty] = [key % across, Math.floor(key / across)]
  return { x0: tx * w, y0: ty * h, x1: Math.min(size, (tx + 1) * w), y1: Math.min(size, (ty + 1) * h) }
}

/**
 * n cells of a row of the tensors from cell `at` of a plane on, inside one saved tile (`own`) and
 * one tile of the reference's values (`ref`): where each starts in its planes and their sizes.
 */
interface Piece {
  n: number
  at: number
  own: SavedTile
  ownAt: number
  ownPlane: number
  ref: ReferenceTile
  refAt: number
  refPlane: number
}

/**
 * The cells LiveModulations.keepReference or writeReference move between a level's tensors and
 * the reference's tiles, a band of rows (a row of tiles) at a time: channel by channel, the band's
 * pieces row by row, so that each line of the tensors and each tile's plane are swept once. (Piece
 * by piece, each piece's line in the tensors was a memory access far from the last one: 7 ns a
 * value; row by row, the tiles' lines were: twice the time of a copy tile by tile at 512 channels.)
 * Written from the reference's values, own + t (ref - own), or (`keep`) kept from the tensors,
 * own + (held - own) / t; where t is 1, the values themselves.
 */
class Band {
  #pieces: Piece[] = []
  #band = -1
  readonly size: number

  /** `held`: the level's tensors. */
  constructor(
    readonly level: ModulationLevel,
    readonly held: Modulation,
    readonly t: number,
    readonly keep: boolean,
  ) {
    this.size = level.size
  }

  /** A row `y` comes next: the band before it is swept when y is past it. */
  at(y: number): void {
    const band = Math.floor(y / Math.min(SAVED_TILE, this.size))
    if (band === this.#band) return
    this.sweep()
    this.#band = band
  }

  /** n cells of row y from x on, read from the reference's cell (sx, sy) on. */
  add(x: number, y: number, n: number, own: SavedTile, ref: ReferenceTile, sx: number, sy: number): void {
    const ow = own.box.x1 - own.box.x0
    const rw = ref.box.x1 - ref.box.x0
    this.#pieces.push({
      n,
      at: y * this.size + x,
      own,
      ownAt: (y - own.box.y0) * ow + x - own.box.x0,
      ownPlane: ow * (own.box.y1 - own.box.y0),
      ref,
      refAt: (sy - ref.box.y0) * rw + sx - ref.box.x0,
      refPlane: rw * (ref.box.y1 - ref.box.y0),
    })
  }

  /** Moves the values of the pieces added since the last sweep. */
  sweep(): void {
    const pieces = this.#pieces
    if (!pieces.length) return
    const runs = pieceRuns(pieces)
    this.#move(pieces, runs, this.held.gamma, this.level.channels, false)
    this.#move(pieces, runs, this.held.beta, betaChannels(this.level), true)
    this.#pieces = []
  }

  /**
   * The pieces' values moved in one loop per kind of tensor (moveFloats, moveHalves) over arrays of
   * the pieces' offsets. Piece by piece through a function per run taking either kind, each
   * piece's fields read again for every channel, a 256 px offset drag spent 166-183 ms a render in
   * these moves (about 7.5 M values; 40 ns a value at the 64 px levels, whose pieces are a few
   * cells long), then 95-108 ms.
   */
  #move(pieces: readonly Piece[], runs: PieceRuns, held: StyleTensor, channels: number, beta: boolean): void {
    const plane = this.size * this.size
    const refs = pieces.map((p) => (beta ? p.ref.beta : p.ref.gamma))
    if (held instanceof Uint16Array) moveHalves(held, refs, pieces.map((p) => (beta ? p.own.beta : p.own.gamma) as Uint16Array), runs, channels, plane, this.t, this.keep)
    else moveFloats(held, refs, pieces.map((p) => (beta ? p.own.beta : p.own.gamma) as Float32Array), runs, channels, plane, this.t, this.keep)
  }
}

/** A band's pieces (Piece's fields) as arrays, for the loops of Band.#move. */
interface PieceRuns {
  n: Int32Array
  at: Int32Array
  ownAt: Int32Array
  ownPlane: Int32Array
  refAt: Int32Array
  refPlane: Int32Array
}

function pieceRuns(pieces: readonly Piece[]): PieceRuns {
  const runs: PieceRuns = { n: new Int32Array(pieces.length), at: new Int32Array(pieces.length), ownAt: new Int32Array(pieces.length), ownPlane: new Int32Array(pieces.length), refAt: new Int32Array(pieces.length), refPlane: new Int32Array(pieces.length) }
  pieces.forEach((p, j) => {
    runs.n[j] = p.n
    runs.at[j] = p.at
    runs.ownAt[j] = p.ownAt
    runs.ownPlane[j] = p.ownPlane
    runs.refAt[j] = p.refAt
    runs.refPlane[j] = p.refPlane
  })
  return runs
}

/** A new tensor of n values of the same kind as `v` (float32, or halves' bits). */
const like = (v: StyleTensor, n: number): StyleTensor => (v instanceof Uint16Array ? new Uint16Array(n) : new Float32Array(n))

/**
 * Band.#move on a float32 level, every piece of every channel: written, held = own + t (ref - own),
 * or (`keep`) kept, ref = own + (held - own) / t; where t is 1, the values themselves.
 */
function moveFloats(held: Float32Array, refs: readonly Float32Array[], owns: readonly Float32Array[], p: PieceRuns, channels: number, plane: number, t: number, keep: boolean): void {
  const inv = 1 / t
  for (let c = 0; c < channels; c++) {
    for (let j = 0; j < refs.length; j++) {
      const [ref, own, n] = [refs[j], owns[j], p.n[j]]
      const to = c * plane + p.at[j]
      const r = c * p.refPlane[j] + p.refAt[j]
      const o = c * p.ownPlane[j] + p.ownAt[j]
      if (keep && t === 1) for (let k = 0; k < n; k++) ref[r + k] = held[to + k]
      else if (keep) for (let k = 0; k < n; k++) ref[r + k] = own[o + k] + (held[to + k] - own[o + k]) * inv
      else if (t === 1) for (let k = 0; k < n; k++) held[to + k] = ref[r + k]
      else for (let k = 0; k < n; k++) held[to + k] = own[o + k] + t * (ref[r + k] - own[o + k])
    }
  }
}

/**
 * moveFloats on a level held as halves (its saved tiles too; the reference's values float32):
 * written, the nearest half of own + t (ref - own), at t 1 straight from ref's float32 bits
 * (bitsToHalf, as nearestHalf does through a scratch float); kept, from the halves' values.
 */
function moveHalves(held: Uint16Array, refs: readonly Float32Array[], owns: readonly Uint16Array[], p: PieceRuns, channels: number, plane: number, t: number, keep: boolean): void {
  const values = HALF_VALUES
  const inv = 1 / t
  const bits = !keep && t === 1 ? refs.map((ref) => new Uint32Array(ref.buffer, ref.byteOffset, ref.length)) : null
  for (let c = 0; c < channels; c++) {
    for (let j = 0; j < refs.length; j++) {
      const [ref, own, n] = [refs[j], owns[j], p.n[j]]
      const to = c * plane + p.at[j]
      const r = c * p.refPlane[j] + p.refAt[j]
      const o = c * p.ownPlane[j] + p.ownAt[j]
      if (keep && t === 1) for (let k = 0; k < n; k++) ref[r + k] = values[held[to + k]]
      else if (keep) for (let k = 0; k < n; k++) ref[r + k] = values[own[o + k]] + (values[held[to + k]] - values[own[o + k]]) * inv
      else if (bits) {
        const b = bits[j]
        for (let k = 0; k < n; k++) held[to + k] = bitsToHalf(b[r + k])
      } else for (let k = 0; k < n; k++) held[to + k] = nearestHalf(values[own[o + k]] + t * (ref[r + k] - values[own[o + k]]))
    }
  }
}

/** Calls `fn(key, tile)` for each tile (SAVED_TILE cells a side) of a grid of `size` cells that `box` reaches into. */
function forTiles(box: Box, size: number, fn: (key: number, tile: Box) => void): void {
  const t = Math.min(SAVED_TILE, size)
  for (let y = Math.floor(box.y0 / t) * t; y < box.y1; y += t) {
    for (let x = Math.floor(box.x0 / t) * t; x < box.x1; x += t) {
      const key = tileKey(x, y, size)
      fn(key, tileBox(key, size))
    }
  }
}

/** Calls `run(x0, x1, y)` for each run of cells of an r x r map on each row of `box` that are set (`set` false: that are not). */
function forRuns(cells: Uint8Array, r: number, box: Box, run: (x0: number, x1: number, y: number) => void, set = true): void {
  for (let y = box.y0; y < box.y1; y++) {
    for (let x = box.x0; x < box.x1; ) {
      if (!cells[y * r + x] === set) {
        x++
        continue
      }
      let end = x
      while (end < box.x1 && !cells[y * r + end] !== set) end++
      run(x, end, y)
      x = end
    }
  }
}

/**
 * held = own + ratio x (held - own) on the cells of `row`, tiles of one row of tiles from left to
 * right, whose `own` planes (box-sized) hold the crop's own values: channel by channel and line by
 * line across the whole row, so that each line of the tensor is swept once. Tile by tile, each
 * line of a tile (8 cells) was a memory access far from the last one: a 256 px strength step
 * scaled its 12 M values at about 6 ns each.
 */
function scaleRow(held: StyleTensor, row: readonly SavedTile[], own: (tile: SavedTile) => StyleTensor, size: number, channels: number, ratio: number): void {
  const { y0, y1 } = row[0].box
  const h = y1 - y0
  const planes = row.map(own)
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < h; y++) {
      const line = c * size * size + (y0 + y) * size
      for (let t = 0; t < row.length; t++) {
        const { x0, x1 } = row[t].box
        const from = (c * h + y) * (x1 - x0)
        if (held instanceof Float32Array) scaleRun(held, line + x0, line + x1, planes[t] as Float32Array, from, ratio)
        else scaleHalvesRun(held, line + x0, line + x1, planes[t] as Uint16Array, from, ratio)
      }
    }
  }
}

/** held = ratio x held + (1 - ratio) x own on [k0, k1), own from `from` on. */
function scaleRun(held: Float32Array, k0: number, k1: number, own: Float32Array, from: number, ratio: number): void {
  const keep = 1 - ratio
  for (let k = k0; k < k1; k++, from++) held[k] = ratio * held[k] + keep * own[from]
}

/** scaleRun for a level held as halves (its saved tiles too): the nearest half of the float32 result. */
function scaleHalvesRun(held: Uint16Array, k0: number, k1: number, own: Uint16Array, from: number, ratio: number): void {
  const keep = 1 - ratio
  const values = HALF_VALUES
  for (let k = k0; k < k1; k++, from++) held[k] = nearestHalf(ratio * values[held[k]] + keep * values[own[from]])
}

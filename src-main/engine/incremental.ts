// The exact incremental edit path (models with the modulation and features graphs).
//
// About 60% of a decode is the modulation: every modulated layer's gamma and beta, 3x3
// convolutions of its style tensor. An edit changes the style tensors only in the cells its
// masks reach, and a 3x3 convolution spreads a change by one cell, so gamma and beta change
// only in those cells grown by one. The photo's own gamma and beta are computed once per crop
// and kept; an edit recomputes them on windows around the changed cells (the modulation
// graph's convolutions are 'valid', so a window with a one-cell border gives its inside exactly)
// and runs the feature path whole, since it normalises over whole feature maps. Changes apart
// from each other (two eyes and a mouth) are recomputed as boxes of their own, not as one box
// around all of them.
import type { StyleLevel } from './api.js'
import { bitsToHalf } from './half.js'
import { type Box, boxArea, cellsBox, type StyleTensor, unionBox } from './mixing.js'
import { betaChannels, emptyWindow, type ModelRuntime, type Modulation, type ModulationLevel, modulationValues, type StyleWindow } from './model.js'

/** `box` grown by `d` cells on every side, clipped to an r x r grid when `clip` is given. */
export function grow(box: Box, d: number, clip?: number): Box {
  const out = { x0: box.x0 - d, y0: box.y0 - d, x1: box.x1 + d, y1: box.y1 + d }
  if (clip === undefined) return out
  return { x0: Math.max(0, out.x0), y0: Math.max(0, out.y0), x1: Math.min(clip, out.x1), y1: Math.min(clip, out.y1) }
}

/**
 * The cells where two [channels, r, r] tensors differ in any channel, as one box; null when equal.
 * Against halves `b` (a kept pyramid), `a` differs where it rounds to another half.
 */
export function diffBox(a: Float32Array, b: StyleTensor, channels: number, r: number): Box | null {
  if (a.length !== channels * r * r || b.length !== a.length) throw new Error(`diffBox: tensors of ${a.length} and ${b.length} values for [${channels}, ${r}, ${r}]`)
  const plane = r * r
  const changed = new Uint8Array(plane)
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length)
  for (let c = 0; c < channels; c++) {
    const o = c * plane
    if (b instanceof Float32Array) {
      for (let k = 0; k < plane; k++) if (a[o + k] !== b[o + k]) changed[k] = 1
    } else {
      for (let k = 0; k < plane; k++) if (!changed[k] && bitsToHalf(bits[o + k]) !== b[o + k]) changed[k] = 1
    }
  }
  let box: Box | null = null
  for (let y = 0; y < r; y++) {
    for (let x = 0; x < r; x++) {
      if (!changed[y * r + x]) continue
      box = box ? { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x + 1), y1: Math.max(box.y1, y + 1) } : { x0: x, y0: y, x1: x + 1, y1: y + 1 }
    }
  }
  return box
}

/** What an edit changes at one style level: gamma and beta are recomputed on `out`. */
export interface LevelChange {
  /** Cells whose gamma and beta change (inside the grid). */
  out: Box
  /** The mixed style on `out` grown by one cell (zero past the grid): the modulation graph's input. */
  window: StyleWindow
}

/**
 * The change at a level whose style tensor changes in `changed`: gamma and beta change one cell
 * further; `valuesOf(box)` gives the mixed style on a box (zero past the grid).
 */
export function levelChange(changed: Box, level: StyleLevel, valuesOf: (box: Box) => Float32Array): LevelChange {
  return levelChangeOn(grow(changed, 1, level.size), valuesOf)
}

/** The change that recomputes gamma and beta on `out` (cells inside the grid). */
export function levelChangeOn(out: Box, valuesOf: (box: Box) => Float32Array): LevelChange {
  const around = grow(out, 1)
  return { out, window: { data: valuesOf(around), height: around.y1 - around.y0, width: around.x1 - around.x0 } }
}

/**
 * Per level its boxes' changes (changedBoxes, recomputed on each box), as sets: set k holds the k-th
 * box of every level (null where a level has fewer), one modulation run each.
 */
export function changeSets(outs: readonly (readonly Box[])[], valuesOf: (level: number, box: Box) => Float32Array): (LevelChange | null)[][] {
  const sets = Math.max(0, ...outs.map((boxes) => boxes.length))
  return Array.from({ length: sets }, (_, k) => outs.map((boxes, i) => (boxes[k] ? levelChangeOn(boxes[k], (at) => valuesOf(i, at)) : null)))
}

/** Gamma and beta of one level on a box of cells (box-sized planes): what an edit writes over the crop's own. */
export interface GammaBetaPatch {
  out: Box
  gamma: Float32Array
  beta: Float32Array
}

/** The most boxes an edit's change at one level is recomputed as (each set of boxes is one modulation run). */
export const MAX_CHANGE_BOXES = 4

/** Past this many separate groups of changed cells (a speckled mask), a level's change is one box. */
const MAX_GROUPS = 32

/**
 * The cells whose gamma/beta change at a level whose style changes where `map` (r x r) is set, as
 * a few boxes: the bounding box of each group of changed cells (8-neighbours), grown by one cell
 * (a 3x3 convolution's reach) and clipped to the grid. Boxes whose union is no larger than the
 * two are merged, then, past `most`, the two whose union adds the fewest cells, so what is
 * recomputed stays near the changed cells, not the box around all of them. [] when none changes.
 */
export function changedBoxes(map: Uint8Array, r: number, most = MAX_CHANGE_BOXES): Box[] {
  const seen = new Uint8Array(r * r)
  const stack: number[] = []
  let boxes: Box[] = []
  for (let start = 0; start < r * r; start++) {
    if (!map[start] || seen[start]) continue
    const box = { x0: r, y0: r, x1: 0, y1: 0 }
    seen[start] = 1
    stack.push(start)
    while (stack.length) {
      const k = stack.pop()!
      const x = k % r
      const y = (k - x) / r
      box.x0 = Math.min(box.x0, x)
      box.y0 = Math.min(box.y0, y)
      box.x1 = Math.max(box.x1, x + 1)
      box.y1 = Math.max(box.y1, y + 1)
      for (let ny = Math.max(0, y - 1); ny <= Math.min(r - 1, y + 1); ny++) {
        for (let nx = Math.max(0, x - 1); nx <= Math.min(r - 1, x + 1); nx++) {
          const n = ny * r + nx
          if (map[n] && !seen[n]) {
            seen[n] = 1
            stack.push(n)
          }
        }
      }
    }
    boxes.push(grow(box, 1, r))
    if (boxes.length > MAX_GROUPS) return [grow(cellsBox(map, r)!, 1, r)]
  }
  // merge while some pair's union costs no more than the two apart, then while there are too many
  const mergeCheapest = (onlyFree: boolean): boolean => {
    let best: [number, number] | null = null
    let bestAdded = Infinity
    for (let a = 0; a < boxes.length; a++) {
      for (let b = a + 1; b < boxes.length; b++) {
        const added = boxArea(unionBox([boxes[a], boxes[b]])!) - boxArea(boxes[a]) - boxArea(boxes[b])
        if (added < bestAdded && (!onlyFree || added <= 0)) [best, bestAdded] = [[a, b], added]
      }
    }
    if (!best) return false
    const [a, b] = best
    boxes = [...boxes.filter((_, k) => k !== a && k !== b), unionBox([boxes[a], boxes[b]])!]
    return true
  }
  while (boxes.length > 1 && mergeCheapest(true));
  while (boxes.length > most && mergeCheapest(false));
  return boxes
}

/**
 * The share of the whole modulation (gamma/beta values over every layer) an edit recomputes, given
 * per level the boxes of cells whose gamma/beta change (changedBoxes; [] or null: none).
 * Past about half, patching windows into the kept tensors and restoring them costs more than
 * computing gamma/beta whole: a W edit changes most cells of every level (the resizer spreads a
 * stylemap cell over its neighbours); on an imported 256 px model it took 2.4 s patched and
 * 2.0 s whole.
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

/**
 * Swaps `values` (box-sized planes) with the `box` of a [channels, r, r] tensor, in place: the box
 * then holds the values and `values` what the box held, and a second swap restores both. An edit
 * swaps tens of MB of gamma/beta at 256 px; swapping, not saving a copy, allocates nothing.
 */
export function swapBox(target: Float32Array, channels: number, r: number, box: Box, values: Float32Array): void {
  const bw = box.x1 - box.x0
  const bh = box.y1 - box.y0
  let k = 0
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < bh; y++) {
      let at = c * r * r + (box.y0 + y) * r + box.x0
      for (let x = 0; x < bw; x++, k++, at++) {
        const kept = target[at]
        target[at] = values[k]
        values[k] = kept
      }
    }
  }
}

/** Gamma/beta of every change's window (one modulation run; an unchanged level gets a 1 x 1 result, unused). */
export async function modulateChanges(model: ModelRuntime, changes: (LevelChange | null)[]): Promise<Modulation[]> {
  const levels = model.manifest.styles
  // every level needs an input; an unchanged one gets an empty window (its 1 x 1 out unused)
  return model.modulate(changes.map((c, i) => c?.window ?? emptyWindow(levels[i].channels)), 1)
}

/** The changes' gamma/beta (`fresh`, from modulateChanges) as patches, null where a level does not change. */
export function patchesOf(changes: (LevelChange | null)[], fresh: Modulation[]): (GammaBetaPatch | null)[] {
  return changes.map((c, i) => c && { out: c.out, gamma: fresh[i].gamma, beta: fresh[i].beta })
}

/** Bytes of patches. */
export function patchBytes(patches: readonly (GammaBetaPatch | null)[]): number {
  return patches.reduce((sum, p) => sum + (p ? p.gamma.byteLength + p.beta.byteLength : 0), 0)
}

/**
 * Runs `run` on the photo's kept gamma and beta with `patches` written over them (in order, so a
 * later one wins where two overlap). `photo` and the patches swap values in place for the run and
 * are restored before this returns, so callers must not run two at once on the same `photo` or
 * read the patches meanwhile (the engine serialises them).
 */
export async function withPatches<T>(model: ModelRuntime, photo: Modulation[], patches: (GammaBetaPatch | null)[][], run: (patched: Modulation[]) => Promise<T>): Promise<T> {
  const mods = model.manifest.modulations ?? []
  // every swap, in order; swapped again in reverse order they restore the photo and the patches
  const swaps: (() => void)[] = []
  try {
    for (const set of patches) {
      set.forEach((patch, i) => {
        if (!patch) return
        const { channels, size } = mods[i]
        const swap = () => {
          swapBox(photo[i].gamma, channels, size, patch.out, patch.gamma)
          swapBox(photo[i].beta, betaChannels(mods[i]), size, patch.out, patch.beta)
        }
        swap()
        swaps.push(swap)
      })
    }
    return await run(photo)
  } finally {
    for (const swap of swaps.reverse()) swap()
  }
}

// References' pyramids kept in part: the boxes, and W+ mixing from a kept part against the whole.
import { describe, expect, it } from 'vitest'
import { toHalf } from './half.js'
import { type MixLayer, mixWPlus, normalSamples } from './mixing.js'
import { cutRegion, filledAfter, keepStyles, keptBoxes, maskBox, REGION_MARGIN, REGION_WHOLE_SHARE, regionToKeep, tailWindow, uncovered } from './regions.js'
import { toGrid } from './mixing.js'

const R = 32
const levels = [
  { channels: 3, size: 4 },
  { channels: 2, size: 8 },
  { channels: 2, size: 32 },
]

function rectMask(x0: number, y0: number, w: number, h: number): Uint8Array {
  const m = new Uint8Array(R * R)
  for (let y = y0; y < y0 + h; y++) m.fill(255, y * R + x0, y * R + x0 + w)
  return m
}

/** One random pyramid of halves, [channels, r, r] per level. */
function pyramid(seed: number): Uint16Array[] {
  return levels.map((l, i) => toHalf(normalSamples(seed + i, l.channels * l.size * l.size)))
}

describe('boxes of a kept part', () => {
  it('maskBox bounds the nonzero pixels, null for an empty mask', () => {
    expect(maskBox(rectMask(5, 7, 3, 2), R)).toEqual({ x0: 5, y0: 7, x1: 8, y1: 9 })
    const two = rectMask(1, 2, 1, 1)
    two[30 * R + 20] = 1
    expect(maskBox(two, R)).toEqual({ x0: 1, y0: 2, x1: 21, y1: 31 })
    expect(maskBox(new Uint8Array(R * R), R)).toBeNull()
  })

  it('toGrid takes every cell of a level that a pixel box touches', () => {
    expect(toGrid({ x0: 5, y0: 8, x1: 9, y1: 16 }, R, 4)).toEqual({ x0: 0, y0: 1, x1: 2, y1: 2 })
    expect(toGrid({ x0: 5, y0: 8, x1: 9, y1: 16 }, R, R)).toEqual({ x0: 5, y0: 8, x1: 9, y1: 16 })
  })

  it('regionToKeep grows what is read and what was kept by the margin inside the crop, and gives up past the share', () => {
    const m = Math.ceil(R * REGION_MARGIN)
    expect(regionToKeep({ x0: 10, y0: 10, x1: 12, y1: 12 }, null, R)).toEqual({ x0: 10 - m, y0: 10 - m, x1: 12 + m, y1: 12 + m })
    // past a kept box, by twice the margin
    expect(regionToKeep({ x0: 4, y0: 9, x1: 6, y1: 11 }, { x0: 10, y0: 10, x1: 12, y1: 12 }, R)).toEqual({ x0: 0, y0: 9 - 2 * m, x1: 12 + 2 * m, y1: 12 + 2 * m })
    const big = Math.ceil(Math.sqrt(REGION_WHOLE_SHARE) * R)
    expect(regionToKeep({ x0: 0, y0: 0, x1: big, y1: big }, null, R)).toBeNull()
  })

  it('cutRegion copies the box of every channel plane', () => {
    const data = Uint16Array.from({ length: 2 * 4 * 4 }, (_, i) => i)
    expect([...cutRegion(data, 2, 4, { x0: 1, y0: 2, x1: 3, y1: 4 })]).toEqual([9, 10, 13, 14, 25, 26, 29, 30])
    expect(() => cutRegion(data, 2, 4, { x0: 3, y0: 0, x1: 5, y1: 1 })).toThrow(/box/)
  })
})

describe('W+ mixing from a kept part', () => {
  const photo = pyramid(1)
  const reference = pyramid(100)
  const layer = (mask: Uint8Array, dx: number, dy: number): Omit<MixLayer, 'reference'> => ({ mask, strength: 0.7, dx, dy })

  it('gives what the whole pyramid gives, offsets and several layers included', () => {
    const layers = [layer(rectMask(3, 4, 9, 6), 8, 4), layer(rectMask(20, 18, 8, 10), -12, 0)]
    const needs = layers.map((l) => maskBox(l.mask, R))
    const kept = needs.map((need) => keepStyles(reference, levels, R, need && regionToKeep(need, null, R)))
    // the parts are parts: smaller than the whole at the finest level
    for (const k of kept) expect(k.halves[2].length).toBeLessThan(reference[2].length)
    const whole = mixWPlus(photo, layers.map((l) => ({ ...l, reference })), levels, R)
    const parts = mixWPlus(photo, layers.map((l, i) => ({ ...l, reference: kept[i].halves, regions: keptBoxes(kept[i], levels, R) })), levels, R)
    parts.forEach((p, i) => expect(p).toEqual(whole[i]))
  })

  it('a mask that reads past the kept part is an error, not zeros', () => {
    const kept = keepStyles(reference, levels, R, { x0: 0, y0: 0, x1: 8, y1: 8 })
    const regions = keptBoxes(kept, levels, R)
    // the cells (20, 20)-(24, 24) of the finest level are not all among them
    expect(regions[2].x1 >= 24 && regions[2].y1 >= 24 && regions[2].x0 <= 20 && regions[2].y0 <= 20).toBe(false)
    expect(() => mixWPlus(photo, [{ ...layer(rectMask(20, 20, 4, 4), 0, 0), reference: kept.halves, regions }], levels, R)).toThrow(/outside the reference's kept cells/)
  })
})

describe('a kept part grown by the resizer\'s tail', () => {
  const box = (x0: number, y0: number, x1: number, y1: number) => ({ x0, y0, x1, y1 })
  const maskOf = (...boxes: ReturnType<typeof box>[]) => {
    const m = new Uint8Array(R * R)
    for (const b of boxes) for (let y = b.y0; y < b.y1; y++) m.fill(255, y * R + b.x0, y * R + b.x1)
    return m
  }

  it('keeps the tail level and coarser whole, and cuts the finer ones', () => {
    const whole = levels.map((l) => new Uint16Array(l.channels * l.size * l.size))
    const kept = keepStyles(whole, levels, R, box(8, 8, 16, 16), 2)
    expect(kept.halves[0]).toBe(whole[0])
    expect(kept.halves[1]).toBe(whole[1])
    expect(kept.halves[2].length).toBe(2 * 8 * 8)
    expect(keptBoxes(kept, levels, R)).toEqual([box(0, 0, 4, 4), box(0, 0, 8, 8), box(8, 8, 16, 16)])
  })

  it('finds the box around what a mask reads that the part kept does not hold: outside it or in a hole', () => {
    const kept = { halves: [], pixels: box(4, 4, 20, 20) }
    expect(uncovered(maskOf(box(6, 6, 10, 10)), R, kept)).toBeNull()
    expect(uncovered(maskOf(box(6, 6, 10, 10), box(18, 2, 24, 5)), R, kept)).toEqual(box(18, 2, 24, 5))
    // grown by (16, 4)-(20, 12): a hole between the two
    const filled = filledAfter(kept, box(16, 20, 24, 28), box(4, 4, 24, 28), R)!
    expect(filled).toBeDefined()
    const grown = { ...kept, pixels: box(4, 4, 24, 28), filled }
    expect(uncovered(maskOf(box(6, 6, 10, 10), box(17, 21, 23, 27)), R, grown)).toBeNull()
    expect(uncovered(maskOf(box(6, 22, 8, 24)), R, grown)).toEqual(box(6, 22, 8, 24))
    // a whole part holds everything; a box filled all over has no holes
    expect(uncovered(maskOf(box(0, 0, R, R)), R, { halves: [] })).toBeNull()
    expect(filledAfter(kept, box(4, 20, 20, 24), box(4, 4, 20, 24), R)).toBeUndefined()
  })

  it('runs the tail on the cells of the box at its level, grown by the margin inside the grid', () => {
    // 32 px over a grid of 8: 4 px a cell
    expect(tailWindow(box(9, 9, 13, 17), R, 8, 1)).toEqual(box(1, 1, 5, 6))
    expect(tailWindow(box(0, 28, 4, 32), R, 8, 3)).toEqual(box(0, 4, 4, 8))
  })
})

// The mixing rules against small tensors computed by hand (R = 4 pixels).
import { describe, expect, it } from 'vitest'
import { fromHalf, toHalf } from './half.js'
import { cellOffset, copyCells, copyRow, lerp, levelFactors, mixW, mixWPlus, normalSamples, poolMask, truncate, windowOf } from './mixing.js'

const R = 4
/** 4x4 mask from rows of 0/1. */
function mask(rows: number[][]): Uint8Array {
  return Uint8Array.from(rows.flat().map((v) => v * 255))
}
const topLeftBlockPlusHalf = mask([
  [1, 1, 1, 0],
  [1, 1, 1, 0],
  [0, 0, 0, 0],
  [0, 0, 0, 0],
])

describe('copyRow', () => {
  it('copies short rows (a loop) and long rows (set) to the right place and nothing else', () => {
    for (const n of [5, 63, 64, 200]) {
      const from = Float32Array.from({ length: 300 }, (_, i) => i + 1)
      const to = new Float32Array(400)
      copyRow(to, 17, from, 9, n)
      for (let k = 0; k < 400; k++) expect(to[k], `n ${n} at ${k}`).toBe(k >= 17 && k < 17 + n ? k - 17 + 9 + 1 : 0)
    }
  })
})

describe('copyCells', () => {
  it('copies a box of every plane between tensors of other sizes, and refuses a box past either', () => {
    // from 2 planes of 4 x 3 cells, the 2 x 2 cells at (1, 1) into 2 planes of 3 x 3 at (0, 1)
    const from = Float32Array.from({ length: 2 * 12 }, (_, i) => i)
    const to = new Float32Array(2 * 9)
    copyCells(to, 3, 3, 0, 1, from, 4, 3, 1, 1, 2, 2, 2)
    expect(Array.from(to)).toEqual([0, 0, 0, 5, 6, 0, 9, 10, 0, 0, 0, 0, 17, 18, 0, 21, 22, 0])
    expect(() => copyCells(to, 3, 3, 2, 1, from, 4, 3, 1, 1, 2, 2, 2)).toThrow(/copyCells/)
    expect(() => copyCells(to, 3, 3, 0, 0, from, 4, 3, 3, 0, 2, 2, 2)).toThrow(/copyCells/)
  })
})

describe('poolMask', () => {
  it('averages R/r x R/r blocks to [0, 1]', () => {
    expect([...poolMask(topLeftBlockPlusHalf, R, 2)]).toEqual([1, 0.5, 0, 0])
    expect([...poolMask(topLeftBlockPlusHalf, R, 1)]).toEqual([6 / 16])
  })
  it('offsets become whole cells, truncating toward zero like int()', () => {
    expect(cellOffset(2, 4, 2)).toBe(1)
    expect(cellOffset(3, 4, 2)).toBe(1)
    expect(cellOffset(-1, 4, 2)).toBe(0)
    expect(cellOffset(-3, 4, 2)).toBe(-1)
    expect(cellOffset(3, 4, 4)).toBe(3)
  })
})

describe('W space (stylemap blend)', () => {
  const sm = { channels: 1, size: 2 }
  const orig = Float32Array.from([1, 2, 3, 4])
  const ref = Float32Array.from([10, 20, 30, 40])

  it('w = m * ref + (1 - m) * orig with the mask averaged to S x S', () => {
    const out = mixW(orig, [{ reference: ref, mask: topLeftBlockPlusHalf, strength: 1, dx: 0, dy: 0 }], sm, R)
    expect([...out]).toEqual([10, 11, 3, 4])
  })
  it('strength scales the move toward the reference', () => {
    const out = mixW(orig, [{ reference: ref, mask: topLeftBlockPlusHalf, strength: 0.5, dx: 0, dy: 0 }], sm, R)
    expect([...out]).toEqual([5.5, 6.5, 3, 4])
  })
  it('blends every channel plane', () => {
    const o = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8])
    const r = Float32Array.from([10, 20, 30, 40, 50, 60, 70, 80])
    const full = mask([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ])
    expect([...mixW(o, [{ reference: r, mask: full, strength: 1, dx: 0, dy: 0 }], { channels: 2, size: 2 }, R)]).toEqual([10, 2, 3, 4, 50, 6, 7, 8])
  })
  it('an offset places the masked reference cells moved by int(d / (R / S)) cells; cells past the border drop', () => {
    const out = mixW(orig, [{ reference: ref, mask: topLeftBlockPlusHalf, strength: 1, dx: 2, dy: 0 }], sm, R)
    // source cell (0,0) (weight 1) lands on (0,1); source (0,1) (weight 0.5) would land outside
    expect([...out]).toEqual([1, 10, 3, 4])
    const down = mixW(orig, [{ reference: ref, mask: topLeftBlockPlusHalf, strength: 1, dx: 0, dy: 3 }], sm, R)
    expect([...down]).toEqual([1, 2, 10, 12])
  })
  it('applies several layers in order', () => {
    const all = mask([
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ])
    const corner = mask([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ])
    const ref2 = Float32Array.from([100, 200, 300, 400])
    const first = { reference: ref, mask: all, strength: 1, dx: 0, dy: 0 }
    const second = { reference: ref2, mask: corner, strength: 0.5, dx: 0, dy: 0 }
    expect([...mixW(orig, [first, second], sm, R)]).toEqual([55, 20, 30, 40])
    expect([...mixW(orig, [second, first], sm, R)]).toEqual([10, 20, 30, 40])
  })
  it('leaves the original untouched', () => {
    mixW(orig, [{ reference: ref, mask: topLeftBlockPlusHalf, strength: 1, dx: 0, dy: 0 }], sm, R)
    expect([...orig]).toEqual([1, 2, 3, 4])
  })
})

describe('W+ space (per style level, thresholded masks)', () => {
  const levels = [
    { channels: 1, size: 2 },
    { channels: 1, size: 4 },
  ]
  const orig = [Float32Array.from([1, 2, 3, 4]), Float32Array.from({ length: 16 }, (_, i) => i)]
  const ref = [Float32Array.from([10, 20, 30, 40]), Float32Array.from({ length: 16 }, (_, i) => 100 + i)]
  // level 2: cell (0,0) = 1, cell (0,1) = 0.5 (not above the 0.5 threshold), cell (1,1) = 0.25
  const m = mask([
    [1, 1, 1, 0],
    [1, 1, 1, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
  ])

  it('with strength 1 and no offset replaces the original where the pooled mask is above 0.5 (the demo rule)', () => {
    const [l0, l1] = mixWPlus(orig, [{ reference: ref, mask: m, strength: 1, dx: 0, dy: 0 }], levels, R)
    expect([...l0]).toEqual([10, 2, 3, 4])
    expect([...l1]).toEqual([100, 101, 102, 3, 104, 105, 106, 7, 8, 9, 10, 11, 12, 13, 14, 115])
  })
  it('orig[moved] += t (ref[mask] - orig[moved]) with strength t', () => {
    const [l0] = mixWPlus(orig, [{ reference: ref, mask: m, strength: 0.25, dx: 0, dy: 0 }], levels, R)
    expect([...l0]).toEqual([1 + 0.25 * 9, 2, 3, 4])
  })
  it('offsets move the region by whole cells per level', () => {
    const [l0, l1] = mixWPlus(orig, [{ reference: ref, mask: m, strength: 1, dx: 0, dy: 2 }], levels, R)
    // level 2: one cell down; level 4: two pixels down, the bottom-right pixel drops out
    expect([...l0]).toEqual([1, 2, 10, 4])
    expect([...l1]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 102, 11, 104, 105, 106, 15])
  })
  it('coarse/fine strength scales levels from the smallest to the largest', () => {
    expect(levelFactors(levels, { coarse: 1, fine: 0 })).toEqual([1, 0])
    expect(levelFactors([...levels, { channels: 1, size: 8 }], { coarse: 0, fine: 1 })).toEqual([0, 0.5, 1])
    const [l0, l1] = mixWPlus(orig, [{ reference: ref, mask: m, strength: 1, dx: 0, dy: 0 }], levels, R, { coarse: 1, fine: 0 })
    expect([...l0]).toEqual([10, 2, 3, 4])
    expect([...l1]).toEqual([...orig[1]])
  })
  it('applies several layers in order', () => {
    const ref2 = [Float32Array.from([50, 50, 50, 50]), Float32Array.from({ length: 16 }, () => 50)]
    const everything = mask([
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ])
    const [a] = mixWPlus(orig, [{ reference: ref, mask: m, strength: 1, dx: 0, dy: 0 }, { reference: ref2, mask: everything, strength: 0.5, dx: 0, dy: 0 }], levels, R)
    expect([...a]).toEqual([30, 26, 26.5, 27])
  })
})

describe('global interpolation, truncation and seeds', () => {
  it('lerp and truncate', () => {
    expect([...lerp(Float32Array.from([0, 10]), Float32Array.from([10, 30]), 0.25)]).toEqual([2.5, 15])
    expect([...truncate(Float32Array.from([4, -4]), Float32Array.from([2, 0]), 0.5)]).toEqual([3, -2])
  })
  it('normal samples are deterministic per seed and standard normal', () => {
    expect([...normalSamples(7, 5)]).toEqual([...normalSamples(7, 5)])
    expect([...normalSamples(7, 5)]).not.toEqual([...normalSamples(8, 5)])
    const z = normalSamples(1, 20000)
    const mean = z.reduce((s, v) => s + v, 0) / z.length
    const variance = z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length
    expect(Math.abs(mean)).toBeLessThan(0.03)
    expect(Math.abs(variance - 1)).toBeLessThan(0.05)
  })
})

describe('windowOf', () => {
  // 2 channels of a 3 x 3 grid: value = 10 * channel + cell
  const grid = Float32Array.from({ length: 18 }, (_, i) => 10 * Math.floor(i / 9) + (i % 9))

  it('copies a box of every channel, zero past the grid', () => {
    expect(Array.from(windowOf(grid, 2, 3, { x0: 1, y0: 1, x1: 4, y1: 3 }))).toEqual([4, 5, 0, 7, 8, 0, 14, 15, 0, 17, 18, 0])
  })

  it('into a reused buffer, gives what a fresh window gives and clears what the last use left past the grid', () => {
    const kept = new Float32Array(12).fill(99)
    const box = { x0: 1, y0: 1, x1: 4, y1: 3 }
    expect(windowOf(grid, 2, 3, box, kept)).toBe(kept)
    expect(kept).toEqual(windowOf(grid, 2, 3, box))
    expect(() => windowOf(grid, 2, 3, box, new Float32Array(11))).toThrow(/11 values/)
  })

  it('reads halves as their float32 values', () => {
    const halves = toHalf(Float32Array.from(grid, (v) => v / 3))
    const box = { x0: -1, y0: 0, x1: 2, y1: 3 }
    expect(windowOf(halves, 2, 3, box)).toEqual(windowOf(fromHalf(halves), 2, 3, box))
  })
})

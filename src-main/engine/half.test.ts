import { getFloat16, setFloat16 } from '@petamoriken/float16'
import { describe, expect, it } from 'vitest'
import { fromHalf, HALF_VALUES, halfBits, toHalf } from './half.js'

const view = new DataView(new ArrayBuffer(2))
function libraryBits(v: number): number {
  setFloat16(view, 0, v)
  return view.getUint16(0)
}

describe('half precision', () => {
  it('reads every one of the 65,536 halves as the library does', () => {
    for (let h = 0; h < 65536; h++) {
      view.setUint16(0, h)
      const want = getFloat16(view, 0)
      if (Number.isNaN(want)) expect(HALF_VALUES[h], `bits ${h}`).toBeNaN()
      else expect(HALF_VALUES[h], `bits ${h}`).toBe(want)
    }
  })

  it('rounds float32 values to the nearest half, ties to even, as the library does', () => {
    const cases = [0, -0, 1, -1, 65504, 65519.99, 65520, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.98e-8, 2 ** -25, 1e-9, 0.1, 1 / 3, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]
    // exact ties between neighbouring halves: 1 + 1/2048 (down to even 1), 1 + 3/2048 (up to even)
    cases.push(1 + 1 / 2048, 1 + 3 / 2048, 2 ** -24 * 1.5, 2 ** -24 * 2.5)
    let s = 12345
    for (let i = 0; i < 200_000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0
      const magnitude = 2 ** ((s % 60) - 30)
      cases.push(((s / 2 ** 32) * 2 - 1) * magnitude)
    }
    // the engine's values are float32 (the library would round a float64 once, not through float32)
    for (const v of cases.map(Math.fround)) expect(halfBits(v), `value ${v}`).toBe(libraryBits(v))
    // toHalf (bitsToHalf on each value's bits) gives halfBits' bits, at every exponent's edge too
    const fromBits = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0]
    for (let e = 110; e <= 145; e++) {
      for (const m of [0, 1, 0xfff, 0x1000, 0x1001, 0x2000, 0x3000, 0x7fefff, 0x7ff000, 0x7fffff]) cases.push(fromBits((e << 23) | m), fromBits((0x80000000 | (e << 23) | m) >>> 0))
    }
    const tensor = Float32Array.from([...cases, Number.NaN])
    const halves = toHalf(tensor)
    let mismatched = 0
    tensor.forEach((v, i) => (halves[i] !== halfBits(v) ? mismatched++ : 0))
    expect(mismatched).toBe(0)
    expect(toHalf(tensor.subarray(3)).length).toBe(tensor.length - 3)
    expect(Array.from(toHalf(tensor.subarray(3)))).toEqual(Array.from(halves.subarray(3)))
    expect(halfBits(Number.NaN) & 0x7c00).toBe(0x7c00)
    expect(halfBits(Number.NaN) & 0x3ff).not.toBe(0)
  })

  it('round-trips a tensor within half precision', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 4)
    const back = fromHalf(toHalf(values))
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11)
    expect(back).not.toEqual(values)
  })
})

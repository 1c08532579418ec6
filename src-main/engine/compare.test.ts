import { describe, expect, it } from 'vitest'
import { relativeError } from './compare.js'

describe('relativeError', () => {
  it('is the largest difference over the largest expected magnitude', () => {
    expect(relativeError(Float32Array.of(1, -2.5, 4), Float32Array.of(1, -2, 4))).toBeCloseTo(0.5 / 4, 7)
    expect(relativeError(Float32Array.of(0, 0), Float32Array.of(0, 0))).toBe(0)
  })

  it('never lets a broken output pass: other lengths or a NaN give Infinity', () => {
    expect(relativeError(Float32Array.of(1), Float32Array.of(1, 2))).toBe(Number.POSITIVE_INFINITY)
    expect(relativeError(Float32Array.of(1, Number.NaN, 3), Float32Array.of(1, 2, 3))).toBe(Number.POSITIVE_INFINITY)
  })
})

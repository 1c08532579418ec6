import { describe, expect, it } from 'vitest'
import {
  coverageBounds,
  createMask,
  downsampleMask,
  invertMask,
  isMaskEmpty,
  readRect,
  sampleSquare,
  stampDab,
  strokeSegment,
  writeRect,
} from './maskBitmap'
import { clampRect, unionRect } from './rect'

describe('mask bitmap', () => {
  it('a hard dab covers its disc fully and nothing outside it', () => {
    const mask = createMask(40, 40)
    const dirty = stampDab(mask, 20, 20, { radius: 5, hardness: 1, mode: 'paint' })
    expect(dirty).toEqual({ x: 15, y: 15, width: 10, height: 10 })
    expect(mask.data[20 * 40 + 20]).toBe(255)
    expect(mask.data[20 * 40 + 24]).toBe(255)
    expect(mask.data[20 * 40 + 26]).toBe(0)
    expect(mask.data[0]).toBe(0)
    // every painted pixel lies inside the reported rectangle
    for (let y = 0; y < 40; y++)
      for (let x = 0; x < 40; x++)
        if (mask.data[y * 40 + x]) expect(x >= 15 && x < 25 && y >= 15 && y < 25).toBe(true)
  })

  it('a soft dab falls off from the centre to the rim', () => {
    const mask = createMask(40, 40)
    stampDab(mask, 20, 20, { radius: 10, hardness: 0, mode: 'paint' })
    const row = Array.from(mask.data.subarray(20 * 40 + 20, 20 * 40 + 31))
    expect(row[0]).toBeGreaterThan(240)
    for (let i = 1; i < row.length; i++) expect(row[i]).toBeLessThanOrEqual(row[i - 1])
    expect(row[5]).toBeGreaterThan(60)
    expect(row[5]).toBeLessThan(200)
    expect(row[10]).toBe(0)
  })

  it('the eraser removes what the brush painted', () => {
    const mask = createMask(30, 30)
    stampDab(mask, 15, 15, { radius: 6, hardness: 1, mode: 'paint' })
    stampDab(mask, 15, 15, { radius: 8, hardness: 1, mode: 'erase' })
    expect(isMaskEmpty(mask)).toBe(true)
  })

  it('a stroke leaves no gaps between dabs and is clipped at the border', () => {
    const mask = createMask(50, 20)
    const dirty = strokeSegment(mask, { x: -10, y: 10 }, { x: 60, y: 10 }, { radius: 3, hardness: 1, mode: 'paint' })
    expect(dirty).toEqual({ x: 0, y: 7, width: 50, height: 6 })
    for (let x = 0; x < 50; x++) expect(mask.data[10 * 50 + x]).toBe(255)
  })

  it('read and write of a rectangle round-trip', () => {
    const mask = createMask(10, 10)
    const rect = { x: 2, y: 3, width: 4, height: 2 }
    const pixels = Uint8Array.from({ length: 8 }, (_, i) => i * 10 + 1)
    writeRect(mask, rect, pixels)
    expect(Array.from(readRect(mask, rect))).toEqual(Array.from(pixels))
    expect(mask.data[3 * 10 + 2]).toBe(1)
    expect(mask.data[4 * 10 + 5]).toBe(71)
    expect(() => writeRect(mask, rect, new Uint8Array(3))).toThrow(RangeError)
  })

  it('bounds and invert', () => {
    const mask = createMask(10, 10)
    expect(coverageBounds(mask)).toBeNull()
    mask.data[2 * 10 + 3] = 9
    mask.data[6 * 10 + 7] = 200
    expect(coverageBounds(mask)).toEqual({ x: 3, y: 2, width: 5, height: 5 })
    invertMask(mask)
    expect(mask.data[0]).toBe(255)
    expect(mask.data[6 * 10 + 7]).toBe(55)
  })

  it('samples a square region at another size, with an optional shift', () => {
    const mask = createMask(8, 8)
    // left half of the region painted
    for (let y = 0; y < 8; y++) for (let x = 0; x < 4; x++) mask.data[y * 8 + x] = 255
    expect(Array.from(sampleSquare(mask, { x: 0, y: 0, size: 8 }, 2))).toEqual([255, 0, 255, 0])
    expect(Array.from(sampleSquare(mask, { x: 0, y: 0, size: 8 }, 4))).toEqual([255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0])
    // shift the painted half 4 px to the right
    expect(Array.from(sampleSquare(mask, { x: 0, y: 0, size: 8 }, 2, { dx: 4, dy: 0 }))).toEqual([0, 255, 0, 255])
    // a region reaching past the border counts the outside as uncovered
    expect(Array.from(sampleSquare(mask, { x: -8, y: 0, size: 16 }, 4))).toEqual([0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  })

  it('downsamples by area average, keeping small masks as copies', () => {
    const mask = createMask(8, 4)
    for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) mask.data[y * 8 + x] = 200
    mask.data[0] = 0
    const small = downsampleMask(mask, 4)
    expect([small.width, small.height]).toEqual([4, 2])
    expect(Array.from(small.data)).toEqual([150, 200, 0, 0, 200, 200, 0, 0])
    const same = downsampleMask(mask, 100)
    expect(same.data).not.toBe(mask.data)
    expect(Array.from(same.data)).toEqual(Array.from(mask.data))
  })

  it('rectangle helpers', () => {
    expect(unionRect({ x: 0, y: 0, width: 2, height: 2 }, { x: 5, y: 1, width: 1, height: 4 })).toEqual({ x: 0, y: 0, width: 6, height: 5 })
    expect(unionRect(null, { x: 1, y: 1, width: 0, height: 3 })).toBeNull()
    expect(clampRect({ x: -3.5, y: 2.2, width: 5, height: 100 }, 10, 10)).toEqual({ x: 0, y: 2, width: 2, height: 8 })
    expect(clampRect({ x: 20, y: 0, width: 5, height: 5 }, 10, 10)).toBeNull()
  })
})

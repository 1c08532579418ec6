import { describe, expect, it } from 'vitest'
import { sampleMaskCrop, shiftMask, unionMasks } from './masks'

const mask = (width: number, height: number, values: number[]) => ({ width, height, data: Uint8Array.from(values) })

describe('mask sampling', () => {
  it('area-averages the crop of a photo-sized mask', () => {
    // 4x4 mask over a 4x4 photo; crop the lower-right 2x2 square down to 1x1
    const m = mask(4, 4, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 0, 0, 255, 0])
    expect(Array.from(sampleMaskCrop(m, 4, 4, { x: 2, y: 2, size: 2 }, 1).data)).toEqual([191])
    expect(Array.from(sampleMaskCrop(m, 4, 4, { x: 2, y: 2, size: 2 }, 2).data)).toEqual([255, 255, 255, 0])
  })

  it('maps a mask stored at display size onto the full-size photo', () => {
    // a 2x2 mask painted on a 200x200 preview of a 400x400 photo: the right column is white
    const m = mask(2, 2, [0, 255, 0, 255])
    // the crop x 200..400 of the photo is wholly the right column
    expect(Array.from(sampleMaskCrop(m, 400, 400, { x: 200, y: 0, size: 200 }, 2).data)).toEqual([255, 255, 255, 255])
    // a crop straddling the middle sees half of each
    expect(Array.from(sampleMaskCrop(m, 400, 400, { x: 100, y: 100, size: 200 }, 2).data)).toEqual([0, 255, 0, 255])
    expect(Array.from(sampleMaskCrop(m, 400, 400, { x: 100, y: 100, size: 200 }, 1).data)).toEqual([128])
  })

  it('upsamples without inventing values', () => {
    const m = mask(1, 1, [200])
    expect(Array.from(sampleMaskCrop(m, 10, 10, { x: 0, y: 0, size: 10 }, 3).data)).toEqual(new Array(9).fill(200))
  })

  it('shifts, dropping what leaves and filling with empty', () => {
    const m = mask(3, 2, [1, 2, 3, 4, 5, 6])
    expect(Array.from(shiftMask(m, 1, 0).data)).toEqual([0, 1, 2, 0, 4, 5])
    expect(Array.from(shiftMask(m, -1, 1).data)).toEqual([0, 0, 0, 2, 3, 0])
  })

  it('unions with a pixel-wise maximum', () => {
    expect(Array.from(unionMasks([mask(2, 1, [10, 0]), mask(2, 1, [5, 99])], 2, 1).data)).toEqual([10, 99])
  })
})

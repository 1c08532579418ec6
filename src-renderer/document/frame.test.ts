import { describe, expect, it } from 'vitest'
import { acrossPhoto, alongFrame, clampCrop, cropAt, frameCentre, turnedBy, frameCorners, normalizeAngle, reachesPastPhoto, sameCrop, snapAngle, toFrame, framePoint } from './frame'

describe('snapAngle', () => {
  it('rounds to a tenth of a degree', () => {
    expect(snapAngle(25.04)).toBe(25)
    expect(snapAngle(25.06)).toBe(25.1)
    expect(snapAngle(-33.333)).toBe(-33.3)
  })

  it('snaps upright within 1.5 degrees either way, and not beyond', () => {
    expect(snapAngle(1.5)).toBe(0)
    expect(snapAngle(-1.49)).toBe(0)
    expect(snapAngle(0.2)).toBe(0)
    expect(snapAngle(1.6)).toBe(1.6)
    expect(snapAngle(-1.6)).toBe(-1.6)
    expect(Object.is(snapAngle(-0.3), 0)).toBe(true)
  })

  it('keeps angles in (-180, 180], as the contract allows', () => {
    expect(snapAngle(357)).toBe(-3)
    expect(snapAngle(200)).toBe(-160)
    expect(snapAngle(-190.04)).toBe(170)
    expect(normalizeAngle(-180)).toBe(180)
    expect(normalizeAngle(540)).toBe(180)
  })
})

describe('frame geometry', () => {
  const crop = { x: 100, y: 50, size: 200, angle: 90 }

  it('turns clockwise on screen about the centre: the top-left corner of a 90 degree frame is at the top right', () => {
    const [tl, tr, br, bl] = frameCorners(crop)
    expect(frameCentre(crop)).toEqual({ x: 200, y: 150 })
    expect(tl.x).toBeCloseTo(300)
    expect(tl.y).toBeCloseTo(50)
    expect(tr.x).toBeCloseTo(300)
    expect(tr.y).toBeCloseTo(250)
    expect(br.x).toBeCloseTo(100)
    expect(bl.y).toBeCloseTo(50)
  })

  it("measures a drag along the frame's axes: on a frame turned 90 degrees, a drag down the photo is to the frame's right", () => {
    const along = alongFrame(crop, { x: 0, y: 10 })
    expect(along.x).toBeCloseTo(10)
    expect(along.y).toBeCloseTo(0)
    const back = acrossPhoto({ x: 0, y: 0, size: 10, angle: -30 }, alongFrame({ x: 0, y: 0, size: 10, angle: -30 }, { x: 3, y: -7 }))
    expect(back.x).toBeCloseTo(3)
    expect(back.y).toBeCloseTo(-7)
    expect(alongFrame({ x: 0, y: 0, size: 10 }, { x: 3, y: -7 })).toEqual({ x: 3, y: -7 })
  })

  it('toFrame undoes framePoint', () => {
    const turned = { x: -20, y: 33, size: 150, angle: -37.5 }
    const p = framePoint(turned, 12, 140)
    const back = toFrame(turned, p)
    expect(back.x).toBeCloseTo(12, 9)
    expect(back.y).toBeCloseTo(140, 9)
  })
})

describe('clampCrop', () => {
  it('keeps a plain crop a square inside the photo', () => {
    expect(clampCrop({ x: -30, y: 500, size: 300 }, 640, 480)).toEqual({ x: 0, y: 180, size: 300 })
    expect(clampCrop({ x: 300, y: 10, size: 900 }, 640, 480)).toEqual({ x: 160, y: 0, size: 480 })
    expect(clampCrop({ x: 10.4, y: 10.6, size: 2 }, 640, 480)).toEqual({ x: 10, y: 11, size: 8 })
  })

  it('lets a turned frame reach past the edges while its centre is on the photo', () => {
    expect(clampCrop({ x: -100, y: 250, size: 400, angle: 25 }, 640, 480)).toEqual({ x: -100, y: 250, size: 400, angle: 25 })
  })

  it('brings a turned frame whose centre left the photo back to the edge, size and angle kept', () => {
    // centre (-50, 700) -> (0, 480)
    expect(clampCrop({ x: -250, y: 500, size: 400, angle: -10 }, 640, 480)).toEqual({ x: -200, y: 280, size: 400, angle: -10 })
    expect(frameCentre(clampCrop({ x: 900, y: -900, size: 100, angle: 5 }, 640, 480))).toEqual({ x: 640, y: 0 })
  })

  it('keeps an upright frame a frame, and bounds its size', () => {
    expect(clampCrop({ x: 580, y: 10, size: 100, angle: 0 }, 640, 480)).toEqual({ x: 580, y: 10, size: 100, angle: 0 })
    expect(clampCrop({ x: 0, y: 0, size: 5000, angle: 30 }, 640, 480).size).toBe(1280)
    expect(clampCrop({ x: 0, y: 0, size: 40000, angle: 30 }, 12000, 9000).size).toBe(16384)
    expect(clampCrop({ x: 0, y: 0, size: 5000, angle: 370 }, 640, 480).angle).toBe(10)
  })
})

describe('sameCrop', () => {
  it('tells a plain crop from an upright frame and frames by angle', () => {
    expect(sameCrop({ x: 1, y: 2, size: 3 }, { x: 1, y: 2, size: 3 })).toBe(true)
    expect(sameCrop({ x: 1, y: 2, size: 3 }, { x: 1, y: 2, size: 3, angle: 0 })).toBe(false)
    expect(sameCrop({ x: 1, y: 2, size: 3, angle: 4 }, { x: 1, y: 2, size: 3, angle: 4.1 })).toBe(false)
  })
})

describe('cropAt', () => {
  it('maps a drawn frame (centre, side, angle) back to the crop, in whole pixels', () => {
    const frame = { x: 37, y: -12, size: 301, angle: 24.3 }
    expect(cropAt(frameCentre(frame), 301, 24.3)).toEqual(frame)
    expect(cropAt({ x: 216.2, y: 155.8 }, 311.6)).toEqual({ x: 60, y: 0, size: 312 })
  })

  it("reports fabric's 0..360 angles in the contract's range, snapped", () => {
    expect(cropAt({ x: 100, y: 100 }, 50, 335.04).angle).toBe(-25)
    expect(cropAt({ x: 100, y: 100 }, 50, 359.2).angle).toBe(0)
    expect(cropAt({ x: 100, y: 100 }, 50, 1.2).angle).toBe(0)
  })
})

describe('turnedBy', () => {
  it('turns about the centre in keyboard steps, a plain crop becoming a frame, without snapping', () => {
    expect(turnedBy({ x: 10, y: 20, size: 100 }, 1)).toEqual({ x: 10, y: 20, size: 100, angle: 1 })
    expect(turnedBy({ x: 10, y: 20, size: 100, angle: 179.5 }, 1)).toEqual({ x: 10, y: 20, size: 100, angle: -179.5 })
    expect(turnedBy({ x: 10, y: 20, size: 100, angle: 0.1 }, -0.2)).toEqual({ x: 10, y: 20, size: 100, angle: -0.1 })
  })
})

describe('reachesPastPhoto', () => {
  it('tells a frame that reaches past the photo, where the engine mirrors it, from one inside', () => {
    // 480 x 360: the default crop, and the same square upright or a quarter turned, stay inside
    expect(reachesPastPhoto({ x: 60, y: 0, size: 360 }, 480, 360)).toBe(false)
    expect(reachesPastPhoto({ x: 60, y: 0, size: 360, angle: 0 }, 480, 360)).toBe(false)
    expect(reachesPastPhoto({ x: 60, y: 0, size: 360, angle: 90 }, 480, 360)).toBe(false)
    expect(reachesPastPhoto({ x: 60, y: 0, size: 360, angle: -180 }, 480, 360)).toBe(false)
    // turned 10 degrees, its corners leave the top and bottom edges
    expect(reachesPastPhoto({ x: 60, y: 0, size: 360, angle: 10 }, 480, 360)).toBe(true)
    // a small turned frame in the middle stays inside; moved to an edge it reaches past it
    expect(reachesPastPhoto({ x: 190, y: 130, size: 100, angle: 30 }, 480, 360)).toBe(false)
    expect(reachesPastPhoto({ x: 400, y: 130, size: 100, angle: 30 }, 480, 360)).toBe(true)
  })
})

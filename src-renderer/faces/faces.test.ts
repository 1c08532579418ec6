import { describe, expect, it } from 'vitest'
import { clampCrop } from '../document/frame'
import { chosenFace, faceAt, openingCrop, type Face } from './faces'

const landmarks: [number, number][] = [
  [0, 0],
  [0, 0],
  [0, 0],
  [0, 0],
  [0, 0],
]

function face(box: [number, number, number, number], crop?: Face['crop']): Face {
  return { box, score: 0.9, landmarks, crop }
}

const small = face([500, 100, 60, 70], { x: 470, y: 80, size: 120, angle: -4.2 })
const large = face([100, 120, 200, 230], { x: 20, y: 60, size: 380, angle: 24.87 })

describe('openingCrop', () => {
  it("is the largest face's frame, wherever it is in the list", () => {
    expect(openingCrop([small, large], true)).toEqual(large.crop)
    expect(openingCrop([large, small], true)).toEqual(large.crop)
  })

  it('is null without faces, for models that do not align faces, and for faces without a frame', () => {
    expect(openingCrop([], true)).toBeNull()
    expect(openingCrop([large], false)).toBeNull()
    expect(openingCrop([face([0, 0, 50, 50])], true)).toBeNull()
  })
})

describe('chosenFace', () => {
  it('finds the face the crop frames, and none for a hand-made crop', () => {
    expect(chosenFace([large, small], { x: 470, y: 80, size: 120, angle: -4.2 })).toBe(1)
    expect(chosenFace([large, small], { x: 471, y: 80, size: 120, angle: -4.2 })).toBe(-1)
    expect(chosenFace([large, small], { x: 470, y: 80, size: 120 })).toBe(-1)
  })

  it("compares with the frame as the store keeps it (a face frame whose centre was off the photo)", () => {
    const edge = face([0, 0, 40, 40], { x: -300, y: -300, size: 400, angle: 10 })
    const kept = clampCrop(edge.crop!, 640, 480)
    expect(chosenFace([edge], kept)).toBe(-1)
    expect(chosenFace([edge], kept, (c) => clampCrop(c, 640, 480))).toBe(0)
  })
})

describe('faceAt', () => {
  it('hits the box under the point, the smaller one where boxes overlap', () => {
    const inner = face([150, 150, 50, 50], { x: 120, y: 120, size: 110, angle: 0 })
    expect(faceAt([large, small], { x: 530, y: 130 })).toBe(1)
    expect(faceAt([large, small, inner], { x: 170, y: 170 })).toBe(2)
    expect(faceAt([large, small, inner], { x: 110, y: 300 })).toBe(0)
    expect(faceAt([large, small], { x: 400, y: 400 })).toBe(-1)
  })
})

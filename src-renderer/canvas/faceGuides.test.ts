import { describe, expect, it } from 'vitest'
import { DEFAULT_EYE_LINE, faceGuides } from './faceGuides'

// the bundled model's alignment (models/utkface-64/model.json)
const utkface: [number, number][] = [
  [0.2886, 0.2884],
  [0.6791, 0.2901],
  [0.4849, 0.5198],
  [0.3188, 0.6802],
  [0.6527, 0.6833],
]

describe('faceGuides', () => {
  it("draws the eye line through the model's eyes, marks each eye and draws a shorter mouth line", () => {
    const guides = faceGuides({ domain: 'face', faceLandmarks: utkface })
    const [eyes, mouth] = guides.lines
    expect(eyes.label).toBe('eyes')
    expect(eyes.y).toBeCloseTo((0.2884 + 0.2901) / 2, 6)
    expect([eyes.from, eyes.to]).toEqual([0, 1])
    expect(mouth.label).toBe('mouth')
    expect(mouth.y).toBeCloseTo((0.6802 + 0.6833) / 2, 6)
    // half a mouth's width (0.3339) beyond each corner
    expect(mouth.from).toBeCloseTo(0.3188 - 0.3339 / 2, 4)
    expect(mouth.to).toBeCloseTo(0.6527 + 0.3339 / 2, 4)
    expect(guides.marks).toEqual([
      { x: 0.2886, y: 0.2884 },
      { x: 0.6791, y: 0.2901 },
    ])
  })

  it("an FFHQ-style model gets its own lines, not the bundled model's", () => {
    // the converter's FFHQ template (models/templates/alignments.json)
    const ffhq: [number, number][] = [
      [0.3757, 0.4744],
      [0.624, 0.4755],
      [0.5006, 0.6214],
      [0.3949, 0.7241],
      [0.6071, 0.7261],
    ]
    const [eyes, mouth] = faceGuides({ domain: 'face', faceLandmarks: ffhq }).lines
    expect(eyes.y).toBeCloseTo(0.47495, 6)
    expect(mouth.y).toBeCloseTo(0.7251, 6)
  })

  it('keeps the guides inside the frame', () => {
    const wide: [number, number][] = [
      [0.05, 0.2],
      [0.95, 0.2],
      [0.5, 0.5],
      [0.1, 0.8],
      [0.9, 0.8],
    ]
    const mouth = faceGuides({ domain: 'face', faceLandmarks: wide }).lines[1]
    expect([mouth.from, mouth.to]).toEqual([0, 1])
  })

  it("a face model without landmarks keeps today's eye line; other models draw none", () => {
    expect(faceGuides({ domain: 'face' })).toEqual({ lines: [{ label: 'eye line', y: DEFAULT_EYE_LINE, from: 0, to: 1 }], marks: [] })
    expect(faceGuides({ domain: 'car', faceLandmarks: undefined })).toEqual({ lines: [], marks: [] })
    expect(faceGuides(null)).toEqual({ lines: [], marks: [] })
  })
})

import { describe, expect, it } from 'vitest'
import { alignedCrop, applySimilarity, fitSimilarity, type Point } from './align.js'

const template: Point[] = [
  [0.3, 0.4],
  [0.7, 0.4],
  [0.5, 0.58],
  [0.35, 0.75],
  [0.65, 0.75],
]

/** Where frame point (u, v) of a crop lands on the photo (the Crop contract in api.ts). */
function framePoint(crop: { x: number; y: number; size: number; angle?: number }, u: number, v: number): Point {
  const r = ((crop.angle ?? 0) * Math.PI) / 180
  const cx = crop.x + crop.size / 2
  const cy = crop.y + crop.size / 2
  const du = u - crop.size / 2
  const dv = v - crop.size / 2
  return [cx + Math.cos(r) * du - Math.sin(r) * dv, cy + Math.sin(r) * du + Math.cos(r) * dv]
}

describe('fitSimilarity', () => {
  it('recovers a known rotation, scale and translation exactly', () => {
    const truth = { scale: 212.5, angle: (-35 * Math.PI) / 180, tx: 400.25, ty: -17 }
    const fit = fitSimilarity(template, template.map((p) => applySimilarity(truth, p)))
    expect(fit.scale).toBeCloseTo(truth.scale, 9)
    expect(fit.angle).toBeCloseTo(truth.angle, 12)
    expect(fit.tx).toBeCloseTo(truth.tx, 9)
    expect(fit.ty).toBeCloseTo(truth.ty, 9)
  })

  it('is the least-squares fit: moving one point moves the fit by a fifth of it, not all of it', () => {
    const moved = template.map((p, i): Point => (i === 2 ? [p[0] + 0.05, p[1]] : p))
    const fit = fitSimilarity(template, moved)
    expect(fit.tx).toBeCloseTo(0.05 / 5, 2)
    expect(fit.scale).toBeCloseTo(1, 1)
  })

  it('refuses too few or coinciding points', () => {
    expect(() => fitSimilarity([[0, 0]], [[1, 1]])).toThrow(/two or more/)
    expect(() => fitSimilarity([[1, 1], [1, 1]], [[0, 0], [2, 2]])).toThrow(/coincide/)
  })
})

describe('alignedCrop', () => {
  for (const degrees of [0, 20, -35, 90, 179]) {
    it(`puts the landmarks at the template's places for a face turned ${degrees} degrees`, () => {
      const truth = { scale: 300, angle: (degrees * Math.PI) / 180, tx: 900, ty: 650 }
      const landmarks = template.map((p) => applySimilarity(truth, [p[0] - 0.5, p[1] - 0.5]))
      const crop = alignedCrop(landmarks, { landmarks: template })
      expect(crop.size).toBe(300)
      expect(crop.angle).toBeCloseTo(degrees, 2)
      for (const [i, [u, v]] of template.entries()) {
        const [x, y] = framePoint(crop, u * crop.size, v * crop.size)
        // whole-pixel corner and size: within a pixel of the landmark
        expect(Math.hypot(x - landmarks[i][0], y - landmarks[i][1])).toBeLessThan(1)
      }
    })
  }
})

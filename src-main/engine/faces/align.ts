// Face alignment: the similarity transform (rotation, uniform scale, translation) that takes
// a model's canonical landmark places to the landmarks found in a photo, and the crop frame
// it makes. The frame is the model's square as it lies on the photo.
import type { Crop, FaceAlignment } from '../api.js'

export type Point = [number, number]

/** to ≈ scale * rotate(angle) * from + (tx, ty); angle in radians, clockwise on screen (y down). */
export interface Similarity {
  scale: number
  angle: number
  tx: number
  ty: number
}

/** The least-squares similarity taking the points `from` to the points `to` (no reflection). */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Similarity {
  if (from.length !== to.length || from.length < 2) throw new Error(`need two or more point pairs, got ${from.length} and ${to.length}`)
  const n = from.length
  const mean = (points: readonly Point[]): Point => [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n]
  const [fx, fy] = mean(from)
  const [gx, gy] = mean(to)
  // to - g = [a -b; b a] (from - f): a = s cos, b = s sin
  let dot = 0
  let cross = 0
  let norm = 0
  for (let i = 0; i < n; i++) {
    const ux = from[i][0] - fx
    const uy = from[i][1] - fy
    const vx = to[i][0] - gx
    const vy = to[i][1] - gy
    dot += ux * vx + uy * vy
    cross += ux * vy - uy * vx
    norm += ux * ux + uy * uy
  }
  if (norm === 0) throw new Error('the points to fit from all coincide')
  const a = dot / norm
  const b = cross / norm
  return { scale: Math.hypot(a, b), angle: Math.atan2(b, a), tx: gx - (a * fx - b * fy), ty: gy - (b * fx + a * fy) }
}

/** Applies a similarity to a point. */
export function applySimilarity(t: Similarity, [x, y]: Point): Point {
  const a = t.scale * Math.cos(t.angle)
  const b = t.scale * Math.sin(t.angle)
  return [a * x - b * y + t.tx, b * x + a * y + t.ty]
}

/**
 * The frame that puts a face's five landmarks where the model wants them: the model's unit
 * square mapped onto the photo by the least-squares similarity from the template to the
 * landmarks. Whole pixels for the square's corner and size, the angle to 0.01 degree.
 */
export function alignedCrop(landmarks: readonly Point[], alignment: FaceAlignment): Crop {
  const t = fitSimilarity(alignment.landmarks, landmarks)
  const [cx, cy] = applySimilarity(t, [0.5, 0.5])
  const size = Math.max(1, Math.round(t.scale))
  const degrees = Math.round(((t.angle * 180) / Math.PI) * 100) / 100
  return { x: Math.round(cx - size / 2), y: Math.round(cy - size / 2), size, angle: degrees === 0 ? 0 : degrees }
}

// The face detector on real photos and on UTKFace faces put into busy canvases at known
// places, sizes and turns.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { RawImage } from '../api.js'
import { faces, facesMissing, sharedDataDir } from '../../testing/utkface.js'
import { type DetectedFace, detectFaces } from './detect.js'
import type { Point } from './faceWarp.js'
import { clutter, decodeRgb, pasteFace, placedPoint } from './testing/scene.js'

const photos = join(sharedDataDir, 'photos')
const photosMissing = existsSync(join(photos, 'group-of-four.png')) ? null : `no real photos in ${photos}`
const dist = (a: Point, b: Point) => Math.hypot(a[0] - b[0], a[1] - b[1])

function expectUprightFaces(found: DetectedFace[]): void {
  for (const face of found) {
    const [x, y, w, h] = face.box
    for (const [px, py] of face.landmarks) {
      expect(px).toBeGreaterThanOrEqual(x)
      expect(px).toBeLessThanOrEqual(x + w)
      expect(py).toBeGreaterThanOrEqual(y)
      expect(py).toBeLessThanOrEqual(y + h)
    }
    const [leftEye, rightEye, nose, leftMouth, rightMouth] = face.landmarks
    expect(leftEye[0]).toBeLessThan(rightEye[0])
    expect(leftMouth[0]).toBeLessThan(rightMouth[0])
    expect(Math.max(leftEye[1], rightEye[1])).toBeLessThan(nose[1])
    expect(nose[1]).toBeLessThan(Math.min(leftMouth[1], rightMouth[1]))
    expect(face.score).toBeGreaterThan(0)
    expect(face.score).toBeLessThanOrEqual(1)
  }
  for (let i = 1; i < found.length; i++) expect(found[i - 1].box[2] * found[i - 1].box[3]).toBeGreaterThanOrEqual(found[i].box[2] * found[i].box[3])
}

describe.skipIf(photosMissing)('detectFaces on real photos', () => {
  it('finds the four faces of group-of-four, largest first, upright with their points inside their boxes', async () => {
    const found = await detectFaces(await decodeRgb(join(photos, 'group-of-four.png')))
    expect(found).toHaveLength(4)
    expectUprightFaces(found)
    // side by side: four different places along the row
    const xs = found.map((f) => f.landmarks[2][0]).sort((a, b) => a - b)
    for (let i = 1; i < 4; i++) expect(xs[i] - xs[i - 1]).toBeGreaterThan(100)
  }, 30_000)

  it('finds both faces of two-friends, the partly turned one included', async () => {
    const found = await detectFaces(await decodeRgb(join(photos, 'two-friends.png')))
    expect(found).toHaveLength(2)
    expectUprightFaces(found)
  }, 30_000)
})

describe.skipIf(facesMissing('utkface200'))('detectFaces on UTKFace faces in busy canvases', () => {
  /** The face's points, found on it upright (in a plain grey square, as detectors want some room). */
  async function truthOf(face: RawImage): Promise<Point[]> {
    const padded: RawImage = { width: 400, height: 400, channels: 3, data: new Uint8Array(400 * 400 * 3).fill(128) }
    pasteFace(padded, face, { cx: 200, cy: 200, size: 200, degrees: 0 })
    const [found] = await detectFaces(padded)
    expect(found, 'the upright face is found').toBeDefined()
    return found.landmarks.map(([x, y]) => [x - 100, y - 100])
  }

  it('finds a face turned 30 degrees, its eyes within 10 % of the eye distance, in the face’s own order', async () => {
    const face = await decodeRgb(faces(1, 3, 'utkface200')[0].bytes)
    const upright = await truthOf(face)
    for (const degrees of [30, -30]) {
      const canvas = clutter(1000, 750, 5)
      const place = { cx: 560, cy: 330, size: 260, degrees }
      pasteFace(canvas, face, place)
      const truth = upright.map((p) => placedPoint(face, place, p))
      const found = await detectFaces(canvas)
      expect(found).toHaveLength(1)
      const iod = dist(truth[0], truth[1])
      expect(dist(found[0].landmarks[0], truth[0]) / iod, `left eye at ${degrees}°`).toBeLessThan(0.1)
      expect(dist(found[0].landmarks[1], truth[1]) / iod, `right eye at ${degrees}°`).toBeLessThan(0.1)
      expect(dist(found[0].landmarks[2], truth[2]) / iod, `nose at ${degrees}°`).toBeLessThan(0.2)
    }
  }, 30_000)

  it('finds a small face in a large photo, its points from the full-size pixels', async () => {
    const face = await decodeRgb(faces(1, 5, 'utkface200')[0].bytes)
    const upright = await truthOf(face)
    const canvas = clutter(3000, 2000, 9)
    // 200 px in 3000 (the smallest the detector finds well, about 1/15 of the long side): 43 px
    // on the detector's larger copy, while its points come from the 200 px of the photo
    const place = { cx: 2100, cy: 1300, size: 200, degrees: 8 }
    pasteFace(canvas, face, place)
    const truth = upright.map((p) => placedPoint(face, place, p))
    const found = await detectFaces(canvas)
    expect(found).toHaveLength(1)
    const iod = dist(truth[0], truth[1])
    expect(dist(found[0].landmarks[0], truth[0]) / iod).toBeLessThan(0.1)
    expect(dist(found[0].landmarks[1], truth[1]) / iod).toBeLessThan(0.1)
  }, 30_000)

  it('finds nothing in a busy photo without a face, nor in a flat one', async () => {
    expect(await detectFaces(clutter(1200, 800, 21))).toEqual([])
    expect(await detectFaces({ width: 300, height: 200, channels: 1, data: new Uint8Array(300 * 200).fill(90) })).toEqual([])
  }, 30_000)
})

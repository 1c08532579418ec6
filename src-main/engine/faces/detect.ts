// Face detection with five landmarks, offline. The detector finds face boxes on a small copy
// of the photo; each face's landmarks are then found at full resolution, on an upright square
// cut from the full-size photo, so a small face in a 24 MP photo keeps its detail and a turned
// face is turned upright before the landmark net sees it.
//
// The detector: @vladmandic/face-api's TinyFaceDetector (MIT, 190 KB of weights in the npm
// package) on two copies, long sides 320 and 640, boxes merged. Measured with
// models/tools/face-eval.ts against its SSD MobileNetV1 (5.6 MB): as accurate on the landmarks
// (both about 1 % of the eye distance), it finds more of the turned and small faces (one size
// finds a band of face sizes; two sizes cover both a face filling the photo and one a
// fifteenth of it) and takes about 300 ms in all on a 24 MP photo where SSD alone takes
// 350-530 ms. SSD finds nothing either in the blurry Solvay crops. Landmarks: face-api's
// 68-point net (350 KB).
import sharp from 'sharp'
import type { Face, RawImage } from '../api.js'
import { faceNets, type FaceNets } from './faceNets.js'
import { type FaceFrame, frameToImage, type Point, warpFrame } from './faceWarp.js'

export type DetectedFace = Omit<Face, 'crop'>

/** How faces are looked for; `detectFaces` uses `defaultDetectSettings`, the eval tries others. */
export interface DetectSettings {
  detector: 'tiny' | 'ssd'
  /**
   * Long sides of the copies the detector sees (tiny: multiples of 32; ssd resizes to 512
   * itself): each finds faces of its own range of sizes, and their boxes are merged.
   */
  inputSizes: number[]
  /** Detector confidence below which a box is dropped. */
  minScore: number
  /** When nothing is found upright, look again on copies turned by these angles (degrees). */
  turnedPasses: number[]
}

export const defaultDetectSettings: DetectSettings = { detector: 'tiny', inputSizes: [320, 640], minScore: 0.5, turnedPasses: [30, -30] }

/** The landmark net's input side. */
const landmarkSize = 112

/** The faces in an image, largest first, in the image's pixels. */
export async function detectFaces(image: RawImage): Promise<DetectedFace[]> {
  return detectFacesWith(image, defaultDetectSettings)
}

interface Candidate {
  frame: FaceFrame
  /** The detector's box, in photo pixels, upright in the frame's turn. */
  width: number
  height: number
  score: number
}

/** `detectFaces` with the settings given. */
export async function detectFacesWith(image: RawImage, settings: DetectSettings): Promise<DetectedFace[]> {
  const nets = await faceNets([settings.detector === 'ssd' ? 'ssd_mobilenetv1_model' : 'tiny_face_detector_model', 'face_landmark_68_model'])
  // the largest copy from the photo, each smaller one from the copy before it: one pass over a
  // 24 MP photo instead of one per size
  const copies: SmallCopy[] = new Array(settings.inputSizes.length)
  let from: SmallCopy = { image, scale: 1 }
  for (const i of settings.inputSizes.map((_, k) => k).sort((a, b) => settings.inputSizes[b] - settings.inputSizes[a])) {
    const copy = await detectionCopy(from.image, settings.inputSizes[i])
    copies[i] = from = { image: copy.image, scale: image.width / copy.image.width }
  }
  const find = async (angle: number) => {
    const found: Candidate[] = []
    for (const [i, copy] of copies.entries()) found.push(...(await findBoxes(nets, copy, angle, settings.inputSizes[i], settings)))
    return suppressOverlaps(found, (c) => [c.frame.cx - c.width / 2, c.frame.cy - c.height / 2, c.width, c.height])
  }
  let candidates = await find(0)
  for (const degrees of settings.turnedPasses) {
    if (candidates.length > 0) break
    candidates = await find((degrees * Math.PI) / 180)
  }
  if (candidates.length === 0) return []
  const faces = await refineLandmarks(nets, image, candidates)
  return suppressOverlaps(faces, (f) => f.box).sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])
}

/** A copy of `image` as RGB with its long side at most `longSide`, and its scale to the photo. */
interface SmallCopy {
  image: RawImage
  /** Photo pixels per copy pixel. */
  scale: number
}

async function detectionCopy(image: RawImage, longSide: number): Promise<SmallCopy> {
  const scale = Math.max(1, Math.max(image.width, image.height) / longSide)
  const width = Math.max(1, Math.round(image.width / scale))
  const height = Math.max(1, Math.round(image.height / scale))
  const input = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength)
  let pipeline = sharp(input, { raw: { width: image.width, height: image.height, channels: image.channels } })
  if (scale > 1) pipeline = pipeline.resize(width, height, { fit: 'fill' })
  if (image.channels === 4) pipeline = pipeline.removeAlpha()
  if (image.channels === 1) pipeline = pipeline.toColourspace('srgb')
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true })
  if (info.channels !== 3) throw new Error(`detection copy has ${info.channels} channels, 3 expected`)
  return { image: { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, scale: image.width / info.width }
}

/** The detector's boxes on the small copy turned by `angle`, as frames on the photo. */
async function findBoxes(nets: FaceNets, small: SmallCopy, angle: number, inputSize: number, settings: DetectSettings): Promise<Candidate[]> {
  const { faceapi, tf } = nets
  let view = small.image
  // the turned copy: the small copy seen through a frame turned by `angle` around its centre,
  // big enough to hold all of it
  const cos = Math.abs(Math.cos(angle))
  const sin = Math.abs(Math.sin(angle))
  const side = Math.ceil(Math.max(view.width * cos + view.height * sin, view.width * sin + view.height * cos))
  const turned: FaceFrame = { cx: view.width / 2, cy: view.height / 2, side, angle }
  if (angle !== 0) view = { width: side, height: side, channels: 3, data: warpFrame(view, turned, side) }
  const input = tf.tensor3d(view.data, [view.height, view.width, 3], 'int32')
  try {
    const found =
      settings.detector === 'tiny'
        ? await faceapi.nets.tinyFaceDetector.locateFaces(input as never, new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: settings.minScore }))
        : await faceapi.nets.ssdMobilenetv1.locateFaces(input as never, new faceapi.SsdMobilenetv1Options({ minConfidence: settings.minScore, maxResults: 100 }))
    return found.map((detection) => {
      const { x, y, width, height } = detection.box
      let centre: Point = [x + width / 2, y + height / 2]
      if (angle !== 0) centre = frameToImage(turned, side, centre)
      const s = small.scale
      return {
        frame: { cx: centre[0] * s, cy: centre[1] * s, side: Math.max(width, height) * s, angle },
        width: width * s,
        height: height * s,
        score: detection.score,
      }
    })
  } finally {
    input.dispose()
  }
}

/** The 68 landmarks of each frame, in photo pixels. */
async function landmarks68(nets: FaceNets, image: RawImage, frames: FaceFrame[]): Promise<Point[][]> {
  const { faceapi, tf } = nets
  const inputs = frames.map((frame) => tf.tensor3d(warpFrame(image, frame, landmarkSize), [landmarkSize, landmarkSize, 3], 'int32'))
  try {
    const result = await faceapi.nets.faceLandmark68Net.detectLandmarks(inputs as never)
    const all = Array.isArray(result) ? result : [result]
    return all.map((marks, i) => marks.positions.map((p) => frameToImage(frames[i], landmarkSize, [p.x, p.y])))
  } finally {
    for (const input of inputs) input.dispose()
  }
}

/** Left eye, right eye, nose tip, mouth corners from face-api's 68 points. */
export function fivePoints(points: readonly Point[]): Point[] {
  const mean = (from: number, to: number): Point => {
    let x = 0
    let y = 0
    for (let i = from; i <= to; i++) {
      x += points[i][0]
      y += points[i][1]
    }
    return [x / (to - from + 1), y / (to - from + 1)]
  }
  return [mean(36, 41), mean(42, 47), points[30], points[48], points[54]]
}

/** The face's turn from its eyes: the angle of the line from the left eye to the right eye. */
function roll(five: readonly Point[]): number {
  return Math.atan2(five[1][1] - five[0][1], five[1][0] - five[0][0])
}

/**
 * The square the landmark net sees best, from a face's five points: the net was trained on
 * SSD-style boxes, which measured on 55 upright UTKFace faces lie 2.35 eye-to-mouth distances
 * wide, centred 0.075 of that distance above the middle between the eyes' and the mouth's
 * midpoints. The eye distance stands in where it is the longer (a face tipped back).
 */
function landmarkFrame(five: readonly Point[]): FaceFrame {
  const eyes: Point = [(five[0][0] + five[1][0]) / 2, (five[0][1] + five[1][1]) / 2]
  const mouth: Point = [(five[3][0] + five[4][0]) / 2, (five[3][1] + five[4][1]) / 2]
  const down = Math.hypot(mouth[0] - eyes[0], mouth[1] - eyes[1])
  const across = Math.hypot(five[1][0] - five[0][0], five[1][1] - five[0][1])
  const unit = Math.max(down, across / 0.955)
  const angle = roll(five)
  const shift = 0.075 * down
  return {
    cx: (eyes[0] + mouth[0]) / 2 + Math.sin(angle) * shift,
    cy: (eyes[1] + mouth[1]) / 2 - Math.cos(angle) * shift,
    side: 2.35 * unit,
    angle,
  }
}

/** Whether the landmark net should look again: the square is turned, sized or placed off the face. */
function framedOff(frame: FaceFrame, wanted: FaceFrame): boolean {
  return (
    Math.abs(angleBetween(frame.angle, wanted.angle)) > (3 * Math.PI) / 180 ||
    Math.abs(frame.side / wanted.side - 1) > 0.1 ||
    Math.hypot(frame.cx - wanted.cx, frame.cy - wanted.cy) > 0.05 * wanted.side
  )
}

async function refineLandmarks(nets: FaceNets, image: RawImage, candidates: Candidate[]): Promise<DetectedFace[]> {
  let frames = candidates.map((c) => c.frame)
  let five = (await landmarks68(nets, image, frames)).map(fivePoints)
  // Again, on a square turned upright by the eyes and framed by the points found, while the
  // square the net saw was off by more than a few degrees (or 10 % in size or 5 % in place).
  for (let pass = 0; pass < 2; pass++) {
    const wanted = five.map(landmarkFrame)
    const redo = frames.map((frame, i) => framedOff(frame, wanted[i]))
    if (!redo.includes(true)) break
    const again = wanted.filter((_, i) => redo[i])
    const marks = (await landmarks68(nets, image, again)).map(fivePoints)
    let next = 0
    frames = frames.map((frame, i) => (redo[i] ? again[next++] : frame))
    next = 0
    five = five.map((points, i) => (redo[i] ? marks[next++] : points))
  }
  // A box on no face (a pattern in the clutter) gives points that gather in a corner of it
  // or run past it: the face the points describe must be about as big as the box.
  return candidates.flatMap((c, i) => {
    const ratio = landmarkFrame(five[i]).side / Math.max(c.width, c.height)
    if (!(ratio > 0.4 && ratio < 2.5)) return []
    return [{ box: [c.frame.cx - c.width / 2, c.frame.cy - c.height / 2, c.width, c.height] as DetectedFace['box'], score: c.score, landmarks: five[i] }]
  })
}

function angleBetween(a: number, b: number): number {
  return Math.atan2(Math.sin(a - b), Math.cos(a - b))
}

function overlap(a: DetectedFace['box'], b: DetectedFace['box']): number {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0])
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1])
  if (w <= 0 || h <= 0) return 0
  return (w * h) / (a[2] * a[3] + b[2] * b[3] - w * h)
}

/** Non-maximum suppression: of boxes overlapping by more than 0.4 (IoU), the best scored stays. */
function suppressOverlaps<T extends { score: number }>(faces: T[], box: (face: T) => DetectedFace['box']): T[] {
  const kept: T[] = []
  for (const face of [...faces].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => overlap(box(k), box(face)) <= 0.4)) kept.push(face)
  }
  return kept
}

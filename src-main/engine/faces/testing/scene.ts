// Photos with faces at known places, for the detector's tests and its eval: a busy canvas
// (blurred texture, shapes, noise; no faces) with UTKFace faces pasted in, scaled and turned,
// and the map from each face's own pixels to the canvas, so landmarks found on the upright
// face give the truth on the canvas.
import sharp from 'sharp'
import type { RawImage } from '../../api.js'
import type { Point } from '../faceWarp.js'

/** A small deterministic generator (LCG), so every run builds the same scenes. */
export function random(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** A JPEG/PNG decoded to RGB. */
export async function decodeRgb(bytes: Buffer | string): Promise<RawImage> {
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true })
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
}

/** A width x height RGB clutter: a blurred random texture, rectangles, discs and lines, pixel noise. */
export function clutter(width: number, height: number, seed: number): RawImage {
  const rand = random(seed)
  const data = new Uint8Array(width * height * 3)
  // texture: a coarse random grid, bilinearly enlarged
  const cell = Math.max(8, Math.round(Math.min(width, height) / 24))
  const gw = Math.ceil(width / cell) + 2
  const gh = Math.ceil(height / cell) + 2
  const grid = Float32Array.from({ length: gw * gh * 3 }, () => 40 + rand() * 180)
  for (let y = 0; y < height; y++) {
    const gy = y / cell
    const y0 = Math.floor(gy)
    const ay = gy - y0
    for (let x = 0; x < width; x++) {
      const gx = x / cell
      const x0 = Math.floor(gx)
      const ax = gx - x0
      for (let c = 0; c < 3; c++) {
        const at = (i: number, j: number) => grid[((y0 + j) * gw + x0 + i) * 3 + c]
        const v = (1 - ay) * ((1 - ax) * at(0, 0) + ax * at(1, 0)) + ay * ((1 - ax) * at(0, 1) + ax * at(1, 1))
        data[(y * width + x) * 3 + c] = v
      }
    }
  }
  const scale = Math.min(width, height)
  for (let n = 0; n < 40; n++) {
    const colour = [rand() * 255, rand() * 255, rand() * 255]
    const kind = rand()
    const cx = rand() * width
    const cy = rand() * height
    const r = (0.02 + rand() * 0.12) * scale
    const r2 = (0.02 + rand() * 0.12) * scale
    const x0 = Math.max(0, Math.floor(cx - r))
    const x1 = Math.min(width, Math.ceil(cx + r))
    const y0 = Math.max(0, Math.floor(cy - r2))
    const y1 = Math.min(height, Math.ceil(cy + r2))
    const slope = rand() * 2 - 1
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const dx = (x - cx) / r
        const dy = (y - cy) / r2
        const inside = kind < 0.4 ? true : kind < 0.8 ? dx * dx + dy * dy <= 1 : Math.abs(dy * r2 - slope * dx * r) < 3
        if (!inside) continue
        const at = (y * width + x) * 3
        for (let c = 0; c < 3; c++) data[at + c] = colour[c]
      }
    }
  }
  for (let i = 0; i < data.length; i++) data[i] = Math.max(0, Math.min(255, data[i] + (rand() - 0.5) * 24))
  return { width, height, channels: 3, data }
}

/** Where a face goes: its centre on the canvas, its side there, its turn (degrees, clockwise on screen). */
export interface Placement {
  cx: number
  cy: number
  size: number
  degrees: number
}

/** The canvas point of the face's point `p` (face pixels) under `place`. */
export function placedPoint(face: RawImage, place: Placement, [u, v]: Point): Point {
  const k = place.size / face.width
  const a = (place.degrees * Math.PI) / 180
  const x = (u - face.width / 2) * k
  const y = (v - face.height / 2) * k
  return [place.cx + Math.cos(a) * x - Math.sin(a) * y, place.cy + Math.sin(a) * x + Math.cos(a) * y]
}

/** Pastes the (square, RGB) `face` into `canvas` at `place`, bilinear, its edges feathered over 3 px. */
export function pasteFace(canvas: RawImage, face: RawImage, place: Placement): void {
  const k = place.size / face.width
  const a = (place.degrees * Math.PI) / 180
  const cos = Math.cos(a)
  const sin = Math.sin(a)
  const reach = (place.size / 2) * Math.SQRT2 + 2
  const feather = 3 / k
  for (let y = Math.max(0, Math.floor(place.cy - reach)); y < Math.min(canvas.height, Math.ceil(place.cy + reach)); y++) {
    for (let x = Math.max(0, Math.floor(place.cx - reach)); x < Math.min(canvas.width, Math.ceil(place.cx + reach)); x++) {
      const dx = x + 0.5 - place.cx
      const dy = y + 0.5 - place.cy
      // face coordinates of the canvas pixel's centre
      const u = (cos * dx + sin * dy) / k + face.width / 2
      const v = (-sin * dx + cos * dy) / k + face.height / 2
      const edge = Math.min(u, v, face.width - u, face.height - v)
      if (edge <= 0) continue
      const alpha = Math.min(1, edge / feather)
      const fx = Math.min(face.width - 1, Math.max(0, u - 0.5))
      const fy = Math.min(face.height - 1, Math.max(0, v - 0.5))
      const x0 = Math.min(face.width - 2, Math.floor(fx))
      const y0 = Math.min(face.height - 2, Math.floor(fy))
      const ax = fx - x0
      const ay = fy - y0
      const at = (y * canvas.width + x) * canvas.channels
      for (let c = 0; c < 3; c++) {
        const p = (i: number, j: number) => face.data[((y0 + j) * face.width + x0 + i) * 3 + c]
        const value = (1 - ay) * ((1 - ax) * p(0, 0) + ax * p(1, 0)) + ay * ((1 - ax) * p(0, 1) + ax * p(1, 1))
        canvas.data[at + c] = Math.round(alpha * value + (1 - alpha) * canvas.data[at + c])
      }
    }
  }
}

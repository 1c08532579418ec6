// Cutting faces out of a photo for the landmark net: a turned square of the full-size photo
// resampled to the net's input size, and the way back from the square's pixels to the photo's.
import type { RawImage } from '../api.js'

export type Point = [number, number]

/** A square on the photo: its centre, its side in photo pixels, and its turn (radians, clockwise on screen). */
export interface FaceFrame {
  cx: number
  cy: number
  side: number
  angle: number
}

/** The photo point under the square's point (u, v), both in 0..size (pixel corners, not centres). */
export function frameToImage(frame: FaceFrame, size: number, [u, v]: Point): Point {
  const step = frame.side / size
  const x = (u - size / 2) * step
  const y = (v - size / 2) * step
  const cos = Math.cos(frame.angle)
  const sin = Math.sin(frame.angle)
  return [frame.cx + cos * x - sin * y, frame.cy + sin * x + cos * y]
}

/**
 * The square `frame` of `image` as `size` x `size` RGB, turned upright. Each output pixel is
 * the mean of k x k bilinear samples spread over the photo pixels it covers (k grows with the
 * shrink, up to 3), so a large face shrunk to the net's size is not aliased and a small face
 * keeps all the detail the photo has. Outside the photo is black, as face-api pads its crops.
 * Up to 6 x 6 samples took 25 ms per cut of a 1000 px face against 9-10 ms now, for the same
 * landmarks (face-eval: eye error 0.9 % mean, 1.5 % p90, 4 % max either way).
 */
export function warpFrame(image: RawImage, frame: FaceFrame, size: number): Uint8Array {
  const { width, height, channels, data } = image
  const out = new Uint8Array(size * size * 3)
  const step = frame.side / size
  const k = Math.max(1, Math.min(3, Math.ceil(step)))
  const cos = Math.cos(frame.angle) * step
  const sin = Math.sin(frame.angle) * step
  const rgb = [0, 0, 0]
  const sample = (x: number, y: number) => {
    // bilinear at photo coordinates (x, y), pixel centres at integer + 0.5
    const fx = x - 0.5
    const fy = y - 0.5
    const x0 = Math.floor(fx)
    const y0 = Math.floor(fy)
    const ax = fx - x0
    const ay = fy - y0
    for (let j = 0; j < 4; j++) {
      const px = x0 + (j & 1)
      const py = y0 + (j >> 1)
      if (px < 0 || py < 0 || px >= width || py >= height) continue
      const w = ((j & 1) === 1 ? ax : 1 - ax) * ((j >> 1) === 1 ? ay : 1 - ay)
      const at = (py * width + px) * channels
      if (channels === 1) {
        const g = data[at] * w
        rgb[0] += g
        rgb[1] += g
        rgb[2] += g
      } else {
        rgb[0] += data[at] * w
        rgb[1] += data[at + 1] * w
        rgb[2] += data[at + 2] * w
      }
    }
  }
  const half = size / 2
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      rgb[0] = rgb[1] = rgb[2] = 0
      for (let sv = 0; sv < k; sv++) {
        const dv = v + (sv + 0.5) / k - half
        for (let su = 0; su < k; su++) {
          const du = u + (su + 0.5) / k - half
          sample(frame.cx + cos * du - sin * dv, frame.cy + sin * du + cos * dv)
        }
      }
      const at = (v * size + u) * 3
      const n = k * k
      out[at] = Math.round(rgb[0] / n)
      out[at + 1] = Math.round(rgb[1] / n)
      out[at + 2] = Math.round(rgb[2] / n)
    }
  }
  return out
}

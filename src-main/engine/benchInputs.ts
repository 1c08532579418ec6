// The inputs every benchmark times edits on (bench.ts, benchSession.ts, models/tools/edit-timing.ts),
// so their figures compare.
import sharp from 'sharp'
import type { Mask } from './api.js'

/** A 512 px photo-like test image: smooth gradients with a few soft shapes, different per seed. */
export async function benchPhoto(seed: number): Promise<Buffer> {
  const size = 512
  const data = Buffer.alloc(size * size * 3)
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3
      const d = Math.hypot(x - 256 - seed * 20, y - 230) / 256
      data[i] = Math.round(200 - 120 * d + 30 * Math.sin((x + seed * 50) / 40))
      data[i + 1] = Math.round(160 - 90 * d + 20 * Math.cos(y / 35))
      data[i + 2] = Math.round(140 - 60 * d + seed * 30)
    }
  }
  return sharp(data, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer()
}

/** A square mask over a `resolution`-pixel photo, 25-40 % of its side, moved a little each run (a brush at work). */
export function squareMask(resolution: number, run: number): Mask {
  const data = new Uint8Array(resolution * resolution)
  const s = Math.round(resolution * (0.25 + 0.05 * (run % 4)))
  const x0 = Math.round(resolution * 0.2) + (run % 3)
  const y0 = Math.round(resolution * 0.3)
  for (let y = y0; y < Math.min(resolution, y0 + s); y++) for (let x = x0; x < Math.min(resolution, x0 + s); x++) data[y * resolution + x] = 255
  return { width: resolution, height: resolution, data }
}

/** A side x side mask with a disc of radius r at (cx, cy): a dab of the brush. */
export function disc(side: number, cx: number, cy: number, r: number): Mask {
  const data = new Uint8Array(side * side)
  for (let y = Math.max(0, cy - r); y < Math.min(side, cy + r); y++) for (let x = Math.max(0, cx - r); x < Math.min(side, cx + r); x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * side + x] = 255
  return { width: side, height: side, data }
}

/**
 * Resolves on the event loop's next turn. Requests reach the engine process as messages, so the
 * loop turns between them, and what the engine does on the next turn (such as the garbage
 * collection after a long render) happens then: benchmarks wait for it between timed renders.
 */
export const nextRequest = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

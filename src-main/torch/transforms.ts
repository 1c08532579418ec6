// Transforms the graph templates apply to a checkpoint tensor before it becomes a graph
// weight (template.json `transform`), written out here so no Python runs at import time.
import { EngineError } from '../engine/errors.js'

/**
 * smgan.layers.upsample_phase_weight: `blur(conv_transpose(x, weight * scale, stride 2))` as a
 * 3x3 conv with four outputs per channel (one per output pixel phase), for pixel_shuffle(., 2).
 * `weight` is [out, in, k, k] (k 1 or 3), `kernel` the 4x4 upsampling blur applied with leading
 * pad `pad0`. Along one axis the combined response is K[t] = sum_b kernel[b] * weight[t + b - pad0];
 * phase p at low-resolution position m reads inputs m-1, m, m+1 through rows (5, 3, 1) for
 * p = 0 and (6, 4, 2) for p = 1 of the 7x7 response. Result: [out * 4, in, 3, 3].
 */
export function upsamplePhase(weight: Float32Array, shape: readonly number[], kernel: Float32Array, scale: number, pad0: number): Float32Array {
  const [out, inCh, k, k2] = shape
  if (shape.length !== 4 || k !== k2 || kernel.length !== 16 || weight.length !== out * inCh * k * k) {
    throw new EngineError('E_CONVERT_TEMPLATE', `upsamplePhase needs a [out, in, k, k] weight and a 4x4 kernel, got [${shape.join(', ')}] and ${kernel.length} taps`)
  }
  const lead = 3 + pad0
  const s = Math.fround(scale)
  const taps = [
    [5, 3, 1],
    [6, 4, 2],
  ]
  // response[a][b] = sum over weight taps (y, x) of w[y][x] * kernel[y + lead - a][x + lead - b]
  const full = new Float64Array(49)
  const scaled = new Float64Array(k * k)
  const result = new Float32Array(out * 4 * inCh * 9)
  for (let o = 0; o < out; o++) {
    for (let i = 0; i < inCh; i++) {
      const base = (o * inCh + i) * k * k
      // torch scales in float32 before the blur
      for (let j = 0; j < k * k; j++) scaled[j] = Math.fround(weight[base + j] * s)
      full.fill(0)
      for (let a = 0; a < 7; a++) {
        for (let b = 0; b < 7; b++) {
          let sum = 0
          for (let y = 0; y < k; y++) {
            const u = y + lead - a
            if (u < 0 || u > 3) continue
            for (let x = 0; x < k; x++) {
              const v = x + lead - b
              if (v < 0 || v > 3) continue
              sum += scaled[y * k + x] * kernel[u * 4 + v]
            }
          }
          full[a * 7 + b] = sum
        }
      }
      for (let py = 0; py < 2; py++) {
        for (let px = 0; px < 2; px++) {
          const at = ((o * 4 + py * 2 + px) * inCh + i) * 9
          for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) result[at + r * 3 + c] = full[taps[py][r] * 7 + taps[px][c]]
        }
      }
    }
  }
  return result
}

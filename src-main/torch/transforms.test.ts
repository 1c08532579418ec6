// The TypeScript upsamplePhase against smgan.layers.upsample_phase_weight run by torch on the
// same random weights, for both kernel sizes the networks use (3x3 modulated convs and
// resizer convs, 1x1 skips are not upsampled this way but the function takes k = 1 too).
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../engine/testing/models.js'
import { python, torchUnavailable } from './testing/fixtures.js'
import { upsamplePhase } from './transforms.js'

const run = promisify(execFile)
const skip = await torchUnavailable()

const script = `
import json, sys, torch
from smgan.layers import upsample_phase_weight, blur_kernel_2d, _up_pads
torch.manual_seed(int(sys.argv[1]))
out_ch, in_ch, k = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
w = torch.randn(out_ch, in_ch, k, k)
kernel = torch.randn(4, 4) if sys.argv[5] == 'random' else blur_kernel_2d() * 4
scale = 1 / (in_ch * k * k) ** 0.5
pad0 = _up_pads(k)[0]
phase = upsample_phase_weight(w * scale, kernel, pad0)
print(json.dumps({"w": w.flatten().tolist(), "kernel": kernel.flatten().tolist(), "scale": scale, "pad0": pad0,
                  "shape": list(phase.shape), "phase": phase.flatten().tolist()}))
`

describe.skipIf(skip)('upsamplePhase', () => {
  it.each([
    { k: 3, kernel: 'blur', seed: 1 },
    { k: 3, kernel: 'random', seed: 2 },
    { k: 1, kernel: 'random', seed: 3 },
  ])('equals torch for k=$k with a $kernel kernel', async ({ k, kernel, seed }) => {
    const { stdout } = await run(python, ['-c', script, String(seed), '5', '7', String(k), kernel], { cwd: join(repoRoot, 'models'), maxBuffer: 1 << 24 })
    const ref = JSON.parse(stdout) as { w: number[]; kernel: number[]; scale: number; pad0: number; shape: number[]; phase: number[] }
    const got = upsamplePhase(Float32Array.from(ref.w), [5, 7, k, k], Float32Array.from(ref.kernel), ref.scale, ref.pad0)
    expect(ref.shape).toEqual([20, 7, 3, 3])
    expect(got.length).toBe(ref.phase.length)
    let worst = 0
    let scale = 0
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - ref.phase[i]))
      scale = Math.max(scale, Math.abs(ref.phase[i]))
    }
    expect(scale).toBeGreaterThan(0)
    expect(worst / scale).toBeLessThan(1e-6)
  }, 120_000)

  it('refuses a weight whose shape is not [out, in, k, k]', () => {
    expect(() => upsamplePhase(new Float32Array(6), [2, 3], new Float32Array(16), 1, 1)).toThrow(/upsamplePhase/)
  })
})

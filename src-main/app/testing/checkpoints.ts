// Checkpoints for download and import tests: the 64 px small-generator fixture in the released
// layout (g_ema, e_ema, raw networks, train_args), made by torch through models/smgan/fixtures.py,
// cached per process.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '../../engine/testing/models.js'

const run = promisify(execFile)
export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
const modelsRoot = join(repoRoot, 'models')

let cached: Promise<string> | null = null

/** A 64 px small-generator checkpoint (about 260 MB), made once per test process. */
export function smallCheckpoint(): Promise<string> {
  cached ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stylemap-checkpoint-'))
    const out = join(dir, 'small_64.pt')
    await run(python, ['-m', 'smgan.fixtures', 'checkpoint', '--size', '64', '--small-generator', '--out', out], { cwd: modelsRoot, timeout: 300_000 })
    return out
  })()
  return cached
}

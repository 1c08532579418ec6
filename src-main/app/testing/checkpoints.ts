// Checkpoints for download and import tests: the 64 px small-generator fixture in the released
// layout (g_ema, e_ema, raw networks, train_args), made by torch through models/smgan/fixtures.py,
// cached per process; and the Python converter wrapped as a CheckpointImporter, the reference
// importer tests use until importCheckpoint (src-main/torch) imports without Python.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '../../engine/testing/models.js'
import { EngineError } from '../../engine/errors.js'
import type { CheckpointImporter } from '../downloads.js'

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

/** The Python converter (models/smgan/convert.py) behind the importer's interface; its E_* line becomes the error. */
export const pythonImporter: CheckpointImporter = async (checkpoint, out, options = {}) => {
  const args = ['-m', 'smgan.convert', '--checkpoint', checkpoint, '--out', out]
  for (const key of ['id', 'name', 'license', 'domain', 'source'] as const) {
    const value = options[key]
    if (value !== undefined) args.push(`--${key}`, value)
  }
  if (options.alignment) args.push('--alignment', options.alignment)
  if (options.force) args.push('--force')
  if (options.default) args.push('--default')
  const started = Date.now()
  options.onProgress?.(0, 'convert')
  try {
    const { stdout } = await run(python, args, { cwd: modelsRoot, timeout: 600_000, maxBuffer: 1 << 24 })
    options.onProgress?.(1, 'convert')
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { out?: string }
    const manifest: unknown = JSON.parse(await readFile(join(summary.out ?? out, 'model.json'), 'utf8'))
    return { dir: summary.out ?? out, manifest, seconds: { total: (Date.now() - started) / 1000 } }
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '')
    const line = /^(E_[A-Z0-9_]+): (.*)$/m.exec(stderr)
    if (line) throw new EngineError(line[1] as `E_${string}`, line[2])
    throw error
  }
}

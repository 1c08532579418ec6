// The model folder tests run on: the committed default model when it exists, otherwise a
// random-weight 64 px model exported by the project's own Python exporter, cached under
// node_modules/.cache/stylemap-test-models/ (keyed by the exporter's sources).
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

export const repoRoot = resolve(fileURLToPath(new URL('../../../', import.meta.url)))
export const modelsRoot = join(repoRoot, 'models')
export const defaultModelDir = join(modelsRoot, 'utkface-64')

/** What the random model is exported with; its --id/--name are what the model list shows. */
const exportArgs = ['--random', '--size', '64', '--channel-cap', '64', '--small-generator', '--id', 'random-64', '--name', 'Random weights 64 px (tests)']
/** A random model with the full generator (style channels per level, not the stylemap's): 32 channels everywhere. */
const wideExportArgs = ['--random', '--size', '64', '--channel-cap', '32', '--id', 'random-64-wide', '--name', 'Random weights 64 px, full generator (tests)']

async function exporterKey(exportArgs: string[]): Promise<string> {
  const dir = join(modelsRoot, 'smgan')
  const hash = createHash('sha256')
  // the arguments are part of the key, so a model cached with other ones is built again
  hash.update(exportArgs.join('\0'))
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.py')).sort()) {
    hash.update(name)
    hash.update(await readFile(join(dir, name)))
  }
  return hash.digest('hex').slice(0, 16)
}

const pending = new Map<string, Promise<string>>()

/** A random-weight 64 px model folder built with `python3 -m smgan.export --random` (cached). */
export function randomTestModelDir(): Promise<string> {
  return cachedExport('random-64', exportArgs)
}

/** The same with the full (not small) generator, capped at 32 channels (cached). */
export function randomWideTestModelDir(): Promise<string> {
  return cachedExport('random-64-wide', wideExportArgs)
}

function cachedExport(name: string, exportArgs: string[]): Promise<string> {
  const existing = pending.get(name)
  if (existing) return existing
  const job = (async () => {
    const cacheRoot = join(repoRoot, 'node_modules', '.cache', 'stylemap-test-models')
    const dir = join(cacheRoot, `${name}-${await exporterKey(exportArgs)}`)
    if (existsSync(join(dir, 'model.json'))) return dir
    await mkdir(cacheRoot, { recursive: true })
    const temp = `${dir}.tmp-${process.pid}`
    await rm(temp, { recursive: true, force: true })
    // --out is a temporary folder: without --id the exporter would name the model after it
    const args = ['-m', 'smgan.export', ...exportArgs, '--out', temp]
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'
    try {
      await run(python, args, { cwd: modelsRoot, timeout: 600_000, maxBuffer: 16 << 20 })
    } catch (e) {
      const err = e as { stderr?: string; message: string }
      throw new Error(`could not build the random test model (${python} ${args.join(' ')}): ${(err.stderr || err.message).trim().split('\n').slice(-3).join(' | ')}`, { cause: e })
    }
    // another process may have finished first; both results are equivalent
    if (!existsSync(join(dir, 'model.json'))) await rename(temp, dir).catch(() => undefined)
    await rm(temp, { recursive: true, force: true })
    return dir
  })()
  pending.set(name, job)
  job.catch(() => pending.delete(name))
  return job
}

/** The model folder tests use: models/utkface-64 if present, else the cached random model. */
export async function testModelDir(): Promise<string> {
  if (existsSync(join(defaultModelDir, 'model.json'))) return defaultModelDir
  return randomTestModelDir()
}

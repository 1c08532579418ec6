// `stylemap convert`: turns a released StyleMapGAN checkpoint into a model folder. By default
// in TypeScript (src-main/torch/importCheckpoint.ts: graph templates filled with the
// checkpoint's weights, no Python needed); `--via python` hands it to the Python converter
// (models/smgan/convert.py), whose exit code passes through and whose one-line failures get
// the `stylemap: ` prefix every other command's failures have.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { EngineError, engineErrorCodes } from '../engine/errors.js'
import { importCheckpoint } from '../torch/importCheckpoint.js'
import { folderVersion, upgradeFolder } from '../torch/upgradeFolder.js'
import { parseCommand } from './args.js'

const installHint = "install them with 'apt-get install python3-torch python3-onnx python3-numpy' or 'pip install torch onnx numpy'"

/** The first python (/usr/bin/python3, then python3 on PATH) that can import torch, onnx and numpy. */
export function findPython(candidates = ['/usr/bin/python3', 'python3']): string {
  const tried: string[] = []
  for (const python of candidates) {
    if (python.startsWith('/') && !existsSync(python)) {
      tried.push(`${python}: not installed`)
      continue
    }
    const probe = spawnSync(python, ['-c', 'import torch, onnx, numpy'], { encoding: 'utf8', timeout: 120_000 })
    if (probe.error) {
      tried.push(`${python}: ${(probe.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : probe.error.message}`)
      continue
    }
    if (probe.status === 0) return python
    const missing = /No module named '([^']+)'/.exec(probe.stderr ?? '')?.[1]
    tried.push(`${python}: ${missing ? `${missing} is missing` : 'cannot import torch/onnx/numpy'}`)
  }
  throw new EngineError(engineErrorCodes.pythonMissing, `no python with torch, onnx and numpy (${tried.join('; ')}); ${installHint}`)
}

/** Options whose values are paths: made absolute, since the converter runs with cwd models/. */
const pathOptions = new Set(['--checkpoint', '--out'])

export function absolutePaths(args: string[], cwd: string): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    const eq = arg.indexOf('=')
    if (eq > 0 && pathOptions.has(arg.slice(0, eq))) out.push(`${arg.slice(0, eq)}=${resolve(cwd, arg.slice(eq + 1))}`)
    else if (pathOptions.has(arg) && i + 1 < args.length) {
      out.push(arg, resolve(cwd, args[i + 1]))
      i++
    } else out.push(arg)
  }
  return out
}

/** Progress on a terminal's stderr, one line rewritten: "weights 42%". */
function terminalProgress(): ((fraction: number, stage: string) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  return (fraction, stage) => process.stderr.write(`\r${stage} ${Math.round(fraction * 100)}%   ${fraction >= 1 ? '\n' : ''}`)
}

/** A converter failure line, `E_CODE: message`. */
const failureLine = /^E_[A-Z0-9_]+: /

const valueOptions = ['checkpoint', 'out', 'id', 'name', 'license', 'domain', 'source', 'alignment', 'tolerance', 'via']
const flagOptions = ['default', 'force']

/**
 * `stylemap convert`: resolves with the exit code. The TypeScript path prints one JSON summary
 * line on stdout and throws EngineError (E_CONVERT_*) on failure; --via python runs the Python
 * converter (stdout inherited, stderr passed on line by line).
 */
export async function runConvert(args: string[], modelsRoot: string): Promise<number> {
  const parsed = parseCommand(args, valueOptions, flagOptions)
  const checkpoint = parsed.single('checkpoint')
  const out = parsed.single('out')
  if (!checkpoint || !out) throw new EngineError(engineErrorCodes.badArgument, 'convert needs --checkpoint FILE --out DIR')
  const alignment = parsed.single('alignment') ?? 'auto'
  if (alignment !== 'auto' && alignment !== 'ffhq' && alignment !== 'none') throw new EngineError(engineErrorCodes.badArgument, '--alignment is auto, ffhq or none')
  const via = parsed.single('via') ?? 'typescript'
  if (via === 'python') return runPythonConvert(args.filter((a, i) => !(a === '--via' || a.startsWith('--via=') || args[i - 1] === '--via')), modelsRoot)
  if (via !== 'typescript') throw new EngineError(engineErrorCodes.badArgument, '--via is typescript (the default) or python')
  if (parsed.single('tolerance') !== undefined) throw new EngineError(engineErrorCodes.badArgument, '--tolerance is an option of --via python (its PyTorch parity check)')
  const result = await importCheckpoint(resolve(checkpoint), resolve(out), {
    id: parsed.single('id'),
    name: parsed.single('name'),
    license: parsed.single('license'),
    domain: parsed.single('domain'),
    source: parsed.single('source'),
    default: parsed.flag('default'),
    force: parsed.flag('force'),
    alignment,
    onProgress: terminalProgress(),
  })
  const manifest = result.manifest as { id: string; resolution: number }
  process.stdout.write(
    `${JSON.stringify({ out, id: manifest.id, resolution: manifest.resolution, via: 'typescript', maxRelativeError: result.check?.maxRelativeError ?? null, cases: result.check?.cases ?? 0, seconds: result.seconds, peakRssMiB: result.peakRssMiB })}\n`,
  )
  return 0
}

/** Runs the Python converter; resolves with its exit code (stdout inherited, stderr passed on line by line). */
async function runPythonConvert(args: string[], modelsRoot: string): Promise<number> {
  const python = findPython()
  const child = spawn(python, ['-m', 'smgan.convert', ...absolutePaths(args, process.cwd())], { cwd: modelsRoot, stdio: ['inherit', 'inherit', 'pipe'] })
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`${failureLine.test(line) ? 'stylemap: ' : ''}${line}\n`))
  return new Promise((resolveCode) => {
    child.on('error', () => resolveCode(1))
    // 'close' comes after stderr has ended, so every line is written before the CLI exits
    child.on('close', (code, signal) => resolveCode(code ?? (signal ? 1 : 0)))
  })
}

/**
 * `stylemap upgrade --model DIR [--check]`: brings a model folder imported by an earlier version
 * to today's graphs (src-main/torch/upgradeFolder.ts) and prints one JSON line; with --check it
 * only says where the folder stands. Failures are EngineErrors (E_UPGRADE_*).
 */
export async function runUpgrade(args: string[]): Promise<number> {
  const parsed = parseCommand(args, ['model'], ['check'])
  const dir = parsed.single('model')
  if (!dir) throw new EngineError(engineErrorCodes.badArgument, 'upgrade needs --model DIR (the model folder to bring to today\'s graphs)')
  if (parsed.flag('check')) {
    process.stdout.write(`${JSON.stringify({ dir: resolve(dir), ...(await folderVersion(resolve(dir))) })}\n`)
    return 0
  }
  const result = await upgradeFolder(resolve(dir), { onProgress: terminalProgress() })
  process.stdout.write(`${JSON.stringify(result)}\n`)
  return 0
}

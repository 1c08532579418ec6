// `stylemap convert`: hands the checkpoint to the Python converter (models/smgan/convert.py),
// which owns the E_CONVERT_* codes; its exit code passes through, and its one-line failures
// get the `stylemap: ` prefix every other command's failures have.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { EngineError, engineErrorCodes } from '../engine/errors.js'

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

/** A converter failure line, `E_CODE: message`. */
const failureLine = /^E_[A-Z0-9_]+: /

/** Runs the converter; resolves with its exit code (stdout inherited, stderr passed on line by line). */
export async function runConvert(args: string[], modelsRoot: string): Promise<number> {
  if (!args.includes('--checkpoint') && !args.some((a) => a.startsWith('--checkpoint='))) {
    throw new EngineError(engineErrorCodes.badArgument, 'convert needs --checkpoint FILE --out DIR')
  }
  const python = findPython()
  const child = spawn(python, ['-m', 'smgan.convert', ...absolutePaths(args, process.cwd())], { cwd: modelsRoot, stdio: ['inherit', 'inherit', 'pipe'] })
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`${failureLine.test(line) ? 'stylemap: ' : ''}${line}\n`))
  return new Promise((resolveCode) => {
    child.on('error', () => resolveCode(1))
    // 'close' comes after stderr has ended, so every line is written before the CLI exits
    child.on('close', (code, signal) => resolveCode(code ?? (signal ? 1 : 0)))
  })
}

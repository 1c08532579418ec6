// Test checkpoints for the reader, made by torch itself through
// models/tools/make_test_checkpoint.py. The tests skip (with the reason) where no python with
// torch is installed.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '../../engine/testing/models.js'

const run = promisify(execFile)
const helper = join(repoRoot, 'models', 'tools', 'make_test_checkpoint.py')
export const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

/** Why checkpoints cannot be made here (no python, no torch), or null when they can. */
export async function torchUnavailable(): Promise<string | null> {
  try {
    await run(python, ['-c', 'import torch'], { timeout: 120_000 })
    return null
  } catch (e) {
    const err = e as { stderr?: string; message: string }
    return `no python with torch (${python}): ${(err.stderr || err.message).trim().split('\n').pop()}`
  }
}

/** Runs the helper (`fixtures`, `rezip`, `big`) with its arguments. */
export async function makeCheckpoints(...args: string[]): Promise<void> {
  await run(python, [helper, ...args], { cwd: repoRoot, timeout: 600_000, maxBuffer: 1 << 24 })
}

/** What models/tools/make_test_checkpoint.py writes to expected.json. */
export interface ExpectedTensor {
  key: string
  dtype: string
  shape: number[]
  stride: number[]
  storage_offset: number
  values: number[]
}

export interface Expected {
  keys: string[]
  train_args: Record<string, unknown>
  train_args_order: string[]
  tensors: Record<'g_ema' | 'e_ema', ExpectedTensor[]>
}

// Runs the real `stylemap` CLI (bin/stylemap.mjs) as a child process, as a user would, and
// checks the shape of a failure: one stderr line with a stable code, exit code 1..125, no stack.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { expect } from 'vitest'
import { repoRoot } from '../../engine/testing/models.js'

const run = promisify(execFile)

export interface CliOutcome {
  code: number
  stdout: string
  stderr: string
}

export async function runCli(args: string[], options: { cwd?: string; timeout?: number } = {}): Promise<CliOutcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(repoRoot, 'bin', 'stylemap.mjs'), ...args], {
      cwd: options.cwd ?? repoRoot,
      maxBuffer: 1 << 24,
      timeout: options.timeout ?? 0,
    })
    return { code: 0, stdout, stderr }
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}

export function expectCleanFailure(result: CliOutcome, code: string, what: string): void {
  expect(result.code, `${what}: exit code`).toBeGreaterThanOrEqual(1)
  expect(result.code, `${what}: exit code`).toBeLessThanOrEqual(125)
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines, `${what}: stderr ${result.stderr}`).toHaveLength(1)
  expect(lines[0], what).toContain(code)
  expect(result.stderr, what).not.toMatch(/^\s+at /m)
  expect(result.stderr, what).not.toContain('Traceback')
}

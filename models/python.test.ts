// Runs the Python unit tests of the model code (layer folding, released key layout).
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

it('Python model tests pass', async () => {
  const { stderr } = await promisify(execFile)('/usr/bin/python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
    cwd: path.join(import.meta.dirname),
  })
  // unittest reports on stderr, ending with OK
  expect(stderr).toMatch(/\nOK\s*$/)
  // 29 tests, the 64 and 128 px training smoke runs among them: 453 s here with other work running
}, 1_500_000)

// A child's peak memory is its own, not its parent's (the reason peakRss.ts reads VmHWM).
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { peakRssMiB } from './peakRss.js'
import { childExecArgv } from './spawn.js'

const module = fileURLToPath(new URL('./peakRss.ts', import.meta.url))

describe('peakRssMiB', () => {
  it('grows when this process touches memory', () => {
    const before = peakRssMiB()
    const held = new Float64Array((200 * 2 ** 20) / 8).fill(1)
    expect(peakRssMiB()).toBeGreaterThanOrEqual(before + 150)
    expect(held[7]).toBe(1)
  })

  it.runIf(process.platform === 'linux')('in a child started by a process holding 600 MB, is the child\'s own (getrusage would carry the parent\'s)', async () => {
    const held = new Float64Array((600 * 2 ** 20) / 8).fill(1)
    expect(peakRssMiB()).toBeGreaterThan(600)
    const script = `import(${JSON.stringify(module)}).then((m) => console.log(m.peakRssMiB()))`
    const { stdout } = await promisify(execFile)(process.execPath, [...childExecArgv(module), '--input-type=module', '-e', script])
    // (on this machine's kernel getrusage's maxRSS in the same child reads over 600)
    expect(Number(stdout)).toBeLessThan(300)
    expect(held[3]).toBe(1)
  }, 60_000)
})

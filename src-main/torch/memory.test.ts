// Streaming, measured: reading g_ema, e_ema and train_args from a checkpoint that also holds a
// 300 MB optimiser tensor must not cost the process that tensor's size in memory. The read
// runs in a child process so the peak RSS is the reader's, not the test runner's; reading
// the large entry too is the control that shows the measurement would see it.
import { execFile } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { makeCheckpoints, torchUnavailable } from './testing/fixtures.js'

const run = promisify(execFile)
const skipReason = await torchUnavailable()
const extraMb = 300
const probe = path.join(import.meta.dirname, 'testing', 'measureRead.ts')

interface Measured {
  beforeKiB: number
  afterKiB: number
  tensorBytes: number
  ms: number
}

async function measure(file: string, keys: string[]): Promise<Measured> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, file, ...keys], { maxBuffer: 1 << 20, timeout: 300_000 })
  return JSON.parse(stdout.trim().split('\n').pop() as string) as Measured
}

describe.skipIf(skipReason !== null)(`reading g_ema/e_ema beside a ${extraMb} MB tensor`, () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stylemap-torch-reader-big-'))
  })
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it.each(['zip', 'legacy'])('%s layout: peak RSS grows by far less than the unrequested data', async (layout) => {
    const file = path.join(dir, `big-${layout}.pt`)
    await makeCheckpoints('big', '--out', file, '--layout', layout, '--extra-mb', String(extraMb))
    const size = (await stat(file)).size
    const wanted = await measure(file, ['g_ema', 'e_ema', 'train_args'])
    const control = await measure(file, ['g_ema', 'e_ema', 'train_args', 'g_optim'])
    const mib = (kib: number) => (kib / 1024).toFixed(1)
    console.log(
      `${layout}: file ${(size / 2 ** 20).toFixed(1)} MiB; g_ema+e_ema+train_args: peak RSS ${mib(wanted.beforeKiB)} -> ${mib(wanted.afterKiB)} MiB ` +
        `(+${mib(wanted.afterKiB - wanted.beforeKiB)}), ${wanted.tensorBytes} tensor bytes, ${wanted.ms.toFixed(0)} ms; ` +
        `control with g_optim: ${mib(control.beforeKiB)} -> ${mib(control.afterKiB)} MiB (+${mib(control.afterKiB - control.beforeKiB)}), ${control.ms.toFixed(0)} ms`,
    )
    expect(size).toBeGreaterThan(extraMb * 2 ** 20)
    expect(wanted.afterKiB - wanted.beforeKiB).toBeLessThan(32 * 1024)
    // the control loads the 300 MB tensor and the measurement sees it (pages the runtime had
    // already touched before the read make the growth a little less than the tensor)
    expect(control.afterKiB - control.beforeKiB).toBeGreaterThan(0.9 * extraMb * 1024)
    await rm(file)
  })
})

// `stylemap download` as a child process, downloading from a local HTTP server in this test.
// The import is the default one, in TypeScript (importCheckpoint).
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { htmlPage, startCheckpointServer, type CheckpointServer } from '../app/testing/checkpointServer.js'
import { smallCheckpoint } from '../app/testing/checkpoints.js'
import { expectCleanFailure, runCli } from './testing/runCli.js'

let server: CheckpointServer
let work: string
let checkpoint: Uint8Array

const cli = (...args: string[]) => runCli(args, { cwd: work, timeout: 600_000 })

beforeAll(async () => {
  server = await startCheckpointServer()
  work = await mkdtemp(join(tmpdir(), 'stylemap-cli-download-'))
  checkpoint = await readFile(await smallCheckpoint())
}, 300_000)
afterAll(async () => {
  await server.close()
  await rm(work, { recursive: true, force: true })
})

describe('stylemap download', () => {
  it('downloads (resuming after a broken connection), imports into --out and keeps the checkpoint when asked', async () => {
    const half = Math.floor(checkpoint.length / 2)
    server.serve('/small_64.pt', { bytes: checkpoint, interruptOnceAt: half })
    const result = await cli('download', '--url', server.url('/small_64.pt'), '--out', 'faces', '--keep-checkpoint', '--id', 'faces-64')
    expect(result.code, result.stderr).toBe(0)
    const summary = JSON.parse(result.stdout.trim().split('\n').pop()!)
    expect(summary).toMatchObject({ out: join(work, 'faces'), id: 'faces-64', resolution: 64, bytes: checkpoint.length, resumes: 1, checkpoint: join(work, 'faces.pt') })
    expect(server.requests.filter((r) => r.path === '/small_64.pt').map((r) => [r.status, r.range])).toEqual([
      [200, null],
      [206, `bytes=${half}-`],
    ])
    // progress on stderr: percentages that end at 100, the resume, then the import
    expect(result.stderr).toMatch(/downloading small_64\.pt: 100% \(\d+ MB of \d+ MB\), resumed at/)
    expect(result.stderr).toMatch(/importing small_64\.pt/)
    const manifest = JSON.parse(await readFile(join(work, 'faces', 'model.json'), 'utf8'))
    expect(manifest).toMatchObject({ id: 'faces-64', resolution: 64 })
    expect(Buffer.from(await readFile(join(work, 'faces.pt'))).equals(Buffer.from(checkpoint))).toBe(true)
    expect(existsSync(join(work, 'faces.pt.part'))).toBe(false)
  }, 600_000)

  it('a web page instead of the file: E_DOWNLOAD_NOT_CHECKPOINT (exit 10), advice to use a browser, nothing left', async () => {
    server.serve('/uc', { bytes: htmlPage, type: 'text/html; charset=utf-8' })
    const result = await cli('download', '--url', server.url('/uc'), '--out', 'page')
    expectCleanFailure(result, 'E_DOWNLOAD_NOT_CHECKPOINT', 'html')
    expect(result.code).toBe(10)
    expect(result.stderr).toMatch(/web browser/)
    expect((await readdir(work)).filter((name) => name.startsWith('page'))).toEqual([])
  })

  it('a cut checkpoint: E_DOWNLOAD_NOT_CHECKPOINT, no folder and no file left', async () => {
    server.serve('/cut.pt', { bytes: checkpoint.subarray(0, 5_000_000) })
    const result = await cli('download', '--url', server.url('/cut.pt'), '--out', 'cut', '--keep-checkpoint')
    expect(result.code).toBe(10)
    expect(result.stderr).toMatch(/stylemap: E_DOWNLOAD_NOT_CHECKPOINT: cut\.pt is cut off/)
    expect((await readdir(work)).filter((name) => name.startsWith('cut'))).toEqual([])
  })

  it('a 404: E_DOWNLOAD_HTTP (exit 9), nothing left', async () => {
    const result = await cli('download', '--url', server.url('/missing.pt'), '--out', 'missing')
    expectCleanFailure(result, 'E_DOWNLOAD_HTTP', '404')
    expect(result.code).toBe(9)
    expect(result.stderr).toContain('404')
    expect((await readdir(work)).filter((name) => name.startsWith('missing'))).toEqual([])
  })

  it('refuses bad arguments before downloading anything', async () => {
    const before = server.requests.length
    await writeFile(join(work, 'afile'), 'x')
    await mkdir(join(work, 'full'))
    await writeFile(join(work, 'full', 'x'), 'x')
    for (const [args, what] of [
      [['download', '--out', 'x'], 'neither --url nor --dataset'],
      [['download', '--dataset', 'celeba_hq', '--url', server.url('/a.pt'), '--out', 'x'], 'both'],
      [['download', '--dataset', 'ffhq', '--out', 'x'], 'unknown data set'],
      [['download', '--url', 'file:///etc/passwd', '--out', 'x'], 'not http'],
      [['download', '--url', server.url('/a.pt'), '--out', 'afile'], '--out is a file'],
      [['download', '--url', server.url('/a.pt'), '--out', 'full'], '--out not empty'],
      [['download', '--url', server.url('/a.pt'), '--out', 'x', '--via', 'java'], '--via'],
    ] as const) {
      const result = await cli(...args)
      expectCleanFailure(result, 'E_BAD_ARGUMENT', what)
    }
    expect((await cli('download', '--dataset', 'ffhq', '--out', 'x')).stderr).toContain('celeba_hq, afhq, lsun_car, lsun_church')
    expect(server.requests.length).toBe(before)
    expect(existsSync(join(work, 'x'))).toBe(false)
  })
})

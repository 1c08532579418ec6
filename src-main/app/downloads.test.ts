// The downloader against a local HTTP server: resume with Range after a connection that
// breaks half-way, a server that ignores Range, web pages instead of the file, a cut
// checkpoint, a 404, a refused connection, no disk space, cancel.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ImportOptions } from '../torch/importCheckpoint'
import { checkCheckpoint, downloadModel, fetchFile, type CheckpointImporter, type ProgressReport } from './downloads'
import { htmlPage, startCheckpointServer, type CheckpointServer } from './testing/checkpointServer'
import { smallCheckpoint } from './testing/checkpoints'

let server: CheckpointServer
let work: string
const payload = new Uint8Array(randomBytes(3 * 1024 * 1024 + 17))
let n = 0
const fresh = () => join(work, `case-${++n}`)
/** A new empty folder for one case. */
const freshDir = async () => {
  const dir = fresh()
  await mkdir(dir)
  return dir
}

beforeAll(async () => {
  server = await startCheckpointServer()
  work = await mkdtemp(join(tmpdir(), 'stylemap-downloads-'))
})
afterAll(async () => {
  await server.close()
  await rm(work, { recursive: true, force: true })
})

const refusal = (promise: Promise<unknown>) => promise.then(
  () => {
    throw new Error('expected a refusal')
  },
  (error: { code: string; message: string }) => error,
)

describe('fetchFile', () => {
  it('resumes with Range where the broken connection stopped, and the file is whole', async () => {
    const half = Math.floor(payload.length / 2)
    server.serve('/flaky.pt', { bytes: payload, interruptOnceAt: half })
    const dir = fresh()
    const reports: ProgressReport[] = []
    const result = await fetchFile({ url: server.url('/flaky.pt'), dest: join(dir, 'flaky.pt'), retryDelayMs: 1, progressIntervalMs: 0, onProgress: (p) => reports.push(p) })
    expect(Buffer.from(await readFile(join(dir, 'flaky.pt'))).equals(Buffer.from(payload))).toBe(true)
    expect(result).toMatchObject({ bytes: payload.length, resumes: 1, restarts: 0 })
    const asked = server.requests.filter((r) => r.path === '/flaky.pt')
    expect(asked.map((r) => [r.status, r.range])).toEqual([
      [200, null],
      [206, `bytes=${half}-`],
    ])
    expect(existsSync(join(dir, 'flaky.pt.part'))).toBe(false)
    // the resumed attempt reports from where it started, and the last report is the whole file
    expect(reports.some((p) => p.resumedFrom === half && p.receivedBytes > half)).toBe(true)
    expect(reports.at(-1)).toMatchObject({ receivedBytes: payload.length, totalBytes: payload.length, fraction: 1 })
  })

  it('keeps the .part after an interruption it cannot retry, and the next download continues it', async () => {
    const half = 1024 * 1024
    server.serve('/later.pt', { bytes: payload, interruptOnceAt: half })
    const dir = fresh()
    const dest = join(dir, 'later.pt')
    const failure = await refusal(fetchFile({ url: server.url('/later.pt'), dest, retries: 0 }))
    expect(failure.code).toBe('E_DOWNLOAD_NETWORK')
    expect(failure.message).toMatch(/continues from there/)
    expect((await readFile(`${dest}.part`)).length).toBe(half)
    const result = await fetchFile({ url: server.url('/later.pt'), dest })
    expect(result.resumes).toBe(1)
    expect(Buffer.from(await readFile(dest)).equals(Buffer.from(payload))).toBe(true)
    expect(server.requests.filter((r) => r.path === '/later.pt').at(-1)).toEqual({ path: '/later.pt', range: `bytes=${half}-`, status: 206 })
  })

  it('starts again from byte 0 when the server answers a Range request with the whole file (200)', async () => {
    server.serve('/norange.pt', { bytes: payload, ignoreRange: true })
    const dir = await freshDir()
    const dest = join(dir, 'norange.pt')
    await writeFile(`${dest}.part`, payload.subarray(0, 1000).map((b) => b ^ 0xff))
    await fetchFile({ url: server.url('/norange.pt'), dest })
    expect(Buffer.from(await readFile(dest)).equals(Buffer.from(payload))).toBe(true)
    expect(server.requests.filter((r) => r.path === '/norange.pt')).toEqual([{ path: '/norange.pt', range: 'bytes=1000-', status: 200 }])
  })

  it('starts again when the .part is already as long as the file (416)', async () => {
    server.serve('/done.pt', { bytes: payload })
    const dir = await freshDir()
    const dest = join(dir, 'done.pt')
    await writeFile(`${dest}.part`, payload)
    const result = await fetchFile({ url: server.url('/done.pt'), dest })
    expect(result.restarts).toBe(1)
    expect(Buffer.from(await readFile(dest)).equals(Buffer.from(payload))).toBe(true)
  })

  it('refuses a web page (text/html) with E_DOWNLOAD_NOT_CHECKPOINT, telling to download in a browser and import; nothing is left', async () => {
    server.serve('/drive', { bytes: htmlPage, type: 'text/html; charset=utf-8' })
    const dir = await freshDir()
    const dest = join(dir, 'page.pt')
    // a .part from an earlier attempt goes too: what the link gives now is not the file
    await writeFile(`${dest}.part`, payload.subarray(0, 100))
    const failure = await refusal(fetchFile({ url: server.url('/drive'), dest }))
    expect(failure.code).toBe('E_DOWNLOAD_NOT_CHECKPOINT')
    expect(failure.message).toContain(server.url('/drive'))
    expect(failure.message).toMatch(/web browser/)
    expect(failure.message).toContain('Models › Import checkpoint')
    expect(await readdir(dir)).toEqual([])
  })

  it('refuses a page sent as binary: its first byte is <', async () => {
    server.serve('/disguised', { bytes: new TextEncoder().encode('\n  ' + new TextDecoder().decode(htmlPage)) })
    const dir = fresh()
    const failure = await refusal(fetchFile({ url: server.url('/disguised'), dest: join(dir, 'x.pt') }))
    expect(failure.code).toBe('E_DOWNLOAD_NOT_CHECKPOINT')
    expect(await readdir(dir)).toEqual([])
  })

  it('a 404 is E_DOWNLOAD_HTTP with the status, and leaves nothing', async () => {
    const dir = fresh()
    const failure = await refusal(fetchFile({ url: server.url('/gone.pt'), dest: join(dir, 'gone.pt') }))
    expect(failure.code).toBe('E_DOWNLOAD_HTTP')
    expect(failure.message).toContain('404')
    expect(await readdir(dir)).toEqual([])
  })

  it('a refused connection is E_DOWNLOAD_NETWORK after the retries', async () => {
    const closed = await startCheckpointServer()
    const url = closed.url('/x.pt')
    await closed.close()
    const failure = await refusal(fetchFile({ url, dest: join(fresh(), 'x.pt'), retries: 2, retryDelayMs: 1 }))
    expect(failure.code).toBe('E_DOWNLOAD_NETWORK')
    expect(failure.message).toMatch(/ECONNREFUSED/)
  })

  it('checks the free space before writing: the file plus the model folder must fit', async () => {
    server.serve('/big.pt', { bytes: payload })
    const dir = fresh()
    const asked: string[] = []
    const freeBytes = async (at: string) => (asked.push(at), payload.length + 1000)
    const failure = await refusal(fetchFile({ url: server.url('/big.pt'), dest: join(dir, 'big.pt'), extraBytes: 2000, freeBytes }))
    expect(failure.code).toBe('E_DOWNLOAD_NO_SPACE')
    expect(failure.message).toMatch(/3\.1 MB/)
    expect(asked).toEqual([dir])
    expect(await readdir(dir)).toEqual([])
    // with room for both it goes ahead
    await fetchFile({ url: server.url('/big.pt'), dest: join(dir, 'big.pt'), extraBytes: 500, freeBytes })
    expect((await readFile(join(dir, 'big.pt'))).length).toBe(payload.length)
  })

  it('cancel stops the download and removes what was written', async () => {
    const big = new Uint8Array(64 * 1024 * 1024)
    server.serve('/slow.pt', { bytes: big })
    const dir = fresh()
    const controller = new AbortController()
    const failure = await refusal(
      fetchFile({
        url: server.url('/slow.pt'),
        dest: join(dir, 'slow.pt'),
        signal: controller.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.receivedBytes > 0) controller.abort()
        },
      }),
    )
    expect(failure.code).toBe('E_DOWNLOAD_CANCELED')
    expect(await readdir(dir)).toEqual([])
  })
})

describe('downloadModel', () => {
  let checkpoint: Uint8Array
  beforeAll(async () => {
    checkpoint = await readFile(await smallCheckpoint())
  }, 300_000)

  /** An importer that records its call and writes a folder, as a converter would, then fails or not. */
  const recording = (fail: boolean) => {
    const calls: Array<{ checkpoint: string; out: string; options?: ImportOptions }> = []
    const importer: CheckpointImporter = async (from, out, options) => {
      calls.push({ checkpoint: from, out, options })
      expect(existsSync(from)).toBe(true)
      if (fail) {
        await mkdir(out, { recursive: true })
        await writeFile(join(out, 'model.json'), '{}')
        throw Object.assign(new Error('the converter broke'), { code: 'E_CONVERT_PARITY' })
      }
      options?.onProgress?.(0.5, 'write')
      return { dir: out, manifest: {}, seconds: { total: 0 } }
    }
    return { calls, importer }
  }

  it('a cut checkpoint is E_DOWNLOAD_NOT_CHECKPOINT before any import; nothing is left', async () => {
    server.serve('/cut.pt', { bytes: checkpoint.subarray(0, Math.floor(checkpoint.length / 2)) })
    const dir = fresh()
    const { calls, importer } = recording(false)
    const failure = await refusal(downloadModel({ url: server.url('/cut.pt'), checkpointPath: join(dir, 'cut.pt'), modelDir: join(dir, 'model'), importer, keepCheckpoint: true }))
    expect(failure.code).toBe('E_DOWNLOAD_NOT_CHECKPOINT')
    expect(failure.message).toContain(server.url('/cut.pt'))
    expect(calls).toEqual([])
    expect(await readdir(dir)).toEqual([])
  })

  it('imports the downloaded checkpoint, reports each stage, then removes the raw file (kept when asked)', async () => {
    server.serve('/good.pt', { bytes: checkpoint })
    for (const keep of [false, true]) {
      const dir = fresh()
      const { calls, importer } = recording(false)
      const stages: string[] = []
      const result = await downloadModel({
        url: server.url('/good.pt'),
        checkpointPath: join(dir, 'good.pt'),
        modelDir: join(dir, 'model'),
        keepCheckpoint: keep,
        importer,
        importOptions: { id: 'good', license: 'CC BY-NC 4.0' },
        onProgress: (p) => stages.at(-1) !== p.stage && stages.push(p.stage),
      })
      expect(calls).toHaveLength(1)
      expect(calls[0]).toMatchObject({ checkpoint: join(dir, 'good.pt'), out: join(dir, 'model'), options: { id: 'good', license: 'CC BY-NC 4.0' } })
      expect(stages).toEqual(['download', 'check', 'import'])
      expect(result.download.bytes).toBe(checkpoint.length)
      expect(result.checkpoint).toBe(keep ? join(dir, 'good.pt') : null)
      expect(existsSync(join(dir, 'good.pt'))).toBe(keep)
      expect(existsSync(join(dir, 'good.pt.part'))).toBe(false)
    }
  })

  it('a failing import leaves no model folder; the downloaded file stays and the next run imports it without downloading', async () => {
    server.serve('/good.pt', { bytes: checkpoint })
    const dir = fresh()
    const failing = recording(true)
    const failure = await refusal(downloadModel({ url: server.url('/good.pt'), checkpointPath: join(dir, 'good.pt'), modelDir: join(dir, 'model'), importer: failing.importer }))
    expect(failure.code).toBe('E_CONVERT_PARITY')
    expect(failure.message).toMatch(/the converter broke\. The downloaded good\.pt is kept/)
    expect(await readdir(dir)).toEqual(['good.pt'])
    const asked = server.requests.length
    const working = recording(false)
    const result = await downloadModel({ url: server.url('/good.pt'), checkpointPath: join(dir, 'good.pt'), modelDir: join(dir, 'model'), importer: working.importer })
    expect(server.requests.length).toBe(asked)
    expect(working.calls).toHaveLength(1)
    expect(result.download.bytes).toBe(checkpoint.length)
    expect(existsSync(join(dir, 'good.pt'))).toBe(false)
  })

  it('a cancel while importing reaches the importer (its signal); E_DOWNLOAD_CANCELED, and neither the folder nor the checkpoint is left', async () => {
    server.serve('/good.pt', { bytes: checkpoint })
    const dir = fresh()
    const controller = new AbortController()
    let signal: AbortSignal | undefined
    // an importer half-way through its folder when the cancel comes; it stops with its own code
    const importer: CheckpointImporter = async (_from, out, options) => {
      signal = options?.signal
      await mkdir(out, { recursive: true })
      await writeFile(join(out, 'generator.weights'), 'half')
      controller.abort()
      await new Promise((done) => setTimeout(done, 10))
      if (options?.signal?.aborted) throw Object.assign(new Error('the import was canceled'), { code: 'E_CONVERT_CANCELED' })
      return { dir: out, manifest: {}, seconds: { total: 0 } }
    }
    const failure = await refusal(
      downloadModel({ url: server.url('/good.pt'), checkpointPath: join(dir, 'good.pt'), modelDir: join(dir, 'model'), keepCheckpoint: true, importer, signal: controller.signal }),
    )
    expect(signal).toBe(controller.signal)
    expect(failure).toMatchObject({ code: 'E_DOWNLOAD_CANCELED', message: 'The import was canceled.' })
    expect(await readdir(dir)).toEqual([])
  })
})

describe('checkCheckpoint', () => {
  it('tells a text file and a cut checkpoint from a whole StyleMapGAN checkpoint', async () => {
    const dir = await freshDir()
    await writeFile(join(dir, 'notes.pt'), 'just some text')
    await expect(checkCheckpoint(join(dir, 'notes.pt'), null)).rejects.toMatchObject({ code: 'E_DOWNLOAD_NOT_CHECKPOINT', message: expect.stringMatching(/not a PyTorch checkpoint.*released/) })
    const cut = join(dir, 'cut.pt')
    await writeFile(cut, await readFile(await smallCheckpoint()))
    await checkCheckpoint(cut, null)
    await truncate(cut, 100_000)
    await expect(checkCheckpoint(cut, 'https://example.org/x.pt')).rejects.toMatchObject({ code: 'E_DOWNLOAD_NOT_CHECKPOINT', message: expect.stringContaining('https://example.org/x.pt') })
  }, 300_000)
})

// download:* and checkpoint:* through the app layer (dispatch, the real engine, the model
// registry), downloading from a local server and importing with importCheckpoint (its check in
// a process of its own). Cancels while downloading and while importing leave nothing.
import { existsSync } from 'node:fs'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DownloadProgress } from '../../../src-shared/contract'
import { uploadChunkMaxBytes } from '../../../src-shared/contract'
import { testModelDir } from '../../engine/testing/models'
import { htmlPage, startCheckpointServer, type CheckpointServer } from '../testing/checkpointServer'
import { smallCheckpoint } from '../testing/checkpoints'
import { makeTestApp, type TestApp } from '../testing/harness'

let server: CheckpointServer
let t: TestApp
let checkpoint: Uint8Array
const events: DownloadProgress[] = []
/** Called with each progress event as it goes out (tests cancel from here). */
let onProgress: ((progress: DownloadProgress) => void) | null = null

beforeAll(async () => {
  server = await startCheckpointServer()
  checkpoint = await readFile(await smallCheckpoint())
  t = await makeTestApp({
    modelsDir: await testModelDir(),
    deps: {
      emit: (event, payload) => {
        if (event !== 'download:progress') return
        events.push(payload as DownloadProgress)
        onProgress?.(payload as DownloadProgress)
      },
      downloads: {
        urls: { celeba_hq: server.url('/celeba_hq_256_8x8.pt'), afhq: server.url('/uc'), lsun_car: server.url('/stalls.pt'), lsun_church: server.url('/church.pt') },
        retryDelayMs: 1,
      },
    },
  })
}, 300_000)
afterAll(async () => {
  await t?.close()
  await server?.close()
})

const userDir = () => join(t.dir, 'user')

/** What is in the user's models folder, staging folders of an import included. */
const modelFolders = async () => (await readdir(join(userDir(), 'models')).catch(() => [])).sort()

/** Cancels with `cancel` at the first import progress at or past `fraction` (0.8: the check process runs). */
function cancelWhileImporting(job: string, fraction: number, cancel: () => Promise<unknown>): Promise<unknown> {
  return new Promise((done) => {
    onProgress = (progress) => {
      if (progress.job !== job || progress.stage !== 'import' || (progress.fraction ?? 0) < fraction) return
      onProgress = null
      // the check process needs a moment to start: a cancel then stops it, not the import before it
      setTimeout(() => done(cancel()), fraction >= 0.8 ? 300 : 0)
    }
  })
}

describe('Models › Add', () => {
  it('lists the four released checkpoints with licence, size and source', async () => {
    const { entries } = await t.ok('download:catalog', {})
    expect(entries.map((e) => [e.dataset, e.resolution, e.license, e.installed])).toEqual([
      ['celeba_hq', 256, 'CC BY-NC 4.0', false],
      ['afhq', 256, 'CC BY-NC 4.0', false],
      ['lsun_car', 256, 'CC BY-NC 4.0', false],
      ['lsun_church', 256, 'CC BY-NC 4.0', false],
    ])
    for (const e of entries) {
      expect(e.url).toMatch(/^https:\/\/docs\.google\.com\/uc\?export=download&id=/)
      expect(e.repository).toBe('https://github.com/naver-ai/StyleMapGAN')
      expect(e.approxBytes).toBeGreaterThan(1e9)
    }
  })

  it('downloads (resuming after the connection broke half-way), imports, makes it the active model, and removes the raw file', async () => {
    const half = Math.floor(checkpoint.length / 2)
    server.serve('/celeba_hq_256_8x8.pt', { bytes: checkpoint, interruptOnceAt: half })
    events.length = 0
    const result = await t.ok('download:start', { dataset: 'celeba_hq' })
    if (result.canceled) throw new Error('canceled')
    expect(result.model).toMatchObject({ id: 'stylemapgan-celeba-hq-256', active: true, builtIn: false, resolution: 64, license: 'CC BY-NC 4.0', domain: 'faces' })
    expect(server.requests.filter((r) => r.path === '/celeba_hq_256_8x8.pt').map((r) => [r.status, r.range])).toEqual([
      [200, null],
      [206, `bytes=${half}-`],
    ])
    // progress: bytes from the first attempt, then from where the second resumed, then each stage
    const stages = events.filter((e) => e.job === 'celeba_hq').map((e) => e.stage)
    expect([...new Set(stages)]).toEqual(['download', 'check', 'import', 'register'])
    expect(events.some((e) => e.stage === 'download' && e.resumedFrom === half)).toBe(true)
    expect(events.filter((e) => e.stage === 'download').at(-1)).toMatchObject({ receivedBytes: checkpoint.length, totalBytes: checkpoint.length, fraction: 1 })
    // the raw checkpoint and its .part are gone; the model folder is in the user's models
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
    expect(existsSync(join(userDir(), 'models', 'stylemapgan-celeba-hq-256', 'model.json'))).toBe(true)
    const { models } = await t.ok('model:list', {})
    expect(models.find((m) => m.active)?.id).toBe('stylemapgan-celeba-hq-256')
    expect((await t.ok('download:catalog', {})).entries.find((e) => e.dataset === 'celeba_hq')?.installed).toBe(true)
    // the new model draws
    const random = await t.ok('engine:random', { seed: 3 })
    expect([random.image.width, random.image.height]).toEqual([64, 64])
    // a second download of it is refused: it is in the list already
    const again = await t.call('download:start', { dataset: 'celeba_hq' })
    expect(again.ok ? null : again.error.code).toBe('E_MODEL_ID_TAKEN')
  }, 600_000)

  it('a link that gives a web page fails with E_DOWNLOAD_NOT_CHECKPOINT and leaves nothing', async () => {
    server.serve('/uc', { bytes: htmlPage, type: 'text/html' })
    const result = await t.call('download:start', { dataset: 'afhq' })
    expect(result.ok ? null : result.error).toMatchObject({ code: 'E_DOWNLOAD_NOT_CHECKPOINT', message: expect.stringMatching(/web browser.*Models › Import checkpoint/) })
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
    expect(existsSync(join(userDir(), 'models', 'stylemapgan-afhq-256'))).toBe(false)
  })

  it('download:cancel stops a download: it answers canceled and nothing is left', async () => {
    server.serve('/stalls.pt', { bytes: checkpoint, stallAt: 1024 * 1024 })
    events.length = 0
    const started = t.call('download:start', { dataset: 'lsun_car' })
    await expect.poll(() => events.some((e) => e.job === 'lsun_car' && e.receivedBytes > 0), { timeout: 10_000 }).toBe(true)
    expect(await t.ok('download:cancel', { dataset: 'lsun_car' })).toEqual({ canceled: true })
    const result = await started
    expect(result).toEqual({ ok: true, value: { canceled: true } })
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
    expect(await t.ok('download:cancel', { dataset: 'lsun_car' })).toEqual({ canceled: false })
  })

  it('download:cancel while the downloaded checkpoint is imported (its check process running): canceled, no folder, no checkpoint left', async () => {
    server.serve('/church.pt', { bytes: checkpoint })
    const before = await modelFolders()
    const canceling = cancelWhileImporting('lsun_church', 0.8, () => t.ok('download:cancel', { dataset: 'lsun_church' }))
    const result = await t.call('download:start', { dataset: 'lsun_church' })
    expect(await canceling).toEqual({ canceled: true })
    expect(result).toEqual({ ok: true, value: { canceled: true } })
    expect(events.filter((e) => e.job === 'lsun_church').some((e) => e.stage === 'register')).toBe(false)
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
    expect(await modelFolders()).toEqual(before)
    expect((await t.ok('download:catalog', {})).entries.find((e) => e.dataset === 'lsun_church')?.installed).toBe(false)
  }, 600_000)
})

describe('Models › Import checkpoint and dropped checkpoints', () => {
  it('refuses a chosen file that is not a checkpoint, saying what to do; no model folder is made', async () => {
    const page = join(t.dir, 'downloaded.pt')
    await writeFile(page, htmlPage)
    t.dialogs.answer('openCheckpoint', page)
    const before = await readdir(join(userDir(), 'models'))
    const result = await t.call('checkpoint:import', {})
    expect(result.ok ? null : result.error).toMatchObject({ code: 'E_DOWNLOAD_NOT_CHECKPOINT', message: expect.stringContaining('downloaded.pt is not a PyTorch checkpoint') })
    expect(await readdir(join(userDir(), 'models'))).toEqual(before)
    // the user's own file is left alone
    expect(existsSync(page)).toBe(true)
    t.dialogs.answer('openCheckpoint', null)
    expect(await t.ok('checkpoint:import', {})).toEqual({ canceled: true })
  })

  it('a dropped checkpoint arrives in pieces and becomes the active model', async () => {
    const { uploadId } = await t.ok('checkpoint:uploadBegin', { name: 'My Faces.pt', size: checkpoint.length })
    for (let offset = 0; offset < checkpoint.length; offset += uploadChunkMaxBytes) {
      const bytes = checkpoint.subarray(offset, offset + uploadChunkMaxBytes)
      expect(await t.ok('checkpoint:uploadChunk', { uploadId, offset, bytes })).toEqual({ received: offset + bytes.length })
    }
    const { model } = await t.ok('checkpoint:uploadFinish', { uploadId })
    expect(model).toMatchObject({ id: 'my-faces', name: 'My Faces', active: true, resolution: 64 })
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
    expect(existsSync(join(userDir(), 'models', 'my-faces', 'model.json'))).toBe(true)
    const unknown = await t.call('checkpoint:uploadFinish', { uploadId })
    expect(unknown.ok ? null : unknown.error.code).toBe('E_UPLOAD_UNKNOWN')
  }, 600_000)

  it('checkpoint:cancel while a chosen checkpoint is imported: canceled, no folder, the file left alone', async () => {
    const file = join(t.dir, 'chosen.pt')
    await writeFile(file, checkpoint)
    t.dialogs.answer('openCheckpoint', file)
    const before = await modelFolders()
    expect(await t.ok('checkpoint:cancel', {})).toEqual({ canceled: false })
    const canceling = cancelWhileImporting('checkpoint', 0.01, () => t.ok('checkpoint:cancel', {}))
    const result = await t.call('checkpoint:import', {})
    expect(await canceling).toEqual({ canceled: true })
    expect(result).toEqual({ ok: true, value: { canceled: true } })
    expect(await modelFolders()).toEqual(before)
    expect((await readFile(file)).length).toBe(checkpoint.length)
    await rm(file)
  }, 600_000)

  it('checkpoint:cancel while a dropped checkpoint is imported: E_DOWNLOAD_CANCELED, no folder, no upload left', async () => {
    const before = await modelFolders()
    const { uploadId } = await t.ok('checkpoint:uploadBegin', { name: 'dropped.pt', size: checkpoint.length })
    for (let offset = 0; offset < checkpoint.length; offset += uploadChunkMaxBytes) {
      await t.ok('checkpoint:uploadChunk', { uploadId, offset, bytes: checkpoint.subarray(offset, offset + uploadChunkMaxBytes) })
    }
    const canceling = cancelWhileImporting('checkpoint', 0.8, () => t.ok('checkpoint:cancel', {}))
    const result = await t.call('checkpoint:uploadFinish', { uploadId })
    expect(await canceling).toEqual({ canceled: true })
    expect(result.ok ? null : result.error.code).toBe('E_DOWNLOAD_CANCELED')
    expect(await modelFolders()).toEqual(before)
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
  }, 600_000)

  it('pieces out of order end the upload; a canceled upload leaves nothing', async () => {
    const first = await t.ok('checkpoint:uploadBegin', { name: 'x.pt', size: 1000 })
    const skipped = await t.call('checkpoint:uploadChunk', { uploadId: first.uploadId, offset: 10, bytes: new Uint8Array(10) })
    expect(skipped.ok ? null : skipped.error.code).toBe('E_UPLOAD_UNKNOWN')
    const second = await t.ok('checkpoint:uploadBegin', { name: 'y.pt', size: 1000 })
    await t.ok('checkpoint:uploadChunk', { uploadId: second.uploadId, offset: 0, bytes: new Uint8Array(500) })
    expect(await t.ok('checkpoint:uploadCancel', { uploadId: second.uploadId })).toEqual({ canceled: true })
    expect(await readdir(join(userDir(), 'downloads'))).toEqual([])
  })
})

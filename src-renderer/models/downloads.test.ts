import { afterEach, describe, expect, it, vi } from 'vitest'
import type { DownloadProgress } from '../../src-shared/contract'
import { UiStore } from '../ui/uiStore'
import { cancelCheckpointImport, downloadState, importCheckpointFile, importDroppedCheckpoint, isCheckpointName, onDownloadProgress, overallFraction, progressText } from './downloads'

const at = (patch: Partial<DownloadProgress>): DownloadProgress => ({
  job: 'celeba_hq',
  stage: 'download',
  receivedBytes: 0,
  totalBytes: null,
  fraction: null,
  resumedFrom: 0,
  ...patch,
})

describe('download progress as the Models panel shows it', () => {
  it('says the percentage and the megabytes, and where a resumed download started', () => {
    expect(progressText(at({ receivedBytes: 116_400_000, totalBytes: 257_600_000, fraction: 0.4519 }))).toBe('45% · 116 MB of 258 MB')
    expect(progressText(at({ receivedBytes: 3_500_000 }))).toBe('3.5 MB')
    expect(progressText(at({ receivedBytes: 200_000_000, totalBytes: 257_600_000, fraction: 0.78, resumedFrom: 128_800_000 }))).toBe('78% · 200 MB of 258 MB (resumed at 129 MB)')
    expect(progressText(at({ stage: 'import', fraction: 0.4 }))).toBe('Importing into a model… 40%')
    expect(progressText(null)).toBe('Starting…')
  })

  it('the bar moves forward through the stages', () => {
    const steps = [at({ fraction: 0 }), at({ fraction: 1 }), at({ stage: 'check' }), at({ stage: 'import', fraction: 0.5 }), at({ stage: 'register' })].map(overallFraction)
    expect(steps).toEqual([...steps].sort((a, b) => a! - b!))
    expect(steps[0]).toBe(0)
    expect(steps.at(-1)).toBeLessThan(1)
  })

  it('keeps the progress of a running job only: a late event after the end is dropped', () => {
    const ui = new UiStore()
    onDownloadProgress(ui, at({ receivedBytes: 10 }))
    expect(downloadState(ui, 'celeba_hq').progress).toBeNull()
    ui.set({ downloads: { celeba_hq: { running: true, progress: null, error: null } } })
    onDownloadProgress(ui, at({ receivedBytes: 10 }))
    expect(downloadState(ui, 'celeba_hq').progress?.receivedBytes).toBe(10)
  })

  it('takes .pt and .pth files as checkpoints, photos not', () => {
    expect(['a.pt', 'B.PTH', 'x.ckpt'].map(isCheckpointName)).toEqual([true, true, true])
    expect(['a.png', 'pt.jpg', 'a.pt.txt'].map(isCheckpointName)).toEqual([false, false, false])
  })
})

describe('canceling a checkpoint import by hand', () => {
  afterEach(() => vi.unstubAllGlobals())

  const ok = <T>(value: T) => Promise.resolve({ ok: true, value })
  const canceledError = { ok: false, error: { code: 'E_DOWNLOAD_CANCELED', message: 'The import was canceled.' } }

  it('a chosen checkpoint: Cancel asks main to stop it; the job ends without an error and nothing is installed', async () => {
    let finish: (value: unknown) => void = () => undefined
    const calls: string[] = []
    vi.stubGlobal('window', {
      stylemap: {
        'checkpoint:import': () => (calls.push('import'), new Promise((done) => (finish = done))),
        'checkpoint:cancel': () => (calls.push('cancel'), finish({ ok: true, value: { canceled: true } }), ok({ canceled: true })),
      },
    })
    const ui = new UiStore()
    let installed = 0
    const job = importCheckpointFile(ui, async () => void installed++)
    expect(downloadState(ui, 'checkpoint').running).toBe(true)
    await cancelCheckpointImport()
    await job
    expect(calls).toEqual(['import', 'cancel'])
    expect(downloadState(ui, 'checkpoint')).toEqual({ running: false, progress: null, error: null })
    expect(installed).toBe(0)
  })

  it('a dropped checkpoint: Cancel stops sending it (the upload is dropped in main) and ends the job without an error', async () => {
    const calls: string[] = []
    let chunkSent: () => void = () => undefined
    const firstChunk = new Promise<void>((done) => (chunkSent = done))
    vi.stubGlobal('window', {
      stylemap: {
        'checkpoint:uploadBegin': () => ok({ uploadId: 'u1' }),
        'checkpoint:uploadChunk': ({ offset, bytes }: { offset: number; bytes: Uint8Array }) => (calls.push(`chunk ${offset}`), chunkSent(), ok({ received: offset + bytes.length })),
        'checkpoint:uploadCancel': () => (calls.push('uploadCancel'), ok({ canceled: true })),
        'checkpoint:uploadFinish': () => (calls.push('finish'), Promise.resolve(canceledError)),
        'checkpoint:cancel': () => (calls.push('cancel'), ok({ canceled: false })),
      },
    })
    const ui = new UiStore()
    // three pieces' worth: Cancel comes after the first
    const file = new File([new Uint8Array(3 * 16 * 1024 * 1024)], 'faces.pt')
    const job = importDroppedCheckpoint(ui, file, async () => undefined)
    await firstChunk
    await cancelCheckpointImport()
    await job
    expect(calls[0]).toBe('chunk 0')
    expect(calls).toContain('cancel')
    expect(calls).toContain('uploadCancel')
    expect(calls).not.toContain('finish')
    expect(calls.filter((c) => c.startsWith('chunk')).length).toBeLessThan(3)
    expect(downloadState(ui, 'checkpoint')).toEqual({ running: false, progress: null, error: null })
  })

  it('a failure that is not a cancel still shows', async () => {
    vi.stubGlobal('window', { stylemap: { 'checkpoint:import': () => Promise.resolve({ ok: false, error: { code: 'E_CONVERT_VERIFY', message: 'the imported model does not load' } }) } })
    const ui = new UiStore()
    await importCheckpointFile(ui, async () => undefined)
    expect(downloadState(ui, 'checkpoint').error).toEqual({ code: 'E_CONVERT_VERIFY', message: 'the imported model does not load' })
  })
})

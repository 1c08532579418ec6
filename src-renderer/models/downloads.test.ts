import { describe, expect, it } from 'vitest'
import type { DownloadProgress } from '../../src-shared/contract'
import { UiStore } from '../ui/uiStore'
import { downloadState, isCheckpointName, onDownloadProgress, overallFraction, progressText } from './downloads'

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

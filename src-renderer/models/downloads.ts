// Models › Add: the released checkpoints, their downloads (progress, cancel, errors) and
// checkpoints imported by hand (file dialog, or a .pt dropped on the window, sent to main in
// pieces: the renderer never holds a path). State lives in the UiStore (`catalog`, `downloads`),
// keyed by job: a catalog data set, or `checkpoint` for an import by hand.
import { formatBytes, type CatalogDataset } from '../../src-shared/catalog'
import { appErrorCodes, checkpointJob, upgradeJob, uploadChunkMaxBytes, type DownloadProgress, type ModelInfo } from '../../src-shared/contract'
import { call, CodedError, toAppError } from '../engine/api'
import type { UiStore } from '../ui/uiStore'

export interface DownloadState {
  running: boolean
  progress: DownloadProgress | null
  /** what went wrong, in the app's words */
  error: { code: string; message: string } | null
}

const idle: DownloadState = { running: false, progress: null, error: null }

export function downloadState(ui: Pick<UiStore, 'downloads'>, job: string): DownloadState {
  return ui.downloads[job] ?? idle
}

function setJob(ui: UiStore, job: string, patch: Partial<DownloadState>): void {
  ui.set({ downloads: { ...ui.downloads, [job]: { ...downloadState(ui, job), ...patch } } })
}

/** A progress event from main: shown only while its job runs (a late one after the end is dropped). */
export function onDownloadProgress(ui: UiStore, progress: DownloadProgress): void {
  if (!downloadState(ui, progress.job).running) return
  setJob(ui, progress.job, { progress })
}

/** What the progress line says: "45% · 116 MB of 258 MB", "Importing… 40%". */
export function progressText(progress: DownloadProgress | null): string {
  if (!progress) return 'Starting…'
  const percent = progress.fraction === null ? null : Math.floor(progress.fraction * 100)
  switch (progress.stage) {
    case 'download': {
      const size = progress.totalBytes ? `${formatBytes(progress.receivedBytes)} of ${formatBytes(progress.totalBytes)}` : formatBytes(progress.receivedBytes)
      return `${percent === null ? '' : `${percent}% · `}${size}${progress.resumedFrom > 0 ? ` (resumed at ${formatBytes(progress.resumedFrom)})` : ''}`
    }
    case 'check':
      return 'Checking the checkpoint…'
    case 'import':
      return `Importing into a model…${percent === null ? '' : ` ${percent}%`}`
    case 'register':
      return 'Loading the new model…'
    case 'upgrade':
      return `Updating the model…${percent === null ? '' : ` ${percent}%`}`
    default:
      return assertNever(progress.stage)
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${String(value)}`)
}

/** The part of a progress bar that is done, 0..1 over all stages (download counts for most of it). */
export function overallFraction(progress: DownloadProgress | null): number | null {
  if (!progress) return null
  switch (progress.stage) {
    case 'download':
      return progress.fraction === null ? null : 0.8 * progress.fraction
    case 'check':
      return 0.8
    case 'import':
      return 0.8 + 0.15 * (progress.fraction ?? 0)
    case 'register':
      return 0.95
    case 'upgrade':
      return progress.fraction
    default:
      return assertNever(progress.stage)
  }
}

export async function loadCatalog(ui: UiStore): Promise<void> {
  try {
    const { entries } = await call('download:catalog', {})
    ui.set({ catalog: entries })
  } catch (error) {
    setJob(ui, checkpointJob, { error: toAppError(error) })
  }
}

/** Runs one job: its state shows it running, then its error, or nothing once done (and `done`'s notice). */
async function runJob(
  ui: UiStore,
  job: string,
  work: () => Promise<ModelInfo | null>,
  after: () => Promise<void>,
  done: (model: ModelInfo) => string = (model) => `Installed ${model.name}; it is the model in use now`,
): Promise<void> {
  if (downloadState(ui, job).running) return
  setJob(ui, job, { running: true, progress: null, error: null })
  try {
    const model = await work()
    setJob(ui, job, { running: false, progress: null })
    if (model) {
      await after()
      await loadCatalog(ui)
      ui.set({ notice: done(model) })
    }
  } catch (error) {
    const failure = toAppError(error)
    // a job the user canceled just ends: nothing is left of it to report
    setJob(ui, job, { running: false, progress: null, error: failure.code === appErrorCodes.downloadCanceled ? null : failure })
  }
}

export function startDownload(ui: UiStore, dataset: CatalogDataset, after: () => Promise<void>): Promise<void> {
  return runJob(
    ui,
    dataset,
    async () => {
      const result = await call('download:start', { dataset })
      return result.canceled ? null : result.model
    },
    after,
  )
}

export async function cancelDownload(dataset: CatalogDataset): Promise<void> {
  await call('download:cancel', { dataset })
}

/** Dropped checkpoints being sent to main: Cancel stops sending them too. */
const droppedUploads = new Set<AbortController>()

/** Stops the checkpoint import by hand that runs: a dropped file still being sent, or the import in main. */
export async function cancelCheckpointImport(): Promise<void> {
  for (const upload of droppedUploads) upload.abort()
  await call('checkpoint:cancel', {})
}

export function importCheckpointFile(ui: UiStore, after: () => Promise<void>): Promise<void> {
  return runJob(
    ui,
    checkpointJob,
    async () => {
      const result = await call('checkpoint:import', {})
      return result.canceled ? null : result.model
    },
    after,
  )
}

/** Models › Update: an imported folder brought to today's graphs (progress, errors as a download's). */
export function upgradeModel(ui: UiStore, id: string, after: () => Promise<void>): Promise<void> {
  return runJob(
    ui,
    upgradeJob(id),
    async () => (await call('model:upgrade', { id })).model,
    after,
    (model) => `Updated ${model.name}: it edits with today's graphs now`,
  )
}

/** A file the window should take as a checkpoint rather than a photo. */
export function isCheckpointName(name: string): boolean {
  return /\.(pt|pth|ckpt)$/i.test(name)
}

/** A dropped checkpoint: sent to main in pieces (progress as a download), then imported there. */
export function importDroppedCheckpoint(ui: UiStore, file: File, after: () => Promise<void>): Promise<void> {
  return runJob(
    ui,
    checkpointJob,
    async () => {
      const { uploadId } = await call('checkpoint:uploadBegin', { name: file.name, size: file.size })
      const upload = new AbortController()
      droppedUploads.add(upload)
      const stopIfCanceled = () => {
        if (upload.signal.aborted) throw new CodedError(appErrorCodes.downloadCanceled, 'The import was canceled.')
      }
      try {
        for (let offset = 0; offset < file.size; offset += uploadChunkMaxBytes) {
          stopIfCanceled()
          const bytes = new Uint8Array(await file.slice(offset, offset + uploadChunkMaxBytes).arrayBuffer())
          const { received } = await call('checkpoint:uploadChunk', { uploadId, offset, bytes })
          setJob(ui, checkpointJob, { progress: { job: checkpointJob, stage: 'download', receivedBytes: received, totalBytes: file.size, fraction: received / file.size, resumedFrom: 0 } })
        }
        stopIfCanceled()
      } catch (error) {
        await call('checkpoint:uploadCancel', { uploadId }).catch(() => undefined)
        throw error
      } finally {
        droppedUploads.delete(upload)
      }
      return (await call('checkpoint:uploadFinish', { uploadId })).model
    },
    after,
  )
}

// download:* and checkpoint:* — released checkpoints downloaded from the catalog, and
// checkpoints the user brings (file dialog or a dropped file), imported into the user's models
// folder and registered as Models › Import does. Progress goes out as `download:progress`.
// A job can be canceled while it downloads and while it imports (download:cancel,
// checkpoint:cancel): nothing of it is left, neither the model folder nor a temporary file.
import { randomUUID } from 'node:crypto'
import { mkdir, open, rm, stat, type FileHandle } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'
import type { HandlerMap } from '../../../src-shared/ipc'
import { appErrorCodes, checkpointJob, type Channels, type ModelInfo } from '../../../src-shared/contract'
import { catalog, catalogEntry, catalogModelId } from '../../../src-shared/catalog'
import { importCheckpoint } from '../../torch/importCheckpoint'
import type { AppContext } from '../context'
import { AppFailure } from '../dispatch'
import { downloadModel, freeBytesAt, installCheckpoint, type ProgressReport } from '../downloads'

type DownloadChannels =
  | 'download:catalog'
  | 'download:start'
  | 'download:cancel'
  | 'checkpoint:import'
  | 'checkpoint:cancel'
  | 'checkpoint:uploadBegin'
  | 'checkpoint:uploadChunk'
  | 'checkpoint:uploadFinish'
  | 'checkpoint:uploadCancel'

interface Upload {
  name: string
  path: string
  size: number
  received: number
  file: FileHandle
}

/** A folder name from a file name: letters, digits and dashes. */
function slug(name: string): string {
  const stem = basename(name, extname(name))
  return (
    stem
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'checkpoint'
  )
}

const exists = (path: string) => stat(path).then(() => true, () => false)

export function downloadHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, DownloadChannels> {
  const { deps, models } = ctx
  const options = deps.downloads ?? {}
  const importer = options.importer ?? importCheckpoint
  const freeBytes = options.freeBytes ?? freeBytesAt
  /** imported models live here, one folder each */
  const modelsRoot = join(deps.userDataDir, 'models')
  /** downloads in progress (`.part`) and dropped checkpoints while they arrive */
  const downloadsDir = join(deps.userDataDir, 'downloads')
  const running = new Map<string, AbortController>()
  const uploads = new Map<string, Upload>()

  const report = (job: string) => (progress: ProgressReport) => deps.emit?.('download:progress', { job, ...progress })

  /** Only one of each job at a time. */
  async function exclusive<T>(job: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (running.has(job)) throw new AppFailure(appErrorCodes.downloadBusy, job === checkpointJob ? 'A checkpoint is being imported already.' : `${job} is being downloaded already.`)
    const controller = new AbortController()
    running.set(job, controller)
    try {
      return await work(controller.signal)
    } finally {
      running.delete(job)
    }
  }

  /** Make an imported folder a listed, active model; the folder goes if that fails, or if the job was canceled just before. */
  async function register(job: string, dir: string, size: number, signal: AbortSignal): Promise<ModelInfo> {
    if (signal.aborted) {
      await rm(dir, { recursive: true, force: true })
      throw new AppFailure(appErrorCodes.downloadCanceled, 'The import was canceled.')
    }
    report(job)({ stage: 'register', receivedBytes: size, totalBytes: size, fraction: null, resumedFrom: 0 })
    try {
      return await models.import(dir)
    } catch (error) {
      await rm(dir, { recursive: true, force: true })
      throw error
    }
  }

  /** A folder under the models root not used yet, named after `name`. */
  async function freshFolder(name: string): Promise<string> {
    const base = slug(name)
    for (let n = 1; ; n++) {
      const dir = join(modelsRoot, n === 1 ? base : `${base}-${n}`)
      if (!(await exists(dir))) return dir
    }
  }

  /** Import a checkpoint the user brought; the file itself is left as it is. */
  async function importOwn(job: string, checkpoint: string, name: string, signal: AbortSignal): Promise<ModelInfo> {
    await mkdir(modelsRoot, { recursive: true })
    const dir = await freshFolder(name)
    const size = (await stat(checkpoint)).size
    await installCheckpoint({
      checkpoint,
      url: null,
      modelDir: dir,
      importer,
      importOptions: {
        id: basename(dir),
        name: basename(name, extname(name)),
        source: `imported from ${basename(name)}`,
        templatesDir: deps.checkpointTemplatesDir,
        spawnVerify: options.spawnVerify,
      },
      onProgress: report(job),
      signal,
    })
    return register(job, dir, size, signal)
  }

  async function closeUpload(upload: Upload): Promise<void> {
    await upload.file.close().catch(() => undefined)
    await rm(upload.path, { force: true })
  }

  function takeUpload(uploadId: string): Upload {
    const upload = uploads.get(uploadId)
    if (!upload) throw new AppFailure(appErrorCodes.uploadUnknown, 'This checkpoint upload is not running (it finished or was canceled).')
    return upload
  }

  return {
    'download:catalog': async () => {
      const installed = new Set((await models.list()).map((model) => model.id))
      return { entries: catalog.map((entry) => ({ ...entry, installed: installed.has(catalogModelId(entry.dataset)) })) }
    },

    'download:start': async ({ dataset, keepCheckpoint }) => {
      const entry = catalogEntry(dataset)
      const id = catalogModelId(dataset)
      if ((await models.list()).some((model) => model.id === id)) {
        throw new AppFailure(appErrorCodes.modelIdTaken, `${entry.title} is installed already: pick it in the list of models.`)
      }
      try {
        return await exclusive(dataset, async (signal) => {
          const modelDir = join(modelsRoot, id)
          const result = await downloadModel({
            url: options.urls?.[dataset] ?? entry.url,
            checkpointPath: join(downloadsDir, entry.fileName),
            modelDir,
            keepCheckpoint,
            signal,
            expectedBytes: entry.approxBytes,
            extraBytes: entry.approxModelBytes,
            freeBytes,
            retryDelayMs: options.retryDelayMs,
            importer,
            importOptions: {
              id,
              name: `StyleMapGAN ${entry.title} (${entry.resolution} px)`,
              license: entry.license,
              domain: entry.domain,
              source: `${entry.repository} (${entry.fileName})`,
              alignment: entry.alignment,
              templatesDir: deps.checkpointTemplatesDir,
              spawnVerify: options.spawnVerify,
              // a folder left by an import that was stopped half-way (the app quit) is replaced
              force: true,
            },
            onProgress: report(dataset),
          })
          return { canceled: false as const, model: await register(dataset, result.dir, result.download.bytes, signal) }
        })
      } catch (error) {
        if (error instanceof AppFailure && error.code === appErrorCodes.downloadCanceled) return { canceled: true as const }
        throw error
      }
    },

    'download:cancel': async ({ dataset }) => {
      const controller = running.get(dataset)
      controller?.abort()
      return { canceled: Boolean(controller) }
    },

    'checkpoint:import': async () => {
      const path = await deps.dialogs.openCheckpoint()
      if (!path) return { canceled: true }
      try {
        return { canceled: false, model: await exclusive(checkpointJob, (signal) => importOwn(checkpointJob, path, basename(path), signal)) }
      } catch (error) {
        if (error instanceof AppFailure && error.code === appErrorCodes.downloadCanceled) return { canceled: true }
        throw error
      }
    },

    'checkpoint:cancel': async () => {
      const controller = running.get(checkpointJob)
      controller?.abort()
      return { canceled: Boolean(controller) }
    },

    'checkpoint:uploadBegin': async ({ name, size }) => {
      await mkdir(downloadsDir, { recursive: true })
      // the checkpoint, and at most as much again for the model folder made from it
      const free = await freeBytes(downloadsDir)
      if (free < 2 * size) {
        throw new AppFailure(appErrorCodes.downloadNoSpace, `Not enough free disk space to import ${name}: it needs about ${Math.ceil((2 * size) / 1e6)} MB, ${Math.floor(free / 1e6)} MB are free.`)
      }
      const uploadId = randomUUID()
      const path = join(downloadsDir, `dropped-${uploadId}.pt`)
      uploads.set(uploadId, { name, path, size, received: 0, file: await open(path, 'w') })
      return { uploadId }
    },

    'checkpoint:uploadChunk': async ({ uploadId, offset, bytes }) => {
      const upload = takeUpload(uploadId)
      if (offset !== upload.received || upload.received + bytes.length > upload.size) {
        uploads.delete(uploadId)
        await closeUpload(upload)
        throw new AppFailure(appErrorCodes.uploadUnknown, `The pieces of ${upload.name} came out of order (byte ${offset}, expected ${upload.received}); drop it again.`)
      }
      await upload.file.write(bytes)
      upload.received += bytes.length
      return { received: upload.received }
    },

    'checkpoint:uploadFinish': async ({ uploadId }) => {
      const upload = takeUpload(uploadId)
      uploads.delete(uploadId)
      try {
        await upload.file.close()
        if (upload.received !== upload.size) {
          throw new AppFailure(appErrorCodes.uploadUnknown, `${upload.name} arrived incomplete (${upload.received} of ${upload.size} bytes); drop it again.`)
        }
        // a cancel fails with E_DOWNLOAD_CANCELED, which the window takes as the end of the job, not an error
        return { model: await exclusive(checkpointJob, (signal) => importOwn(checkpointJob, upload.path, upload.name, signal)) }
      } finally {
        await rm(upload.path, { force: true })
      }
    },

    'checkpoint:uploadCancel': async ({ uploadId }) => {
      const upload = uploads.get(uploadId)
      if (!upload) return { canceled: false }
      uploads.delete(uploadId)
      await closeUpload(upload)
      return { canceled: true }
    },
  }
}

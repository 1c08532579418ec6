// Downloading a released checkpoint and turning it into a model folder, for the app's
// Models › Add and for `stylemap download`. Plain Node: the app and the CLI run this same code.
//
// The file arrives in `<dest>.part` beside its destination. A broken connection is retried
// from where it stopped (HTTP Range; a server that answers 200 instead of 206 is downloaded
// again from the start), and after the last retry the `.part` stays so the next attempt
// resumes. Whatever is refused (a web page, a text file, an HTTP error, a file that is not a
// checkpoint) and a cancel (while it downloads or while it imports) leave nothing behind.
import { mkdir, open, rename, rm, stat, statfs, type FileHandle } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { appErrorCodes, type DownloadProgress } from '../../src-shared/contract'
import { formatBytes } from '../../src-shared/catalog'
import { Checkpoint } from '../torch/checkpoint'
import { CheckpointError, checkpointErrorCodes } from '../torch/errors'
import type { ImportOptions, ImportResult } from '../torch/importCheckpoint'
import { AppFailure } from './dispatch'

/** What turns a checkpoint into a model folder: `importCheckpoint` (src-main/torch) or, in tests, another converter. */
export type CheckpointImporter = (checkpoint: string, out: string, options?: ImportOptions) => Promise<ImportResult>

export type ProgressReport = Omit<DownloadProgress, 'job'>

/** Free bytes on the file system holding `dir`, for an unprivileged user. */
export async function freeBytesAt(dir: string): Promise<number> {
  const fs = await statfs(dir)
  return Number(fs.bavail) * Number(fs.bsize)
}

export interface FetchOptions {
  url: string
  /** Where the finished file goes; it is written to `${dest}.part` first. */
  dest: string
  signal?: AbortSignal
  onProgress?: (progress: ProgressReport) => void
  /** The file's size when the server does not say it (the catalog's estimate). */
  expectedBytes?: number
  /** Bytes needed on the same disk after the download (the model folder made from it). */
  extraBytes?: number
  /** How many times a broken connection is resumed before giving up (default 3). */
  retries?: number
  /** Wait before a retry, times the attempt number (default 500 ms). */
  retryDelayMs?: number
  /** Free space (default: statfs of dest's folder); tests pass their own. */
  freeBytes?: (dir: string) => Promise<number>
  /** Least time between two progress reports (default 100 ms). */
  progressIntervalMs?: number
}

export interface FetchResult {
  path: string
  bytes: number
  /** How many requests continued a `.part` with Range (206). */
  resumes: number
  /** How many times a server ignored the Range and the file was started again. */
  restarts: number
}

/** A connection that broke or a transient server error: retried, and the `.part` is kept. */
class Interruption extends Error {}
/** The part on disk cannot be continued; start again from byte 0 (does not count as a retry). */
class StartOver extends Error {}

const notCheckpointAdvice = (url: string) =>
  `Open ${url} in a web browser, download the file there (confirm the download if the site asks), then import the file you get with Models › Import checkpoint (or drop it on the window; on the command line: stylemap convert --checkpoint FILE --out DIR).`

export function notCheckpointFailure(what: string, url: string | null): AppFailure {
  const advice = url
    ? notCheckpointAdvice(url)
    : 'Choose the .pt file the StyleMapGAN authors released (celeba_hq_256_8x8.pt and the like); if it came from a download link, download it again in a web browser.'
  return new AppFailure(appErrorCodes.downloadNotCheckpoint, `${what}. ${advice}`)
}

function canceled(what: 'download' | 'import' = 'download'): AppFailure {
  return new AppFailure(appErrorCodes.downloadCanceled, `The ${what} was canceled.`)
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size
  } catch {
    return 0
  }
}

const htmlType = /^\s*(text\/|application\/(xhtml\+)?xml|application\/json)/i

/** First non-blank byte is `<`: an HTML or XML page, never a torch.save file (zip or pickle). */
function looksLikeMarkup(chunk: Uint8Array): boolean {
  for (const byte of chunk) {
    if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0xef || byte === 0xbb || byte === 0xbf) continue
    return byte === 0x3c
  }
  return false
}

/**
 * Downloads `url` to `dest` with resume, retries, a free-space check and progress. Fails with
 * E_DOWNLOAD_HTTP, E_DOWNLOAD_NETWORK (the `.part` is kept), E_DOWNLOAD_NO_SPACE,
 * E_DOWNLOAD_NOT_CHECKPOINT (a page or text came back) or E_DOWNLOAD_CANCELED.
 */
export async function fetchFile(options: FetchOptions): Promise<FetchResult> {
  const { url, dest, signal } = options
  const part = `${dest}.part`
  const retries = options.retries ?? 3
  const freeBytes = options.freeBytes ?? freeBytesAt
  const interval = options.progressIntervalMs ?? 100
  await mkdir(dirname(dest), { recursive: true })
  let resumes = 0
  let restarts = 0
  let failures = 0
  for (;;) {
    if (signal?.aborted) {
      await rm(part, { force: true })
      throw canceled()
    }
    const offset = await sizeOf(part)
    try {
      const { bytes, resumed } = await attempt(offset)
      if (resumed) resumes++
      await rename(part, dest)
      return { path: dest, bytes, resumes, restarts }
    } catch (error) {
      if (signal?.aborted) {
        await rm(part, { force: true })
        throw canceled()
      }
      if (error instanceof StartOver) {
        restarts++
        await rm(part, { force: true })
        continue
      }
      if (error instanceof Interruption) {
        failures++
        if (failures <= retries) {
          await new Promise((done) => setTimeout(done, (options.retryDelayMs ?? 500) * failures))
          continue
        }
        const kept = await sizeOf(part)
        throw new AppFailure(
          appErrorCodes.downloadNetwork,
          `The download of ${basename(dest)} broke off (${error.message}) and ${retries} retries did not help.` +
            (kept > 0 ? ` ${formatBytes(kept)} are kept; starting the download again continues from there.` : ''),
          { cause: error },
        )
      }
      // a refusal: what came is not the file (or there is no room for it); keep nothing new
      if (!(error instanceof AppFailure && error.code === appErrorCodes.downloadNoSpace)) await rm(part, { force: true })
      throw error
    }
  }

  async function attempt(offset: number): Promise<{ bytes: number; resumed: boolean }> {
    let response: Response
    try {
      response = await fetch(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, signal, redirect: 'follow' })
    } catch (error) {
      if (signal?.aborted) throw canceled()
      throw new Interruption(describeNetworkError(error))
    }
    const body = response.body
    const drop = () => void body?.cancel().catch(() => undefined)
    if (response.status === 416 && offset > 0) {
      drop()
      throw new StartOver('range not satisfiable')
    }
    if (!response.ok) {
      drop()
      if (response.status >= 500 || response.status === 408 || response.status === 429) throw new Interruption(`the server answered HTTP ${response.status}`)
      throw new AppFailure(
        appErrorCodes.downloadHttp,
        `The server answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''} for ${url}. The link may have moved: see the authors' download instructions.`,
      )
    }
    let start = 0
    let total: number | null = null
    if (response.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '')
      if (!range || Number(range[1]) !== offset) {
        drop()
        throw new StartOver('the server sent another range than asked')
      }
      start = offset
      total = range[3] === '*' ? null : Number(range[3])
    } else {
      const length = response.headers.get('content-length')
      total = length !== null && /^\d+$/.test(length) ? Number(length) : null
    }
    const type = response.headers.get('content-type') ?? ''
    if (htmlType.test(type)) {
      drop()
      throw notCheckpointFailure(`The link gave a web page (${type.split(';')[0]}) instead of the checkpoint`, url)
    }
    const needed = Math.max(0, (total ?? options.expectedBytes ?? 0) - start) + (options.extraBytes ?? 0)
    const free = await freeBytes(dirname(dest))
    if (free < needed) {
      drop()
      throw new AppFailure(
        appErrorCodes.downloadNoSpace,
        `Not enough free disk space: the download and the model made from it need about ${formatBytes(needed)}, and ${formatBytes(free)} are free where it is saved (${dirname(dest)}).`,
      )
    }
    if (!body) throw new Interruption('the server sent no body')
    const file: FileHandle = await open(part, start === 0 ? 'w' : 'a')
    let received = start
    let first = start === 0
    let last = 0
    // a report held back by the interval still goes out when the interval ends (a stalled download shows what it has)
    let pending: ReturnType<typeof setTimeout> | null = null
    const send = () => {
      pending = null
      last = Date.now()
      options.onProgress?.({ stage: 'download', receivedBytes: received, totalBytes: total, fraction: total ? Math.min(1, received / total) : null, resumedFrom: start })
    }
    const report = (force: boolean) => {
      if (force || Date.now() - last >= interval) {
        if (pending) clearTimeout(pending)
        send()
      } else pending ??= setTimeout(send, interval - (Date.now() - last))
    }
    try {
      report(true)
      const reader = body.getReader()
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>
        try {
          chunk = await reader.read()
        } catch (error) {
          if (signal?.aborted) throw canceled()
          throw new Interruption(describeNetworkError(error))
        }
        if (chunk.done) break
        const bytes = chunk.value
        if (first && bytes.length > 0) {
          first = false
          if (looksLikeMarkup(bytes)) {
            void reader.cancel().catch(() => undefined)
            throw notCheckpointFailure('The link gave a web page instead of the checkpoint', url)
          }
        }
        await file.write(bytes)
        received += bytes.length
        report(false)
      }
      report(true)
    } finally {
      if (pending) clearTimeout(pending)
      await file.close()
    }
    if (total !== null && received < total) throw new Interruption(`the connection ended after ${formatBytes(received)} of ${formatBytes(total)}`)
    if (received === 0) throw notCheckpointFailure('The link gave an empty file', url)
    return { bytes: received, resumed: start > 0 }
  }
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`
  return error instanceof Error ? error.message : String(error)
}

const requiredEntries = ['g_ema', 'e_ema', 'train_args']

/**
 * Reads the checkpoint's header and object tree (no weights) to refuse early what is not a
 * StyleMapGAN checkpoint: a page, a cut file, a pickle with code in it, one without g_ema,
 * e_ema or train_args. Refusals are E_DOWNLOAD_NOT_CHECKPOINT; `url` is where it came from.
 */
export async function checkCheckpoint(path: string, url: string | null): Promise<void> {
  let checkpoint: Checkpoint
  try {
    checkpoint = await Checkpoint.open(path)
  } catch (error) {
    if (!(error instanceof CheckpointError)) throw error
    const name = basename(path)
    switch (error.code) {
      case checkpointErrorCodes.notCheckpoint:
        throw notCheckpointFailure(`${name} is not a PyTorch checkpoint (${error.message})`, url)
      case checkpointErrorCodes.truncated:
        throw notCheckpointFailure(`${name} is cut off: ${error.message}`, url)
      case checkpointErrorCodes.unsafe:
        throw notCheckpointFailure(`${name} holds code, not only weights, and was not opened (${error.message})`, url)
      case checkpointErrorCodes.format:
      case checkpointErrorCodes.missingEntry:
        throw notCheckpointFailure(`${name} is not a checkpoint this app can read (${error.message})`, url)
      case checkpointErrorCodes.read:
        throw new AppFailure(error.code, error.message, { cause: error })
      default:
        return assertNever(error.code)
    }
  }
  try {
    for (const key of requiredEntries) {
      try {
        checkpoint.entry(key)
      } catch (error) {
        if (error instanceof CheckpointError) throw notCheckpointFailure(`${basename(path)} is not a StyleMapGAN checkpoint: ${error.message}`, url)
        throw error
      }
    }
  } finally {
    await checkpoint.close()
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected ${String(value)}`)
}

export interface InstallOptions {
  /** The checkpoint file to import (downloaded, dropped or chosen). */
  checkpoint: string
  /** Where it came from, for the advice in a refusal; null for a file the user brought. */
  url: string | null
  /** The model folder to write. */
  modelDir: string
  importer: CheckpointImporter
  importOptions?: Omit<ImportOptions, 'onProgress' | 'signal'>
  onProgress?: (progress: ProgressReport) => void
  /** Stops the import (the importer stops at its next step): E_DOWNLOAD_CANCELED. */
  signal?: AbortSignal
}

/**
 * Checks the checkpoint and imports it into `modelDir`. Nothing is left in `modelDir` when it
 * fails or is canceled (the importer promises it; a folder left anyway is removed).
 */
export async function installCheckpoint(options: InstallOptions): Promise<ImportResult> {
  const size = await sizeOf(options.checkpoint)
  const progress = (stage: ProgressReport['stage'], fraction: number | null) =>
    options.onProgress?.({ stage, receivedBytes: size, totalBytes: size, fraction, resumedFrom: 0 })
  const { signal } = options
  progress('check', null)
  await checkCheckpoint(options.checkpoint, options.url)
  if (signal?.aborted) throw canceled('import')
  const existed = await stat(options.modelDir).then(() => true, () => false)
  progress('import', 0)
  try {
    return await options.importer(options.checkpoint, options.modelDir, {
      ...options.importOptions,
      signal,
      onProgress: (fraction) => progress('import', Math.max(0, Math.min(1, fraction))),
    })
  } catch (error) {
    if (!existed) await rm(options.modelDir, { recursive: true, force: true })
    // stopped on purpose: whatever the importer ended with (E_CONVERT_CANCELED), it is a cancel
    if (signal?.aborted) throw canceled('import')
    throw error
  }
}

export interface DownloadModelOptions extends Omit<FetchOptions, 'dest' | 'onProgress'> {
  /** Where the raw checkpoint is saved (and kept with keepCheckpoint). */
  checkpointPath: string
  modelDir: string
  keepCheckpoint?: boolean
  importer: CheckpointImporter
  importOptions?: Omit<ImportOptions, 'onProgress' | 'signal'>
  onProgress?: (progress: ProgressReport) => void
}

export interface DownloadModelResult extends ImportResult {
  /** The raw checkpoint, when it was kept. */
  checkpoint: string | null
  download: FetchResult
}

/**
 * Download, check, import; then remove the raw checkpoint unless it is to be kept. A checkpoint
 * already downloaded whole by an earlier run whose import failed is imported without
 * downloading it again; when an import fails, the downloaded file stays for that (a refused
 * file does not, nor does one whose download or import was canceled: `signal` stops either).
 */
export async function downloadModel(options: DownloadModelOptions): Promise<DownloadModelResult> {
  const { checkpointPath, modelDir, keepCheckpoint = false, importer, importOptions, onProgress, ...fetchOptions } = options
  // only a whole download is ever renamed from .part to this name
  const earlier = await stat(checkpointPath).then((found) => (found.isFile() ? found.size : null), () => null)
  const download: FetchResult =
    earlier !== null ? { path: checkpointPath, bytes: earlier, resumes: 0, restarts: 0 } : await fetchFile({ ...fetchOptions, dest: checkpointPath, onProgress })
  let result: ImportResult
  try {
    if (options.signal?.aborted) throw canceled('import')
    result = await installCheckpoint({ checkpoint: checkpointPath, url: options.url, modelDir, importer, importOptions, onProgress, signal: options.signal })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (code === appErrorCodes.downloadNotCheckpoint || code === appErrorCodes.downloadCanceled) {
      await rm(checkpointPath, { force: true })
      throw error
    }
    const message = error instanceof Error ? error.message : String(error)
    throw new AppFailure(
      typeof code === 'string' && /^E_[A-Z0-9_]+$/.test(code) ? code : 'E_INTERNAL',
      `${message.replace(/[.\s]*$/, '.')} The downloaded ${basename(checkpointPath)} is kept: trying again imports it without downloading it again.`,
      { cause: error },
    )
  }
  if (!keepCheckpoint) await rm(checkpointPath, { force: true })
  return { ...result, checkpoint: keepCheckpoint ? checkpointPath : null, download }
}

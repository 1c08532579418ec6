// Brings a model folder imported by an earlier version of the app to today's graphs, without
// its checkpoint. An imported folder is a template's graphs byte for byte plus data files that
// hold the checkpoint's tensors as they are, so a folder whose graphs are an earlier version of
// its template (history.json, kept by models/smgan/templates.py) holds every tensor today's
// graphs read: they are moved to today's offsets, today's graphs copied beside them, and the
// new folder checked in a process of its own (it must load and run, and compute what the old one
// computes) before it replaces the old one. The graphs are where edits got quicker (the
// incremental and draft paths, then leaner forms of the same layers), so an older import gets
// them too. A failure or a cancel leaves the old folder as it was.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { chmod, cp, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import { EngineError } from '../engine/errors.js'
import { copyGraph, moveIntoPlace, writeWeights } from './importCheckpoint.js'
import { type Architecture, type Layout, type Template, defaultTemplatesDir, findTemplate, templateErrorCodes, templateHistory } from './templates.js'
import { type SpawnVerify, canceledErrorCode, forkVerify, verifyInChild } from './verifyProcess.js'
import { verifyErrorCode } from './verifyFolder.js'

export const upgradeErrorCodes = {
  /** The folder was not written by an import from a template this app knows (the Python converter's, a hand-made one). */
  unknown: 'E_UPGRADE_UNKNOWN',
  /** Written by the first templates (2026-12-02), which stored some weights transformed: import the checkpoint again. */
  early: 'E_UPGRADE_EARLY',
  /** A data file of the folder is not what its model.json says. */
  damaged: 'E_UPGRADE_DAMAGED',
  /** The folder cannot be read, or the new one cannot be written or moved into place. */
  write: 'E_UPGRADE_WRITE',
  /** The new folder does not load, or does not compute what the old one does. */
  verify: 'E_UPGRADE_VERIFY',
  canceled: 'E_UPGRADE_CANCELED',
} as const

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/i)

/** What an upgrade reads of model.json; every other field is kept as it is. */
const folderManifestSchema = z
  .object({
    format: z.literal('stylemap-onnx/1'),
    architecture: z.object({}).passthrough(),
    files: z.record(z.string(), z.string()),
    sha256: z.record(z.string(), sha256Schema),
  })
  .passthrough()

/** Where a model folder stands against today's templates. */
export type FolderVersion =
  /** Its graphs are today's template's. */
  | { state: 'current'; template: string }
  /** Its graphs are an earlier version of a template whose data files hold the tensors as they are. */
  | { state: 'upgradable'; template: string }
  /** An earlier version that stored some tensors transformed: only a new import brings it up to date. */
  | { state: 'early'; template: string }
  /** Not written by an import from a template this app knows (no architecture in model.json, other graphs). */
  | { state: 'unknown'; reason: string }

interface Identified {
  version: FolderVersion
  manifest?: z.output<typeof folderManifestSchema>
  template?: Template
  layout?: Layout
}

async function identify(dir: string, templatesDir: string): Promise<Identified> {
  let json: unknown
  try {
    json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
  } catch (e) {
    return { version: { state: 'unknown', reason: `its model.json does not read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` } }
  }
  const parsed = folderManifestSchema.safeParse(json)
  if (!parsed.success) return { version: { state: 'unknown', reason: 'its model.json names no architecture (it was not imported from a checkpoint by this app)' } }
  const manifest = parsed.data
  let template: Template
  try {
    template = await findTemplate(manifest.architecture as unknown as Architecture, templatesDir)
  } catch (e) {
    if ((e as EngineError).code === templateErrorCodes.architecture) return { version: { state: 'unknown', reason: 'no template has its architecture' } }
    throw e
  }
  const graphs = Object.values(manifest.files)
  const same = (sha256: Record<string, string>) => {
    const names = Object.keys(sha256)
    return names.length === graphs.length && graphs.every((f) => sha256[f] !== undefined && sha256[f] === manifest.sha256[f]?.toLowerCase())
  }
  if (same(template.sha256)) return { version: { state: 'current', template: template.name }, manifest, template }
  const earlier = (await templateHistory(template)).find((v) => same(v.sha256))
  if (!earlier) return { version: { state: 'unknown', reason: `its graphs are no version of the ${template.name} template this app knows` } }
  if (!earlier.layout) return { version: { state: 'early', template: template.name }, manifest, template }
  return { version: { state: 'upgradable', template: template.name }, manifest, template, layout: earlier.layout }
}

/** Where the model folder in `dir` stands against the templates in `templatesDir`; reads only its model.json. */
export async function folderVersion(dir: string, templatesDir = defaultTemplatesDir): Promise<FolderVersion> {
  return (await identify(dir, templatesDir)).version
}

export interface UpgradeOptions {
  /** Where the graph templates are (models/templates of this checkout by default). */
  templatesDir?: string
  /** Called as the upgrade moves on: fraction in 0..1 and the stage's name (hash, weights, verify, move, done). */
  onProgress?: (fraction: number, stage: string) => void
  /** Stops the upgrade (E_UPGRADE_CANCELED); the folder stays as it was. */
  signal?: AbortSignal
  /** Starts the check process (default: child_process.fork; Electron main passes utilityProcess). */
  spawnVerify?: SpawnVerify
}

export interface UpgradeResult {
  dir: string
  /** The template the folder now matches. */
  template: string
  /** False when the folder was current already (nothing was written). */
  upgraded: boolean
  /** The new folder against the old one: the largest relative error of an image and a stylemap. */
  maxRelativeError?: number
  seconds: number
}

/** sha256 of a file, streamed. */
function fileSha256(path: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolveHash, reject) => {
    const hash = createHash('sha256')
    const stream = createReadStream(path, { highWaterMark: 1 << 22 })
    const cancel = () => stream.destroy(new EngineError(upgradeErrorCodes.canceled, 'the upgrade was canceled'))
    signal?.addEventListener('abort', cancel, { once: true })
    stream.on('data', (chunk) => hash.update(chunk))
    stream.on('error', (e) => {
      signal?.removeEventListener('abort', cancel)
      reject(e)
    })
    stream.on('end', () => {
      signal?.removeEventListener('abort', cancel)
      resolveHash(hash.digest('hex'))
    })
  })
}

/** An error of the steps it shares with the importer, in the upgrade's codes. */
function asUpgradeError(e: unknown, dir: string): unknown {
  const code = (e as { code?: unknown })?.code
  const message = (e as Error)?.message ?? String(e)
  if (code === canceledErrorCode || code === upgradeErrorCodes.canceled) return new EngineError(upgradeErrorCodes.canceled, 'the upgrade was canceled', { cause: e })
  if (code === 'E_CONVERT_OUTPUT_WRITE') return new EngineError(upgradeErrorCodes.write, message, { cause: e })
  if (code === verifyErrorCode) return new EngineError(upgradeErrorCodes.verify, `the upgraded model failed its check, so ${dir} was left as it was: ${message}`, { cause: e })
  if (e instanceof EngineError) return e
  if (typeof code === 'string' && ['ENOSPC', 'EACCES', 'EROFS', 'EDQUOT', 'EPERM', 'ENOENT', 'EBUSY'].includes(code)) {
    return new EngineError(upgradeErrorCodes.write, `cannot upgrade ${dir}: ${message}`, { cause: e })
  }
  return e
}

/**
 * Brings the model folder in `dir` to today's graphs (see the top of this file). A folder that is
 * current already is left alone ({ upgraded: false }); one that cannot be brought up fails with
 * E_UPGRADE_UNKNOWN or E_UPGRADE_EARLY, and any failure leaves it as it was. The folder keeps its
 * path, id, name, licence and alignment, and any other file in it; model.json gets today's
 * graphs, their sizes and sha256.
 */
export async function upgradeFolder(dir: string, options: UpgradeOptions = {}): Promise<UpgradeResult> {
  const started = performance.now()
  const target = resolve(dir)
  const report = options.onProgress ?? (() => undefined)
  const signal = options.signal
  const stopIfCanceled = () => {
    if (signal?.aborted) throw new EngineError(upgradeErrorCodes.canceled, 'the upgrade was canceled')
  }
  const seconds = () => Math.round((performance.now() - started) / 10) / 100
  const { version, manifest, template, layout } = await identify(target, options.templatesDir ?? defaultTemplatesDir)
  if (version.state === 'current') return { dir: target, template: version.template, upgraded: false, seconds: seconds() }
  if (version.state === 'unknown') throw new EngineError(upgradeErrorCodes.unknown, `${dir} cannot be upgraded: ${version.reason}. Import its checkpoint again to get today's graphs.`)
  if (version.state === 'early') {
    throw new EngineError(upgradeErrorCodes.early, `${dir} was imported by an early version of the app (2026-12-02), which stored some weights in another form: import its checkpoint again to get today's graphs.`)
  }
  if (!manifest || !template || !layout) throw new Error('upgradeFolder: an upgradable folder without its template')

  let staging: string | null = null
  const handles = new Map<string, Awaited<ReturnType<typeof open>>>()
  try {
    // the data files are copied from, so they must be what model.json says (a damaged one would be laundered into new hashes)
    const sources = [...new Set([...layout.values()].map((t) => t.file))]
    for (const [k, file] of sources.entries()) {
      stopIfCanceled()
      report((0.3 * k) / sources.length, 'hash')
      const expected = manifest.sha256[file]?.toLowerCase()
      const actual = await fileSha256(join(target, file), signal).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') throw new EngineError(upgradeErrorCodes.damaged, `${dir} lacks ${file}; import its checkpoint again`)
        throw e
      })
      if (!expected || actual !== expected) throw new EngineError(upgradeErrorCodes.damaged, `${file} in ${dir} is damaged (its sha256 is not the one model.json gives); import its checkpoint again`)
    }

    staging = await mkdtemp(join(dirname(target), '.upgrade-'))
    await chmod(staging, 0o755)
    const sha256: Record<string, string> = {}
    for (const name of Object.values(template.files)) sha256[name] = await copyGraph(template, name, staging)
    for (const file of sources) handles.set(file, await open(join(target, file), 'r'))
    const total = Object.values(template.weights).reduce((n, w) => n + w.size, 0)
    let written = 0
    for (const [name, entry] of Object.entries(template.weights)) {
      sha256[name] = await writeWeights(
        join(staging, name),
        entry,
        async (t) => {
          const from = layout.get(t.key)
          if (!from || from.length !== t.length) throw new EngineError(upgradeErrorCodes.unknown, `${dir} cannot be upgraded: its data files lack ${t.key} as today's graphs read it`)
          const bytes = new Uint8Array(t.length)
          let done = 0
          const handle = handles.get(from.file)!
          while (done < bytes.length) {
            const { bytesRead } = await handle.read(bytes, done, bytes.length - done, from.offset + done)
            if (bytesRead === 0) throw new EngineError(upgradeErrorCodes.damaged, `${from.file} in ${dir} ends before ${t.key}`)
            done += bytesRead
          }
          return bytes
        },
        (bytes) => {
          written += bytes
          report(0.3 + (0.4 * written) / Math.max(1, total), 'weights')
        },
        signal,
      )
    }
    for (const handle of handles.values()) await handle.close()
    handles.clear()
    // every field the user or the import gave stays; what the graphs are and need is today's
    const upgraded = {
      ...manifest,
      styles: template.styles,
      modulations: template.modulations,
      preview: template.preview,
      mapping: template.mapping,
      files: template.files,
      architecture: template.architecture,
      sha256,
    }
    await writeFile(join(staging, 'model.json'), `${JSON.stringify(upgraded, null, 2)}\n`, { mode: 0o644 })
    // whatever else the user keeps in the folder (notes, a licence file) moves with it
    const ours = new Set(['model.json', ...Object.values(manifest.files), ...Object.keys(manifest.sha256), ...Object.keys(sha256)])
    for (const entry of await readdir(target)) {
      if (!ours.has(entry)) await cp(join(target, entry), join(staging, entry), { recursive: true, preserveTimestamps: true })
    }

    stopIfCanceled()
    report(0.7, 'verify')
    const verified = await verifyInChild(staging, options.spawnVerify ?? forkVerify, signal, target)
    stopIfCanceled()
    report(0.99, 'move')
    await moveIntoPlace(staging, target)
    staging = null
    report(1, 'done')
    return { dir: target, template: template.name, upgraded: true, maxRelativeError: verified.against?.maxRelativeError, seconds: seconds() }
  } catch (e) {
    throw asUpgradeError(e, dir)
  } finally {
    for (const handle of handles.values()) await handle.close().catch(() => undefined)
    if (staging) await rm(staging, { recursive: true, force: true })
  }
}

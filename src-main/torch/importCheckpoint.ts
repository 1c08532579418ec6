// Imports a released-format StyleMapGAN checkpoint (g_ema, e_ema, train_args) into a model
// folder without Python: the graphs come from the weightless templates in models/templates
// (models/smgan/templates.py), the weights are streamed tensor by tensor from the checkpoint
// into the folder's data files. The folder is written beside `out`, loaded and run once by
// the engine in a process of its own (verifyProcess.ts: the graphs never count against this
// process's memory), and only then moved into place, so a failure or a cancel leaves nothing
// behind.
import { createHash } from 'node:crypto'
import { lstatSync, readFileSync } from 'node:fs'
import { chmod, lstat, mkdir, mkdtemp, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { EngineError } from '../engine/errors.js'
import { Checkpoint } from './checkpoint.js'
import { CheckpointError, checkpointErrorCodes } from './errors.js'
import { type Template, type TemplateTensor, architectureOf, defaultTemplatesDir, findTemplate, templateErrorCodes } from './templates.js'
import { type PickleValue, type TensorRef, isTensorRef } from './values.js'
import { verifyErrorCode } from './verifyFolder.js'
import { type SpawnVerify, canceledError, canceledErrorCode, forkVerify, verifyInChild } from './verifyProcess.js'
import { peakRssMiB } from '../engine/peakRss.js'

export interface ImportOptions {
  id?: string
  name?: string
  license?: string
  domain?: string
  source?: string
  default?: boolean
  force?: boolean
  alignment?: 'auto' | 'ffhq' | 'none'
  /** Called as the import moves on: fraction in 0..1 and the stage's name. */
  onProgress?: (fraction: number, stage: string) => void
  /** Where the graph templates are (models/templates of this checkout by default). */
  templatesDir?: string
  /** Stops the import at the next tensor, or the check process at once: E_CONVERT_CANCELED, nothing left behind. */
  signal?: AbortSignal
  /** Starts the folder's check process (default: child_process.fork; Electron main passes utilityProcess). */
  spawnVerify?: SpawnVerify
}

export interface ImportResult {
  /** The model folder written (absolute). */
  dir: string
  /** Its model.json. */
  manifest: unknown
  /** Seconds per stage (read, weights, verify, check, total). */
  seconds: Record<string, number>
  /**
   * Peak RSS in MiB. weights and total: the importing process's (it includes whatever the
   * process held before) after the weights are written (reading the checkpoint and writing the
   * folder) and at the end; verify: the check process's (it loads and runs the model's graphs one
   * at a time), which runs on its own after the weights are written.
   */
  peakRssMiB?: { weights: number; total: number; verify?: number }
  /**
   * The folder's own consistency check: synthesis(resizer(w)) against features(modulation(resizer(w)))
   * (or decoder(w) for a folder without those graphs) for a random stylemap: graphs that share the
   * generator's data file through different offsets.
   * The PyTorch comparison is models/importParity.test.ts's. (Optional in the type so that
   * stand-ins written against the first interface still fit.)
   */
  check?: { maxRelativeError: number; cases: number }
}

/** The converter's codes (shared with models/smgan/convert.py) plus the template importer's. */
export const convertErrorCodes = {
  notFound: 'E_CONVERT_NOT_FOUND',
  notCheckpoint: 'E_CONVERT_NOT_CHECKPOINT',
  keys: 'E_CONVERT_KEYS',
  unsafe: 'E_CONVERT_UNSAFE',
  outputNotDir: 'E_CONVERT_OUTPUT_NOT_DIR',
  outputExists: 'E_CONVERT_OUTPUT_EXISTS',
  outputWrite: 'E_CONVERT_OUTPUT_WRITE',
  /** The written folder did not load or run in the engine (a template or importer bug). */
  verify: verifyErrorCode,
  /** The import was stopped through its AbortSignal. */
  canceled: canceledErrorCode,
} as const

export const releasedLicense = 'CC BY-NC 4.0 (StyleMapGAN released weights; pass --license to override)'

/** What the checkpoint's file name says the images are (convert.py's guess_domain). */
export function guessDomain(name: string): string {
  const lower = name.toLowerCase()
  if (['celeba', 'ffhq', 'face', 'utk'].some((k) => lower.includes(k))) return 'face'
  if (lower.includes('afhq')) return 'animal-face'
  if (lower.includes('car')) return 'car'
  if (lower.includes('church')) return 'church'
  return 'generic'
}

/**
 * The face alignment for model.json (convert.py's alignment_for): the FFHQ-style template for
 * celeba/ffhq checkpoints with 'auto', always with 'ffhq', never with 'none'.
 */
export function alignmentFor(name: string, choice: 'auto' | 'ffhq' | 'none' = 'auto', path = join(defaultTemplatesDir, 'alignments.json')): unknown {
  if (choice === 'none') return null
  const lower = name.toLowerCase()
  if (choice === 'auto' && !['celeba', 'ffhq'].some((k) => lower.includes(k))) return null
  return (JSON.parse(readFileSync(path, 'utf8')) as { ffhq: unknown }).ffhq
}

/**
 * --out must be a folder that can be created or replaced (whether it may be is checkEmpty's
 * question, with --force); checked before the checkpoint is read (convert.py's check_output).
 */
export function checkOutput(out: string, shown: string): void {
  const info = lstatSync(out, { throwIfNoEntry: false })
  if (info?.isSymbolicLink()) throw new EngineError(convertErrorCodes.outputNotDir, `${shown} is a symbolic link; --out names the model folder to write, not a link`)
  if (info && !info.isDirectory()) {
    throw new EngineError(convertErrorCodes.outputNotDir, `${shown} is a file, not a folder; --out names the model folder to write (--force replaces a folder, never a file)`)
  }
  let ancestor = dirname(out)
  while (!lstatSync(ancestor, { throwIfNoEntry: false })) ancestor = dirname(ancestor)
  if (!lstatSync(ancestor).isDirectory()) throw new EngineError(convertErrorCodes.outputNotDir, `${shown} cannot be created: ${ancestor} is a file, not a folder`)
}

async function checkEmpty(out: string, shown: string, force: boolean): Promise<void> {
  const entries = await readdir(out).catch(() => [])
  if (entries.length && !force) throw new EngineError(convertErrorCodes.outputExists, `${shown} already exists and is not empty (pass --force to replace it)`)
}

/** A reader failure as the converter's code; the message keeps the reader's reason. */
function asConvertError(e: unknown, file: string): unknown {
  if (!(e instanceof CheckpointError)) return e
  const name = basename(file)
  switch (e.code) {
    case checkpointErrorCodes.unsafe:
      return new EngineError(convertErrorCodes.unsafe, `${name}: ${e.message}; refused without running it (only tensors, containers and train_args are read)`, { cause: e })
    case checkpointErrorCodes.missingEntry:
      return new EngineError(convertErrorCodes.keys, `${e.message} (expected the released StyleMapGAN layout)`, { cause: e })
    case checkpointErrorCodes.read:
      return new EngineError(convertErrorCodes.notFound, e.message, { cause: e })
    case checkpointErrorCodes.truncated:
      // a more useful word than "not a checkpoint": the download or copy stopped early
      return new EngineError(checkpointErrorCodes.truncated, `${name} is cut off (an interrupted download or copy?): ${e.message}`, { cause: e })
    case checkpointErrorCodes.notCheckpoint:
    case checkpointErrorCodes.format:
      return new EngineError(convertErrorCodes.notCheckpoint, `${name} is not a readable PyTorch checkpoint: ${e.message}`, { cause: e })
    default: {
      const never: never = e.code
      return new EngineError(convertErrorCodes.notCheckpoint, `${name}: ${String(never)}`, { cause: e })
    }
  }
}

/** g_ema / e_ema as key -> tensor, checked strictly against the template (checkpoint.py's _load_strict). */
function stateDict(checkpoint: Checkpoint, entry: 'g_ema' | 'e_ema', template: Template): Map<string, TensorRef> {
  const value = checkpoint.entry(entry)
  if (!(value instanceof Map)) throw new EngineError(convertErrorCodes.keys, `${entry} is not a state dict`)
  const tensors = new Map<string, TensorRef>()
  for (const [k, v] of value) {
    if (typeof k !== 'string' || !isTensorRef(v as PickleValue)) throw new EngineError(convertErrorCodes.keys, `${entry} holds ${String(k)}, which is not a tensor`)
    tensors.set(k, v as TensorRef)
  }
  const prefix = `${entry}.`
  const expected = Object.entries(template.stateDict).filter(([k]) => k.startsWith(prefix))
  const missing = expected.map(([k]) => k.slice(prefix.length)).filter((k) => !tensors.has(k))
  const expectedKeys = new Set(expected.map(([k]) => k.slice(prefix.length)))
  const unexpected = [...tensors.keys()].filter((k) => !expectedKeys.has(k))
  if (missing.length || unexpected.length) {
    const parts: string[] = []
    if (missing.length) parts.push(`missing ${missing.length} keys (first: ${missing[0]})`)
    if (unexpected.length) parts.push(`${unexpected.length} unexpected keys (first: ${unexpected[0]})`)
    throw new EngineError(convertErrorCodes.keys, `${entry} does not match the architecture from train_args: ${parts.join('; ')}`)
  }
  for (const [k, shape] of expected) {
    const got = (tensors.get(k.slice(prefix.length)) as TensorRef).shape
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) {
      throw new EngineError(convertErrorCodes.keys, `${k} has shape (${got.join(', ')}), expected (${shape.join(', ')})`)
    }
  }
  return tensors
}

/** The architecture's upsampling blur: [1, 3, 3, 1] outer itself, normalised, times 4 (smgan/layers.py Blur). */
const upsampleBlur = (() => {
  const taps = [1, 3, 3, 1]
  return Float32Array.from({ length: 16 }, (_, k) => (taps[k >> 2] * taps[k & 3] * 4) / 64)
})()

/**
 * The blur buffers the graphs do not read (the up-blocks' skips, exported as a Resize that has the
 * architecture's blur built in; layers.upsample_blur_1x1) must hold that blur: a checkpoint with
 * another is another architecture, refused rather than imported as if it were this one.
 */
async function checkUnreadBlurs(checkpoint: Checkpoint, template: Template, tensors: Record<'g_ema' | 'e_ema', Map<string, TensorRef>>): Promise<void> {
  const read = new Set(Object.values(template.weights).flatMap((w) => w.tensors.map((t) => t.key)))
  for (const key of Object.keys(template.stateDict)) {
    if (!key.endsWith('.kernel') || read.has(key)) continue
    const { data } = await checkpoint.loadTensor(lookup(key, tensors))
    if (data.length !== upsampleBlur.length || data.some((v, k) => Math.abs(v - upsampleBlur[k]) > 1e-6)) {
      throw new EngineError(
        templateErrorCodes.architecture,
        `${key} is not the [1, 3, 3, 1] upsampling blur the templates build in; this checkpoint is another architecture (--via python checks it against PyTorch, which will refuse it too)`,
      )
    }
  }
}

const zeros = new Uint8Array(4096)

function lookup(key: string, tensors: Record<'g_ema' | 'e_ema', Map<string, TensorRef>>): TensorRef {
  const [network, ...rest] = key.split('.')
  const ref = tensors[network as 'g_ema' | 'e_ema']?.get(rest.join('.'))
  if (!ref) throw new EngineError('E_CONVERT_TEMPLATE', `the template names ${key}, which its own state dict list lacks`)
  return ref
}

/** A data file tensor: the checkpoint tensor as it is. */
async function tensorFor(checkpoint: Checkpoint, t: TemplateTensor, tensors: Record<'g_ema' | 'e_ema', Map<string, TensorRef>>): Promise<Float32Array> {
  return (await checkpoint.loadTensor(lookup(t.key, tensors))).data
}

/**
 * Writes one data file: every tensor at its template offset as float32, its bytes from `read`,
 * zeros between; the sha256 is taken as it is written, so the file is never read back. One
 * tensor in memory at a time. (upgradeFolder.ts writes today's layout from an older folder's.)
 */
export async function writeWeights(
  path: string,
  entry: Template['weights'][string],
  read: (t: TemplateTensor) => Promise<Uint8Array>,
  progress: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<string> {
  const hash = createHash('sha256')
  const file = await open(path, 'wx', 0o644)
  try {
    let at = 0
    const put = async (bytes: Uint8Array): Promise<void> => {
      hash.update(bytes)
      let done = 0
      while (done < bytes.length) done += (await file.write(bytes, done, bytes.length - done, at + done)).bytesWritten
      at += bytes.length
    }
    for (const t of entry.tensors) {
      if (signal?.aborted) throw canceledError()
      if (t.offset < at) throw new EngineError(convertErrorCodes.verify, `the template's ${t.key} overlaps the tensor before it`)
      while (at < t.offset) await put(zeros.subarray(0, Math.min(zeros.length, t.offset - at)))
      const data = await read(t)
      if (data.byteLength !== t.length) throw new EngineError(convertErrorCodes.verify, `the template's ${t.key} is ${t.length} bytes, the tensor ${data.byteLength}`)
      await put(data)
      progress(t.length)
    }
    if (at !== entry.size) throw new EngineError(convertErrorCodes.verify, `${basename(path)} came out ${at} bytes, the template says ${entry.size}`)
  } finally {
    await file.close()
  }
  return hash.digest('hex')
}

/** A checkpoint tensor's bytes for writeWeights: float32 little-endian, as ONNX external data is. */
function checkpointBytes(checkpoint: Checkpoint, tensors: Record<'g_ema' | 'e_ema', Map<string, TensorRef>>): (t: TemplateTensor) => Promise<Uint8Array> {
  return async (t) => {
    const data = await tensorFor(checkpoint, t, tensors)
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  }
}

/** Copies the template's graph `name` into the folder `to`, checked against template.json; its sha256. */
export async function copyGraph(template: Template, name: string, to: string): Promise<string> {
  const bytes = await readFile(join(template.dir, name)).catch((e: NodeJS.ErrnoException) => {
    throw new EngineError('E_CONVERT_TEMPLATE', `template ${template.name} lacks ${name} (${e.code}); reinstall, or convert with --via python`)
  })
  const digest = createHash('sha256').update(bytes).digest('hex')
  if (digest !== template.sha256[name]) throw new EngineError('E_CONVERT_TEMPLATE', `template ${template.name}/${name} is damaged (sha256 differs from template.json); reinstall, or convert with --via python`)
  await writeFile(join(to, name), bytes, { flag: 'wx', mode: 0o644 })
  return digest
}

/** Writes model.json with convert.py/export.py's fields, in their order. */
function manifestFor(template: Template, meta: Required<Pick<ImportOptions, 'id' | 'name' | 'domain' | 'source' | 'license' | 'default'>> & { alignment: unknown }, sha256: Record<string, string>) {
  return {
    format: template.modelFormat,
    id: meta.id,
    name: meta.name,
    resolution: template.resolution,
    stylemap: template.stylemap,
    styles: template.styles,
    ...(template.modulations ? { modulations: template.modulations } : {}),
    ...(template.preview ? { preview: template.preview } : {}),
    mapping: template.mapping,
    domain: meta.domain,
    files: template.files,
    source: meta.source,
    license: meta.license,
    architecture: template.architecture,
    sha256,
    default: meta.default,
    ...(meta.alignment ? { alignment: meta.alignment } : {}),
  }
}


/**
 * Converts `checkpoint` into the model folder `out`, checked by loading it with the engine (in
 * a process of its own) before it is moved into place. Failures are EngineErrors with
 * E_CONVERT_* codes (as the Python converter's; E_CONVERT_CANCELED when `signal` stops it) or
 * E_CHECKPOINT_TRUNCATED, and leave no folder behind.
 */
export async function importCheckpoint(checkpoint: string, out: string, options: ImportOptions = {}): Promise<ImportResult> {
  const started = performance.now()
  const seconds: Record<string, number> = {}
  const lap = (stage: string, since: number): number => {
    const now = performance.now()
    seconds[stage] = Math.round((now - since) / 10) / 100
    return now
  }
  const report = options.onProgress ?? (() => undefined)
  const signal = options.signal
  const stopIfCanceled = () => {
    if (signal?.aborted) throw canceledError()
  }
  const target = resolve(out)
  checkOutput(target, out)
  await checkEmpty(target, out, !!options.force)
  const info = await lstat(checkpoint).catch(() => null)
  if (!info?.isFile()) throw new EngineError(convertErrorCodes.notFound, `checkpoint file not found: ${checkpoint}`)

  stopIfCanceled()
  report(0, 'read')
  let opened: Checkpoint
  try {
    opened = await Checkpoint.open(checkpoint)
  } catch (e) {
    throw asConvertError(e, checkpoint)
  }
  let staging: string | null = null
  try {
    if (!(opened.root instanceof Map)) throw new EngineError(convertErrorCodes.notCheckpoint, `${basename(checkpoint)} does not hold a checkpoint dict`)
    const missing = ['g_ema', 'e_ema', 'train_args'].filter((k) => !(opened.root as Map<PickleValue, PickleValue>).has(k))
    if (missing.length) throw new EngineError(convertErrorCodes.keys, `checkpoint lacks ${missing.join(', ')} (expected the released StyleMapGAN layout)`)
    const architecture = architectureOf(opened.entry('train_args'))
    const template = await findTemplate(architecture, options.templatesDir ?? defaultTemplatesDir)
    const tensors = { g_ema: stateDict(opened, 'g_ema', template), e_ema: stateDict(opened, 'e_ema', template) }
    await checkUnreadBlurs(opened, template, tensors)
    const t = lap('read', started)
    stopIfCanceled()

    const base = basename(checkpoint, extname(checkpoint))
    const meta = {
      id: options.id || basename(target),
      name: options.name || base,
      domain: options.domain || guessDomain(base),
      default: !!options.default,
      source: options.source || `converted from ${basename(checkpoint)}`,
      license: options.license || releasedLicense,
      // the face templates travel with the graph templates (an installed app has both in its resources)
      alignment: alignmentFor(base, options.alignment ?? 'auto', join(options.templatesDir ?? defaultTemplatesDir, 'alignments.json')),
    }
    try {
      await mkdir(dirname(target), { recursive: true })
      staging = await mkdtemp(join(dirname(target), '.convert-'))
      await chmod(staging, 0o755)
    } catch (e) {
      throw new EngineError(convertErrorCodes.outputWrite, `cannot create ${out}: ${(e as Error).message}`, { cause: e })
    }
    const sha256: Record<string, string> = {}
    for (const name of Object.values(template.files)) sha256[name] = await copyGraph(template, name, staging)
    const total = Object.values(template.weights).reduce((n, w) => n + w.size, 0)
    let written = 0
    for (const [name, entry] of Object.entries(template.weights)) {
      sha256[name] = await writeWeights(join(staging, name), entry, checkpointBytes(opened, tensors), (bytes) => {
        written += bytes
        report((0.8 * written) / Math.max(1, total), 'weights')
      }, signal)
    }
    const manifest = manifestFor(template, meta, sha256)
    await writeFile(join(staging, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o644 })
    await opened.close()
    lap('weights', t)
    const weightsPeak = peakRssMiB()

    stopIfCanceled()
    report(0.8, 'verify')
    const verified = await verifyInChild(staging, options.spawnVerify ?? forkVerify, signal)
    // the check process's own times; the rest of the stage (starting it) counts in total only
    seconds.verify = verified.seconds.verify
    seconds.check = verified.seconds.check

    stopIfCanceled()
    report(0.99, 'move')
    await moveIntoPlace(staging, target)
    staging = null
    seconds.total = Math.round((performance.now() - started) / 10) / 100
    report(1, 'done')
    return { dir: target, manifest, seconds, check: verified.check, peakRssMiB: { weights: weightsPeak, total: peakRssMiB(), verify: verified.peakRssMiB } }
  } catch (e) {
    const err = asConvertError(e, checkpoint)
    if (err instanceof EngineError || err instanceof CheckpointError) throw err
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOSPC' || code === 'EACCES' || code === 'EROFS' || code === 'EDQUOT') {
      throw new EngineError(convertErrorCodes.outputWrite, `cannot write ${out}: ${(e as Error).message}`, { cause: e })
    }
    if (e instanceof RangeError) throw new EngineError('E_CONVERT_MEMORY', 'not enough memory to convert this checkpoint', { cause: e })
    throw e
  } finally {
    await opened.close().catch(() => undefined)
    if (staging) await rm(staging, { recursive: true, force: true })
  }
}

/** Replaces `target` (absent, empty, or allowed by --force) with the finished staging folder. */
export async function moveIntoPlace(staging: string, target: string): Promise<void> {
  let old: string | null = null
  if (lstatSync(target, { throwIfNoEntry: false })) {
    old = `${staging}-old`
    await rename(target, old)
  }
  try {
    await rename(staging, target)
  } catch (e) {
    if (old) await rename(old, target).catch(() => undefined)
    throw new EngineError(convertErrorCodes.outputWrite, `cannot move the model into ${target}: ${(e as Error).message}`, { cause: e })
  }
  if (old) await rm(old, { recursive: true, force: true })
}

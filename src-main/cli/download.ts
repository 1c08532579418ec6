// `stylemap download`: the app's download manager from a terminal. Downloads a released
// checkpoint (--dataset, from the catalog) or any checkpoint link (--url) next to --out as
// DIR.pt (DIR.pt.part while it arrives; run the same command again to continue a download that
// broke off), imports it into the model folder --out and removes the .pt unless
// --keep-checkpoint. Progress goes to stderr, a JSON summary to stdout.
import { execFile } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { catalog, catalogEntry, catalogModelId, formatBytes, isCatalogDataset } from '../../src-shared/catalog.js'
import { downloadModel, type CheckpointImporter, type ProgressReport } from '../app/downloads.js'
import { EngineError, engineErrorCodes } from '../engine/errors.js'
import { importCheckpoint } from '../torch/importCheckpoint.js'
import { parseCommand } from './args.js'
import { findPython } from './convert.js'

const run = promisify(execFile)

export const downloadHelp = `  stylemap download (--dataset ${catalog.map((e) => e.dataset).join('|')} | --url URL) --out DIR
                    [--keep-checkpoint] [--id ID] [--name NAME] [--license TEXT] [--via typescript|python]`

export const downloadExitCodes: Record<string, number> = {
  E_DOWNLOAD_HTTP: 9,
  E_DOWNLOAD_NETWORK: 9,
  E_DOWNLOAD_NO_SPACE: 9,
  E_DOWNLOAD_NOT_CHECKPOINT: 10,
}

function usage(message: string): EngineError {
  return new EngineError(engineErrorCodes.badArgument, message)
}

/** The Python converter behind the importer's interface (`--via python`); its `E_*: message` line becomes the error. */
export function pythonImporter(modelsRoot: string): CheckpointImporter {
  return async (checkpoint, out, options = {}) => {
    const args = ['-m', 'smgan.convert', '--checkpoint', checkpoint, '--out', out]
    for (const key of ['id', 'name', 'license', 'domain', 'source', 'alignment'] as const) {
      const value = options[key]
      if (value !== undefined) args.push(`--${key}`, value)
    }
    if (options.force) args.push('--force')
    if (options.default) args.push('--default')
    const started = Date.now()
    try {
      const { stdout } = await run(findPython(), args, { cwd: modelsRoot, maxBuffer: 1 << 24 })
      const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { out?: string }
      const dir = summary.out ?? out
      return { dir, manifest: JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as unknown, seconds: { total: (Date.now() - started) / 1000 } }
    } catch (error) {
      const line = /^(E_[A-Z0-9_]+): (.*)$/m.exec(String((error as { stderr?: unknown }).stderr ?? ''))
      if (line) throw new EngineError(line[1] as `E_${string}`, line[2])
      throw error
    }
  }
}

/** Progress lines: rewritten in place on a terminal, one line per 10 % otherwise (logs stay short). */
function progressPrinter(name: string): (progress: ProgressReport) => void {
  const tty = Boolean(process.stderr.isTTY)
  let lastStep = -1
  let lastStage = ''
  return (p) => {
    if (p.stage !== 'download') {
      if (p.stage !== lastStage) process.stderr.write(`${tty && lastStage === 'download' ? '\n' : ''}${p.stage === 'check' ? 'checking' : 'importing'} ${name}\n`)
      lastStage = p.stage
      return
    }
    lastStage = p.stage
    const text = `downloading ${name}: ${p.fraction === null ? '' : `${Math.floor(p.fraction * 100)}% `}(${formatBytes(p.receivedBytes)}${p.totalBytes ? ` of ${formatBytes(p.totalBytes)}` : ''})${p.resumedFrom > 0 ? `, resumed at ${formatBytes(p.resumedFrom)}` : ''}`
    if (tty) {
      process.stderr.write(`\r${text}\x1b[K`)
      return
    }
    const step = p.fraction === null ? Math.floor(p.receivedBytes / 100e6) : Math.floor(p.fraction * 10)
    if (step > lastStep && p.receivedBytes > p.resumedFrom) {
      lastStep = step
      process.stderr.write(`${text}\n`)
    }
  }
}

/** `stylemap download ...`; resolves when the model folder is written. */
export async function runDownload(argv: string[], modelsRoot: string): Promise<void> {
  const args = parseCommand(argv, ['dataset', 'url', 'out', 'id', 'name', 'license', 'via'], ['keep-checkpoint'])
  const dataset = args.single('dataset')
  const url = args.single('url')
  if ((dataset === undefined) === (url === undefined)) throw usage('download needs either --dataset NAME or --url URL (not both)')
  if (dataset !== undefined && !isCatalogDataset(dataset)) throw usage(`--dataset ${dataset}: the released checkpoints are ${catalog.map((e) => e.dataset).join(', ')}`)
  if (url !== undefined && !/^https?:\/\//i.test(url)) throw usage(`--url ${url}: give an http:// or https:// link`)
  const out = resolve(args.required('out'))
  const via = args.single('via') ?? 'typescript'
  if (via !== 'typescript' && via !== 'python') throw usage('--via is typescript (the default) or python')
  // refuse an --out that cannot become the model folder before downloading gigabytes
  const existing = await stat(out).catch(() => null)
  if (existing && !existing.isDirectory()) throw usage(`--out ${out} is a file; give a folder for the model`)
  if (existing && (await readdir(out)).length > 0) throw usage(`--out ${out} is a folder that is not empty; give a new or empty folder`)

  const entry = dataset !== undefined && isCatalogDataset(dataset) ? catalogEntry(dataset) : null
  const source = entry ? entry.url : (url as string)
  const checkpointPath = join(dirname(out), `${basename(out)}.pt`)
  const importer = via === 'python' ? pythonImporter(modelsRoot) : importCheckpoint
  const result = await downloadModel({
    url: source,
    checkpointPath,
    modelDir: out,
    keepCheckpoint: args.flag('keep-checkpoint'),
    expectedBytes: entry?.approxBytes,
    extraBytes: entry?.approxModelBytes,
    importer,
    importOptions: {
      id: args.single('id') ?? (entry ? catalogModelId(entry.dataset) : undefined),
      name: args.single('name') ?? (entry ? `StyleMapGAN ${entry.title} (${entry.resolution} px)` : undefined),
      license: args.single('license') ?? entry?.license,
      domain: entry?.domain,
      source: entry ? `${entry.repository} (${entry.fileName})` : source,
      alignment: entry?.alignment ?? 'auto',
    },
    onProgress: progressPrinter(entry?.fileName ?? basename(new URL(source).pathname) ?? 'checkpoint'),
  })
  const manifest = result.manifest as { id?: string; resolution?: number }
  process.stdout.write(
    `${JSON.stringify({
      out: result.dir,
      id: manifest.id,
      resolution: manifest.resolution,
      bytes: result.download.bytes,
      resumes: result.download.resumes,
      checkpoint: result.checkpoint,
      seconds: result.seconds,
    })}\n`,
  )
}

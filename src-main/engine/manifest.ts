// Reads and checks a `stylemap-onnx/1` model folder (models/FORMAT.md) before any session exists.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readFile, realpath } from 'node:fs/promises'
import { join, resolve, sep } from 'node:path'
import { z } from 'zod'
import { EngineError, engineErrorCodes } from './errors.js'

/**
 * Upper bounds of a model folder's sizes. The engine plans its memory from model.json (a
 * 2048 px model peaked at 5.6 GB), so a folder may not claim more than the app is built for:
 * released StyleMapGAN models go up to 1024 px with 8x8 to 32x32 stylemaps of 64 channels.
 */
export const modelLimits = { resolution: 1024, stylemapSize: 64, channels: 1024, styleLevels: 32, zDim: 4096 } as const

const atMost = (limit: number, what: string) => z.number().int().positive().max(limit, `${what} is at most ${limit}`)

const level = z.object({ channels: atMost(modelLimits.channels, 'channels'), size: atMost(modelLimits.resolution, 'size') })


const fileName = z
  .string()
  .min(1)
  .refine((f) => !f.includes('/') && !f.includes('\\') && f !== '.' && f !== '..', 'must be a file name inside the model folder')

export const manifestSchema = z.object({
  format: z.literal('stylemap-onnx/1'),
  id: z.string().min(1),
  name: z.string().min(1),
  resolution: atMost(modelLimits.resolution, 'resolution'),
  stylemap: z.object({ channels: atMost(modelLimits.channels, 'channels'), size: atMost(modelLimits.stylemapSize, 'stylemap size') }),
  styles: z.array(level).min(1).max(modelLimits.styleLevels),
  /**
   * gamma_i/beta_i of each modulated layer (channels, and the size of style_i): with the modulation
   * and features graphs. `betaChannels`: beta_i's where they differ (the RGB layer's beta, given
   * through its 1x1 convolution; see models/FORMAT.md).
   */
  modulations: z.array(level.extend({ betaChannels: atMost(modelLimits.channels, 'betaChannels').optional() })).min(1).max(modelLimits.styleLevels).optional(),
  /**
   * The draft preview's split of the feature path (with the coarse and fine graphs): the fine part
   * starts at modulated layer `fineLayer`, from coarse's map x [channels, grid, grid]; a window of
   * x grown by `margin` cells on every side gives the fine part's inside as a whole run does.
   */
  preview: z
    .object({ fineLayer: atMost(modelLimits.styleLevels, 'fineLayer'), grid: atMost(modelLimits.resolution, 'grid'), channels: atMost(modelLimits.channels, 'channels'), margin: atMost(16, 'margin') })
    .optional(),
  mapping: z.object({ zDim: atMost(modelLimits.zDim, 'zDim') }).optional(),
  domain: z.string().default('unknown'),
  files: z.object({
    encoder: fileName,
    decoder: fileName,
    resizer: fileName.optional(),
    synthesis: fileName.optional(),
    /** The incremental edit path: styles -> every layer's (gamma, beta), on windows of any size. */
    modulation: fileName.optional(),
    /** Every layer's (gamma, beta) -> image: synthesis without the modulation convolutions. */
    features: fileName.optional(),
    /** The draft preview: gamma/beta of the layers before preview.fineLayer -> x (whole maps). */
    coarse: fileName.optional(),
    /** The draft preview: a window of x, the fine layers' gamma/beta on it and frozen statistics -> the image on it. */
    fine: fileName.optional(),
    mapping: fileName.optional(),
  }),
  source: z.string().default(''),
  license: z.string().default(''),
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/i)),
  default: z.boolean().default(false),
  /**
   * How the model wants faces framed (face models only): the five landmarks' places as
   * fractions of its square, and where they were measured.
   */
  alignment: z
    .object({
      landmarks: z.array(z.tuple([z.number().min(-0.5).max(1.5), z.number().min(-0.5).max(1.5)])).length(5),
      source: z.string().default(''),
    })
    .optional(),
})

export type Manifest = z.infer<typeof manifestSchema>
export type GraphName = keyof Manifest['files']

/** Reads model.json, validates it against the schema and its own consistency rules. */
export async function readManifest(dir: string): Promise<Manifest> {
  const path = join(dir, 'model.json')
  if ((await lstat(path).catch(() => null))?.isSymbolicLink()) {
    throw new EngineError(engineErrorCodes.modelManifest, `${path} is a symbolic link; a model folder holds its own files, not links to others`)
  }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new EngineError(engineErrorCodes.modelMissing, code === 'ENOENT' || code === 'ENOTDIR' ? `no model folder at ${dir} (model.json not found)` : `cannot read ${path}: ${code}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new EngineError(engineErrorCodes.modelManifest, `${path} is not valid JSON (${(e as Error).message})`)
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new EngineError(engineErrorCodes.modelManifest, `${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  const m = parsed.data
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new EngineError(engineErrorCodes.modelManifest, `${path}: ${what}`)
  }
  check(m.resolution % m.stylemap.size === 0, `resolution ${m.resolution} is not a multiple of the stylemap size ${m.stylemap.size}`)
  for (const [i, s] of m.styles.entries()) check(m.resolution % s.size === 0, `styles[${i}].size ${s.size} does not divide the resolution ${m.resolution}`)
  check(!m.files.mapping || !!m.mapping, 'files.mapping is given but mapping.zDim is missing')
  check(!!m.files.resizer === !!m.files.synthesis, 'resizer and synthesis come together (both or neither)')
  check(!!m.files.modulation === !!m.files.features, 'modulation and features come together (both or neither)')
  if (m.files.modulation) {
    check(!!m.files.resizer, 'modulation and features need the resizer')
    const mods = m.modulations
    check(!!mods && mods.length === m.styles.length, `modulations must list one entry per style level (${m.styles.length})`)
    for (const [i, level] of (mods ?? []).entries()) check(level.size === m.styles[i].size, `modulations[${i}].size ${level.size} differs from styles[${i}].size ${m.styles[i].size}`)
  }
  check(!!m.files.coarse === !!m.files.fine && !!m.files.coarse === !!m.preview, 'coarse, fine and preview come together (all or none)')
  if (m.preview) {
    const { fineLayer, grid } = m.preview
    check(!!m.files.features, 'coarse and fine need the modulation and features graphs')
    check(fineLayer < m.styles.length, `preview.fineLayer ${fineLayer} is past the last modulated layer (${m.styles.length - 1})`)
    check(m.styles[fineLayer]?.size === grid, `preview.grid ${grid} differs from styles[${fineLayer}].size`)
    for (const [i, s] of m.styles.entries()) if (i >= fineLayer) check(s.size % grid === 0, `styles[${i}].size ${s.size} is not a multiple of preview.grid ${grid}`)
  }
  return m
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/**
 * Every graph file must exist and match its sha256 from the manifest, and so must every other
 * file the manifest hashes: the weights files graphs keep as ONNX external data
 * (models/FORMAT.md), which onnxruntime reads beside the graph.
 */
export async function verifyFiles(dir: string, manifest: Manifest): Promise<Record<GraphName, string | undefined>> {
  const root = resolve(dir)
  // the folder itself may be reached through a link; what is inside it may not leave it
  const realRoot = await realpath(root).catch(() => root)
  const check = async (file: string, what: string): Promise<string> => {
    const path = resolve(root, file)
    if (!path.startsWith(root + sep)) throw new EngineError(engineErrorCodes.modelManifest, `${what} points outside the model folder`)
    const info = await lstat(path).catch(() => null)
    if (info?.isSymbolicLink()) {
      throw new EngineError(engineErrorCodes.modelManifest, `${file} (${what}) is a symbolic link; a model folder holds its own files, not links to others`)
    }
    if (!info?.isFile()) throw new EngineError(engineErrorCodes.modelHash, `model file ${file} (${what}) is missing from ${dir}`)
    const real = await realpath(path).catch(() => path)
    if (!real.startsWith(realRoot + sep)) throw new EngineError(engineErrorCodes.modelManifest, `${file} (${what}) resolves outside the model folder`)
    const expected = manifest.sha256[file]
    if (!expected) throw new EngineError(engineErrorCodes.modelHash, `model.json has no sha256 for ${file}`)
    const actual = await sha256File(path)
    if (actual.toLowerCase() !== expected.toLowerCase()) {
      throw new EngineError(engineErrorCodes.modelHash, `${file} is damaged or was replaced: sha256 ${actual.slice(0, 12)}... does not match model.json (${expected.slice(0, 12)}...)`)
    }
    return path
  }
  const paths = {} as Record<GraphName, string | undefined>
  const graphFiles = new Set<string>()
  for (const [graph, file] of Object.entries(manifest.files) as [GraphName, string | undefined][]) {
    if (!file) continue
    paths[graph] = await check(file, graph)
    graphFiles.add(file)
  }
  for (const file of Object.keys(manifest.sha256)) {
    if (graphFiles.has(file)) continue
    if (!fileName.safeParse(file).success) throw new EngineError(engineErrorCodes.modelManifest, `sha256 names ${JSON.stringify(file)}, which is not a file name inside the model folder`)
    await check(file, 'weights')
  }
  return paths
}

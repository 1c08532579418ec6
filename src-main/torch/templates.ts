// Weightless graph templates (models/templates, written by models/smgan/templates.py): per
// architecture, the model folder's ONNX graphs with every weight stored as external data in
// `generator.weights` / `encoder.weights`, and template.json saying which checkpoint tensor
// goes where in those files.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { EngineError } from '../engine/errors.js'
import { Namespace, type PickleValue } from './values.js'

/** models/templates of this checkout (the packaged app passes its own). */
export const defaultTemplatesDir = fileURLToPath(new URL('../../models/templates/', import.meta.url))

/** The architecture fields of train_args, as ModelConfig (models/smgan/networks.py) reads them. */
export interface Architecture {
  size: number
  mapping_layer_num: number
  latent_channel_size: number
  latent_spatial_size: number
  lr_mul: number
  channel_multiplier: number
  normalize_mode: string
  small_generator: boolean
  channel_cap: number | null
}

const architectureSchema = z.object({
  size: z.number(),
  mapping_layer_num: z.number(),
  latent_channel_size: z.number(),
  latent_spatial_size: z.number(),
  lr_mul: z.number(),
  channel_multiplier: z.number(),
  normalize_mode: z.string(),
  small_generator: z.boolean(),
  channel_cap: z.number().nullable(),
})

const fileName = z.string().regex(/^[A-Za-z0-9_.-]+$/).refine((f) => f !== '.' && f !== '..')
const count = z.number().int().nonnegative()

const templateSchema = z.object({
  format: z.literal('stylemap-template/1'),
  modelFormat: z.literal('stylemap-onnx/1'),
  name: z.string(),
  architecture: architectureSchema,
  resolution: count,
  stylemap: z.object({ channels: count, size: count }),
  styles: z.array(z.object({ channels: count, size: count })),
  /** gamma/beta per modulated layer, with the modulation and features graphs (templates since 2026-12) */
  modulations: z.array(z.object({ channels: count, size: count, betaChannels: count.optional() })).optional(),
  /** the draft preview's split, with the coarse and fine graphs (LayerNorm templates since 2026-12-03) */
  preview: z.object({ fineLayer: count, grid: count, channels: count, margin: count }).optional(),
  mapping: z.object({ zDim: count }),
  files: z.object({
    encoder: fileName,
    decoder: fileName,
    resizer: fileName,
    synthesis: fileName,
    modulation: fileName.optional(),
    features: fileName.optional(),
    coarse: fileName.optional(),
    fine: fileName.optional(),
    mapping: fileName,
  }),
  sha256: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  stateDict: z.record(z.string(), z.array(count)),
  weights: z.record(
    fileName,
    z.object({
      size: count,
      tensors: z.array(
        z.object({
          key: z.string().regex(/^(g_ema|e_ema)\./),
          dtype: z.literal('float32'),
          shape: z.array(count),
          offset: count,
          length: count,
          // every weight is stored as the checkpoint holds it (the graphs scale and slice it)
          transform: z.null(),
        }),
      ),
    }),
  ),
})

export type Template = z.infer<typeof templateSchema> & { dir: string }
export type TemplateTensor = Template['weights'][string]['tensors'][number]

const indexSchema = z.object({
  format: z.literal('stylemap-template/1'),
  fields: z.array(z.string()),
  templates: z.record(fileName, architectureSchema),
})

export const templateErrorCodes = {
  /** train_args names an architecture no template covers: the Python converter can still do it. */
  architecture: 'E_CONVERT_ARCHITECTURE',
  /** The templates are missing or damaged (an installation problem, not the checkpoint's). */
  template: 'E_CONVERT_TEMPLATE',
  /** train_args lacks a field or holds a wrong type (the checkpoint's problem). */
  keys: 'E_CONVERT_KEYS',
  normalize: 'E_CONVERT_NORMALIZE',
} as const

const supportedNormalizeModes = ['LayerNorm', 'InstanceNorm2d']

function plain(value: PickleValue | undefined): unknown {
  return typeof value === 'bigint' ? Number(value) : value
}

/**
 * The architecture from a checkpoint's train_args (an argparse Namespace or a dict), read the
 * way checkpoint.py's config_from reads it: every field but channel_cap must be there.
 */
export function architectureOf(trainArgs: PickleValue): Architecture {
  let fields: Record<string, PickleValue>
  if (trainArgs instanceof Namespace) fields = trainArgs.fields
  else if (trainArgs instanceof Map) fields = Object.fromEntries([...trainArgs].filter(([k]) => typeof k === 'string')) as Record<string, PickleValue>
  else throw new EngineError(templateErrorCodes.keys, 'train_args is incomplete: it is neither an argparse Namespace nor a dict')
  const required = ['size', 'mapping_layer_num', 'latent_channel_size', 'latent_spatial_size', 'lr_mul', 'channel_multiplier', 'normalize_mode', 'small_generator']
  const missing = required.filter((k) => !(k in fields)).sort()
  if (missing.length) throw new EngineError(templateErrorCodes.keys, `train_args is incomplete: train_args lacks ${missing.join(', ')}`)
  const number = (k: string): number => {
    const v = plain(fields[k])
    if (typeof v === 'number' && Number.isFinite(v)) return v
    if (typeof v === 'boolean') return Number(v)
    throw new EngineError(templateErrorCodes.keys, `train_args.${k} is ${JSON.stringify(v ?? null)}, not a number`)
  }
  const mode = plain(fields.normalize_mode)
  if (typeof mode !== 'string' || !supportedNormalizeModes.includes(mode)) {
    throw new EngineError(
      templateErrorCodes.normalize,
      `normalize_mode ${typeof mode === 'string' ? `'${mode}'` : String(mode)} is not supported (supported: ${supportedNormalizeModes.join(', ')})`,
    )
  }
  const small = plain(fields.small_generator)
  const cap = 'channel_cap' in fields ? plain(fields.channel_cap) : null
  return {
    size: number('size'),
    mapping_layer_num: number('mapping_layer_num'),
    latent_channel_size: number('latent_channel_size'),
    latent_spatial_size: number('latent_spatial_size'),
    lr_mul: number('lr_mul'),
    channel_multiplier: number('channel_multiplier'),
    normalize_mode: mode,
    // ModelConfig only tests these for truth
    small_generator: !!small,
    channel_cap: cap === null || cap === undefined || cap === 0 || cap === false ? null : number('channel_cap'),
  }
}

export function describeArchitecture(a: Architecture): string {
  return (Object.keys(a) as (keyof Architecture)[]).map((k) => `${k} ${String(a[k])}`).join(', ')
}

function sameArchitecture(a: Architecture, b: Architecture): boolean {
  return (Object.keys(architectureSchema.shape) as (keyof Architecture)[]).every((k) => a[k] === b[k])
}

async function readJson(path: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    throw new EngineError(templateErrorCodes.template, `the graph templates are missing (${path}: ${(e as NodeJS.ErrnoException).code}); reinstall, or convert with --via python`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new EngineError(templateErrorCodes.template, `${path} is not valid JSON; reinstall, or convert with --via python`)
  }
}

/** The template for `architecture`; E_CONVERT_ARCHITECTURE (naming --via python) when none fits. */
export async function findTemplate(architecture: Architecture, templatesDir = defaultTemplatesDir): Promise<Template> {
  const indexPath = join(templatesDir, 'index.json')
  const index = indexSchema.safeParse(await readJson(indexPath))
  if (!index.success) throw new EngineError(templateErrorCodes.template, `${indexPath} is not a template index: ${index.error.issues[0].message}`)
  const name = Object.entries(index.data.templates).find(([, a]) => sameArchitecture(a, architecture))?.[0]
  if (!name) {
    throw new EngineError(
      templateErrorCodes.architecture,
      `no graph template for this architecture (${describeArchitecture(architecture)}); ` +
        "convert it with 'stylemap convert --via python', which needs Python with PyTorch",
    )
  }
  const dir = join(templatesDir, name)
  const path = join(dir, 'template.json')
  const parsed = templateSchema.safeParse(await readJson(path))
  if (!parsed.success) throw new EngineError(templateErrorCodes.template, `${path} is damaged: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`)
  if (!sameArchitecture(parsed.data.architecture, architecture)) throw new EngineError(templateErrorCodes.template, `${path} does not hold the architecture index.json names it for`)
  return { ...parsed.data, dir }
}

const historySchema = z.object({
  format: z.literal('stylemap-template-history/1'),
  /** data file layouts, shared by versions: per file its size and [key, offset, length] per tensor */
  layouts: z.array(z.record(fileName, z.object({ size: count, tensors: z.array(z.tuple([z.string().regex(/^(g_ema|e_ema)\./), count, count])) }))),
  /** earlier versions of the template: its graphs' sha256, and its layout (null: tensors stored transformed) */
  versions: z.array(z.object({ sha256: z.record(fileName, z.string().regex(/^[0-9a-f]{64}$/)), layout: count.nullable() })),
})

/** Where an earlier version of a template kept each tensor: data file, offset, length, by checkpoint key. */
export type Layout = Map<string, { file: string; offset: number; length: number }>

/** An earlier version of a template (history.json, written by models/smgan/templates.py's record_previous). */
export interface TemplateVersion {
  /** Its graphs' sha256, by file name. */
  sha256: Record<string, string>
  /** Its data files' layout; null where it stored tensors transformed (it cannot be moved into today's). */
  layout: Layout | null
}

/**
 * The earlier versions of `template` (its history.json; none when the file is absent). A
 * damaged history is the installation's problem: E_CONVERT_TEMPLATE.
 */
export async function templateHistory(template: Template): Promise<TemplateVersion[]> {
  const path = join(template.dir, 'history.json')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new EngineError(templateErrorCodes.template, `${path} cannot be read (${(e as NodeJS.ErrnoException).code}); reinstall`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new EngineError(templateErrorCodes.template, `${path} is not valid JSON; reinstall`)
  }
  const parsed = historySchema.safeParse(json)
  if (!parsed.success) throw new EngineError(templateErrorCodes.template, `${path} is damaged: ${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}`)
  const { layouts, versions } = parsed.data
  return versions.map((v) => {
    if (v.layout !== null && v.layout >= layouts.length) throw new EngineError(templateErrorCodes.template, `${path} is damaged: a version names layout ${v.layout} of ${layouts.length}`)
    const layout = v.layout === null ? null : new Map(Object.entries(layouts[v.layout]).flatMap(([file, entry]) => entry.tensors.map(([key, offset, length]) => [key, { file, offset, length }] as const)))
    return { sha256: v.sha256, layout }
  })
}

// The committed graph templates against the Python networks they were exported from (a
// renamed or reshaped parameter in models/smgan/networks.py makes them stale: rebuild with
// `python3 -m smgan.templates --out templates` in models/), and how train_args picks one.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../engine/testing/models.js'
import { architectureOf, defaultTemplatesDir, findTemplate, templateHistory } from './templates.js'
import { python, torchUnavailable } from './testing/fixtures.js'
import { Namespace } from './values.js'

const run = promisify(execFile)
const skip = await torchUnavailable()

const released = {
  size: 256,
  mapping_layer_num: 8,
  latent_channel_size: 64,
  latent_spatial_size: 8,
  lr_mul: 0.01,
  channel_multiplier: 2,
  normalize_mode: 'LayerNorm',
  small_generator: false,
}

function trainArgs(fields: Record<string, unknown>): Namespace {
  const ns = new Namespace()
  Object.assign(ns.fields, fields)
  return ns
}

const stateDictScript = `
import json, sys
from smgan.networks import Encoder, Generator, ModelConfig
cfg = ModelConfig(**json.loads(sys.argv[1]))
out = {}
for prefix, m in (("g_ema", Generator(cfg)), ("e_ema", Encoder(cfg))):
    out.update({f"{prefix}.{k}": list(v.shape) for k, v in m.state_dict().items()})
print(json.dumps(out))
`

describe('graph templates', () => {
  it('the released 256 px train_args (with training-only fields) pick the 256-cm2 template', async () => {
    const template = await findTemplate(architectureOf(trainArgs({ ...released, batch: 16, iter: 800000, dataset: 'celeba_hq' })))
    expect(template.name).toBe('256-cm2')
    expect(template.resolution).toBe(256)
    expect(template.files).toEqual({ encoder: 'encoder.onnx', decoder: 'decoder.onnx', resizer: 'resizer.onnx', synthesis: 'synthesis.onnx', modulation: 'modulation.onnx', features: 'features.onnx', mapping: 'mapping.onnx', coarse: 'coarse.onnx', fine: 'fine.onnx' })
  })

  it('reads train_args as a dict too, with ints as bigints and small_generator as 0/1', async () => {
    const args = new Map<string, unknown>(Object.entries({ ...released, size: 64n, small_generator: 1 })) as never
    expect((await findTemplate(architectureOf(args))).name).toBe('64-small-cm2')
  })

  it('channel_cap 0 or absent is no cap; a cap selects the bundled model architecture', async () => {
    expect(architectureOf(trainArgs({ ...released, channel_cap: 0 })).channel_cap).toBeNull()
    const capped = architectureOf(trainArgs({ ...released, size: 64, small_generator: true, channel_cap: 64 }))
    expect((await findTemplate(capped)).name).toBe('64-small-cap64')
  })

  it('an architecture without a template is E_CONVERT_ARCHITECTURE naming --via python', async () => {
    const err = await findTemplate(architectureOf(trainArgs({ ...released, size: 1024, small_generator: true }))).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'E_CONVERT_ARCHITECTURE', message: expect.stringContaining('--via python') })
    const lr = await findTemplate(architectureOf(trainArgs({ ...released, lr_mul: 0.02 }))).catch((e: unknown) => e)
    expect(lr).toMatchObject({ code: 'E_CONVERT_ARCHITECTURE' })
  })

  it('incomplete train_args is E_CONVERT_KEYS, another normalize_mode E_CONVERT_NORMALIZE', () => {
    const { lr_mul: _, ...partial } = released
    expect(() => architectureOf(trainArgs(partial))).toThrow(expect.objectContaining({ code: 'E_CONVERT_KEYS', message: expect.stringContaining('lr_mul') }))
    expect(() => architectureOf(trainArgs({ ...released, size: 'big' }))).toThrow(expect.objectContaining({ code: 'E_CONVERT_KEYS' }))
    expect(() => architectureOf(trainArgs({ ...released, normalize_mode: 'BatchNorm2d' }))).toThrow(expect.objectContaining({ code: 'E_CONVERT_NORMALIZE' }))
    expect(() => architectureOf([1, 2] as never)).toThrow(expect.objectContaining({ code: 'E_CONVERT_KEYS' }))
  })

  it.skipIf(skip)('every template lists exactly the state dict the Python networks have, and its data files tile without overlap', async () => {
    const index = JSON.parse(await readFile(join(defaultTemplatesDir, 'index.json'), 'utf8')) as { templates: Record<string, Record<string, unknown>> }
    expect(Object.keys(index.templates).sort()).toEqual(['128-cm2', '256-cm2', '64-small-cap64', '64-small-cm2'])
    for (const [name, architecture] of Object.entries(index.templates)) {
      const { stdout } = await run(python, ['-c', stateDictScript, JSON.stringify(architecture)], { cwd: join(repoRoot, 'models'), maxBuffer: 1 << 24 })
      const template = JSON.parse(await readFile(join(defaultTemplatesDir, name, 'template.json'), 'utf8'))
      expect(template.stateDict, name).toEqual(JSON.parse(stdout))
      for (const [file, entry] of Object.entries(template.weights as Record<string, { size: number; tensors: { key: string; offset: number; length: number; shape: number[]; transform: null }[] }>)) {
        let end = 0
        for (const t of entry.tensors) {
          expect(t.offset, `${name}/${file} ${t.key}`).toBeGreaterThanOrEqual(end)
          expect(t.offset % 4096).toBe(0)
          expect(t.length).toBe(4 * t.shape.reduce((a, b) => a * b, 1))
          expect(t.transform).toBeNull()
          expect(template.stateDict, `${name}: ${t.key}`).toHaveProperty([t.key])
          end = t.offset + t.length
        }
        expect(end).toBe(entry.size)
      }
    }
  }, 120_000)

  it('each template\'s history holds its earlier versions, not today\'s; those with a layout hold every tensor today\'s graphs read, at its length', async () => {
    const index = JSON.parse(await readFile(join(defaultTemplatesDir, 'index.json'), 'utf8')) as { templates: Record<string, Record<string, unknown>> }
    for (const name of Object.keys(index.templates)) {
      const template = await findTemplate(index.templates[name] as never)
      const history = await templateHistory(template)
      // since 2026-12-02: the first two versions folded upsampling weights, the later ones did not
      expect(history.length, name).toBeGreaterThanOrEqual(9)
      expect(history.slice(0, 2).map((v) => v.layout), name).toEqual([null, null])
      const graphs = Object.values(template.files)
      for (const [k, version] of history.entries()) {
        expect(graphs.every((f) => version.sha256[f] === template.sha256[f]), `${name} version ${k} is today's`).toBe(false)
        if (!version.layout) continue
        for (const entry of Object.values(template.weights)) {
          for (const t of entry.tensors) expect(version.layout.get(t.key)?.length, `${name} version ${k}: ${t.key}`).toBe(t.length)
        }
      }
      expect(history.filter((v) => v.layout).length, name).toBeGreaterThanOrEqual(7)
    }
  })
})

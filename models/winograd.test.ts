// The Winograd form of the feature path's wide 64 px layer (smgan/layers.py winograd_conv3x3) as
// onnxruntime runs it: the draft preview runs the fine graph on windows of any size, while the
// export is traced on one window and the converter's parity checks whole maps. Here the fine
// graph of the 64 px small generator (512 channels at 64 px, as the released models) is exported
// twice from the same weights, once as it ships and once with every layer direct, and both run
// on windows of many sizes, the statistics frozen as a draft runs them, and on the whole map. A
// third export runs every upsampling layer's transposed convolution in four parts over its
// output channels, as a 256 px model's largest do (smgan/layers.py upsample_parts): the same image.
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relativeError } from '../src-main/engine/compare.js'
import { python, torchUnavailable } from '../src-main/torch/testing/fixtures.js'

const run = promisify(execFile)
const skip = await torchUnavailable()

const exportScript = `
import json, sys, torch
from smgan.export import _export, graphs, preview_meta, random_models
from smgan.networks import ModelConfig
g, e = random_models(ModelConfig(size=64, channel_multiplier=2, small_generator=True))
key, module, args, names, outputs = next(x for x in graphs(g, e) if x[0] == "fine")
marked = [i for i, layer in enumerate(g.decoder.modulated_layers()) if layer.conv.winograd]
with torch.no_grad():
    _export(key, module, args, sys.argv[1] + "/winograd.onnx", names, outputs)
    for layer in g.decoder.modulated_layers():
        layer.conv.winograd = False
    _export(key, module, args, sys.argv[1] + "/direct.onnx", names, outputs)
    # as it ships, but every upsampling layer's transposed convolution in four runs
    for i, layer in enumerate(g.decoder.modulated_layers()):
        layer.conv.winograd = i in marked
        if layer.conv.upsample:
            layer.conv.upsample_parts = 4
    _export(key, module, args, sys.argv[1] + "/parts.onnx", names, outputs)
rows = args[0].shape[2]
spatial = [{"name": n, "channels": int(t.shape[1]), "scale": int(t.shape[2]) // rows} for n, t in zip(names, args) if t.dim() == 4]
import onnx
transposed = {f: sum(n.op_type == "ConvTranspose" for n in onnx.load(sys.argv[1] + "/" + f).graph.node) for f in ("winograd.onnx", "parts.onnx")}
print(json.dumps({"marked": marked, "grid": preview_meta(g)["grid"], "spatial": spatial, "statsLayers": int(args[-2].shape[1]), "transposed": transposed}))
`

interface Exported {
  marked: number[]
  grid: number
  spatial: { name: string; channels: number; scale: number }[]
  statsLayers: number
  /** ConvTranspose nodes per export. */
  transposed: Record<string, number>
}

/** Values from a seeded generator, uniform in [lo, hi). */
function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  let s = seed >>> 0
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return lo + ((hi - lo) * s) / 4294967296
  })
}

describe.skipIf(skip)('the fine graph with its Winograd layer and its upsampling in parts, in onnxruntime', () => {
  let work: string
  let info: Exported
  let winograd: ort.InferenceSession
  let direct: ort.InferenceSession
  let parts: ort.InferenceSession

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'stylemap-winograd-'))
    const { stdout } = await run(python, ['-c', exportScript, work], { cwd: path.join(import.meta.dirname), timeout: 600_000, maxBuffer: 1 << 24 })
    info = JSON.parse(stdout.trim().split('\n').pop() ?? '') as Exported
    const options: ort.InferenceSession.SessionOptions = { intraOpNumThreads: 1, freeDimensionOverrides: { N: 1 } }
    winograd = await ort.InferenceSession.create(await readFile(path.join(work, 'winograd.onnx')), options)
    direct = await ort.InferenceSession.create(await readFile(path.join(work, 'direct.onnx')), options)
    parts = await ort.InferenceSession.create(await readFile(path.join(work, 'parts.onnx')), options)
  }, 600_000)

  afterAll(async () => {
    await winograd?.release()
    await direct?.release()
    await parts?.release()
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('marks the 64 px layer, and the two exports differ in it', async () => {
    expect(info.marked).toEqual([6])
    const ops = async (file: string) => (await readFile(path.join(work, file))).includes(Buffer.from('MatMul'))
    expect(await ops('winograd.onnx')).toBe(true)
    expect(await ops('direct.onnx')).toBe(false)
  })

  // windows of x in cells (the 64 px layer sees twice as many rows and columns), odd and even, as a
  // draft runs them; then the whole map (null: the grid) with its own statistics, as a decode
  const windows: [string, number | null, number | null][] = [
    ['a 1 x 1 cell window', 1, 1],
    ['a 3 x 2 cell window (the size the export is traced on)', 3, 2],
    ['a 2 x 5 cell window', 2, 5],
    ['a 7 x 3 cell window', 7, 3],
    ['a 4 x 4 cell window', 4, 4],
    ['the whole map, not frozen', null, null],
  ]
  /** The feeds of a window of `rows` x `columns` cells (null: the whole map, not frozen). */
  function feedsFor(rows: number | null, columns: number | null): { feeds: Record<string, ort.Tensor>; height: number; width: number } {
    const frozen = rows !== null
    const [height, width] = rows !== null && columns !== null ? [rows, columns] : [info.grid, info.grid]
    const feeds: Record<string, ort.Tensor> = {
      stats: new ort.Tensor('float32', uniform(info.statsLayers * 2, 7, 0.5, 1.5), [1, info.statsLayers, 2]),
      frozen: new ort.Tensor('float32', new Float32Array([frozen ? 1 : 0]), [1]),
    }
    info.spatial.forEach(({ name, channels, scale }, k) => {
      const [h, w] = [height * scale, width * scale]
      // gamma near 1, beta and x around 0, as a decode feeds them
      const [lo, hi] = name.startsWith('gamma') ? [0.5, 1.5] : [-1, 1]
      feeds[name] = new ort.Tensor('float32', uniform(channels * h * w, 100 + k, lo, hi), [1, channels, h, w])
    })
    return { feeds, height, width }
  }

  it.each(windows)("%s gives the direct graph's image", async (_, rows, columns) => {
    const { feeds, height, width } = feedsFor(rows, columns)
    const a = (await winograd.run(feeds)).image
    const b = (await direct.run(feeds)).image
    expect(a.dims).toEqual([1, 3, height * (64 / info.grid), width * (64 / info.grid)])
    expect(a.dims).toEqual(b.dims)
    expect(relativeError(a.data as Float32Array, b.data as Float32Array)).toBeLessThan(1e-4)
  })

  it('runs each upsampling layer in four parts where marked so', () => {
    // the fine part's three upsampling layers: one node each as a 64 px model ships, four each in parts.onnx
    expect(info.transposed).toEqual({ 'winograd.onnx': 3, 'parts.onnx': 12 })
  })

  it.each(windows)('%s in parts gives the image of the graph as it ships', async (_, rows, columns) => {
    const { feeds } = feedsFor(rows, columns)
    const a = (await parts.run(feeds)).image
    const b = (await winograd.run(feeds)).image
    expect(a.dims).toEqual(b.dims)
    // the output channels are independent rows of one product: the same sums
    expect(relativeError(a.data as Float32Array, b.data as Float32Array)).toBeLessThan(1e-6)
  })
})

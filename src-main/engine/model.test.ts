// Loading and validating model folders, on copies of the real test model.
import { cp, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from './engine.js'
import { fromHalf, toHalf } from './half.js'
import { baseSessionOptions, betaChannels, graphSessionOptions, groupLevels, ModelRuntime, modulationGroups, padZero, TAIL_MARGIN, tailLevel } from './model.js'
import { cutPlanes, cutRegion } from './regions.js'
import { testModelDir } from './testing/models.js'
import { passThroughGraph } from './testing/onnxGraphs.js'
import { gradientPng, rectMask } from './testing/photos.js'

let source: string
let work: string

type Change = (dir: string, manifest: Record<string, unknown>) => Promise<unknown> | unknown

/** A copy of the test model changed by `change`; its manifest edits are saved unless `change` rewrote model.json itself. */
async function variant(name: string, change: Change, manifestChanged = true): Promise<string> {
  const dir = join(work, name)
  await cp(source, dir, { recursive: true })
  const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>
  await change(dir, manifest)
  if (manifestChanged) await writeFile(join(dir, 'model.json'), JSON.stringify(manifest))
  return dir
}

/** Makes a variant a folder without the incremental graphs (nor the draft ones, which need them), so decoder and synthesis run. */
function withoutIncremental(m: Record<string, unknown>): void {
  const files = m.files as Record<string, string>
  delete files.modulation
  delete files.features
  delete m.modulations
  delete files.coarse
  delete files.fine
  delete m.preview
}

beforeAll(async () => {
  source = await testModelDir()
  work = await mkdtemp(join(tmpdir(), 'stylemap-model-test-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('loading a model folder', () => {
  it('reads the manifest, checks the graphs and reports the provider', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      expect(runtime.info.resolution).toBeGreaterThanOrEqual(64)
      expect(runtime.info.styles.length).toBeGreaterThan(0)
      expect(runtime.info.features).toEqual({ wplus: true, random: true })
      expect(runtime.providers.inUse).toBe('cpu')
      // the incremental graphs stand in for decoder and synthesis, and the draft graphs (coarse, then
      // fine not frozen) for features: those sessions are not created
      expect(runtime.incremental).toBe(true)
      expect(runtime.draftable).toBe(true)
      expect(['decoder', 'synthesis', 'features', 'modulation', 'coarse', 'fine'].map((g) => runtime.has(g as never))).toEqual([false, false, false, true, true, true])
      // decoder(w) equals features(modulation(resizer(w))) (FORMAT.md): the folder's decoder and resizer graphs run apart
      const w = new Float32Array(runtime.stylemapLength).map((_, i) => Math.sin(i))
      const { channels, size } = runtime.manifest.stylemap
      const feed = { stylemap: new ort.Tensor('float32', w, [1, channels, size, size]) }
      const apart = async (graph: string) => {
        const session = await ort.InferenceSession.create(join(source, `${graph}.onnx`))
        const out = await session.run(feed)
        await session.release()
        return out
      }
      const direct = (await apart('decoder')).image.data as Float32Array
      const resized = await apart('resizer')
      const floatStyles = runtime.info.styles.map((_, i) => resized[`style_${i}`].data as Float32Array)
      // the runtime's resizer gives its outputs as halves, the bits toHalf makes of the graph's float32
      // ones up to the tail level; past it the graph reads that level's halves (as the resizer's tail does)
      const halves = await runtime.resize(w, 1)
      const k = runtime.tailLevel!
      halves.slice(0, k + 1).forEach((h, i) => expect(h).toEqual(toHalf(floatStyles[i])))
      const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0)
      const tail = await runtime.resizeTail(halves[k], runtime.info.styles[k].size, runtime.info.styles[k].size)
      halves.slice(k + 1).forEach((h, j) => {
        expect(h).toEqual(tail[j])
        // within a half's rounding of the float32 ones (values up to 4 here; 1.1-1.3e-3 measured)
        expect(maxDiff(fromHalf(h), floatStyles[k + 1 + j])).toBeLessThan(4e-3)
      })
      expect(maxDiff(direct, await runtime.synthesize(floatStyles, 1))).toBeLessThan(1e-3)
      // decode runs on the halves: within a level of 255 (raw images span [-1, 1])
      expect(maxDiff(direct, await runtime.decode(w, 1))).toBeLessThan(2 / 255)
    } finally {
      await runtime.release()
    }
  })

  const broken: [string, string, Change, boolean?][] = [
    ['missing model.json', 'E_MODEL_MISSING', (dir) => rm(join(dir, 'model.json')), false],
    ['model.json that is not JSON', 'E_MODEL_MANIFEST', (dir) => writeFile(join(dir, 'model.json'), '{ "format": '), false],
    ['wrong format tag', 'E_MODEL_MANIFEST', (_dir, m) => void (m.format = 'stylemap-onnx/9')],
    ['a file outside the folder', 'E_MODEL_MANIFEST', (_dir, m) => void ((m.files as Record<string, string>).encoder = '../encoder.onnx')],
    ['a missing ONNX file', 'E_MODEL_HASH', (dir) => rm(join(dir, 'decoder.onnx'))],
    [
      'a damaged ONNX file',
      'E_MODEL_HASH',
      async (dir) => {
        const bytes = await readFile(join(dir, 'encoder.onnx'))
        bytes[bytes.length - 10] ^= 0xff
        await writeFile(join(dir, 'encoder.onnx'), bytes)
      },
    ],
    ['graphs that do not match the manifest', 'E_MODEL_GRAPH', (_dir, m) => void ((m.stylemap as { channels: number }).channels = 32)],
    [
      'a file that is not ONNX (hash updated)',
      'E_MODEL_GRAPH',
      async (dir, m) => {
        await writeFile(join(dir, 'mapping.onnx'), 'not a model')
        const { sha256File } = await import('./manifest.js')
        ;(m.sha256 as Record<string, string>)['mapping.onnx'] = await sha256File(join(dir, 'mapping.onnx'))
      },
    ],
  ]
  /** Replaces `file` with `bytes` and records its sha256, so only the graph's own behaviour is wrong. */
  const replaceGraph = async (dir: string, m: Record<string, unknown>, file: string, bytes: Uint8Array): Promise<void> => {
    await writeFile(join(dir, file), bytes)
    const { sha256File } = await import('./manifest.js')
    ;(m.sha256 as Record<string, string>)[file] = await sha256File(join(dir, file))
  }
  const stylemapDims = (m: Record<string, unknown>): number[] => {
    const { channels, size } = m.stylemap as { channels: number; size: number }
    return [channels, size, size]
  }
  broken.push(
    ['a resolution above 1024', 'E_MODEL_MANIFEST', (_dir, m) => void (m.resolution = 2048)],
    ['a stylemap larger than 64 x 64', 'E_MODEL_MANIFEST', (_dir, m) => void ((m.resolution = 1024), ((m.stylemap as { size: number }).size = 128))],
    ['a stylemap with 100000 channels', 'E_MODEL_MANIFEST', (_dir, m) => void ((m.stylemap as { channels: number }).channels = 100_000)],
    [
      'a decoder whose output, declared [N,3,R,R], is the stylemap when run',
      'E_MODEL_GRAPH',
      (dir, m) => {
        const R = m.resolution as number
        withoutIncremental(m)
        return replaceGraph(dir, m, 'decoder.onnx', passThroughGraph('stylemap', ['N', ...stylemapDims(m)], 'image', ['N', 3, R, R]))
      },
    ],
    [
      'a decoder with symbolic height and width that returns another size',
      'E_MODEL_GRAPH',
      (dir, m) => {
        withoutIncremental(m)
        return replaceGraph(dir, m, 'decoder.onnx', passThroughGraph('stylemap', ['N', ...stylemapDims(m)], 'image', ['N', 3, 'height', 'width']))
      },
    ],
    [
      'a modulation graph whose gamma_0, declared with symbolic sizes, keeps the window size',
      'E_MODEL_GRAPH',
      (dir, m) => {
        const styles = m.styles as { channels: number; size: number }[]
        const mods = m.modulations as { channels: number; size: number }[]
        if (styles[0].channels !== mods[0].channels) throw new Error('the test model should have style_0 and gamma_0 of the same channels')
        // a one-output graph: also missing every other output, which checkIo refuses as well
        return replaceGraph(dir, m, 'modulation.onnx', passThroughGraph('style_0', ['N', styles[0].channels, 'h0', 'w0'], 'gamma_0', ['N', mods[0].channels, 'h0_inner', 'w0_inner']))
      },
    ],
    ['modulation without features', 'E_MODEL_MANIFEST', (_dir, m) => void delete (m.files as Record<string, string>).features],
    ['the incremental graphs without modulations', 'E_MODEL_MANIFEST', (_dir, m) => void delete m.modulations],
    ['the draft graphs without preview', 'E_MODEL_MANIFEST', (_dir, m) => void delete m.preview],
    ['a fine graph without coarse', 'E_MODEL_MANIFEST', (_dir, m) => void delete (m.files as Record<string, string>).coarse],
    ['a preview grid other than its fine layer\'s style size', 'E_MODEL_MANIFEST', (_dir, m) => void ((m.preview as { grid: number }).grid *= 2)],
    [
      'a fine graph that keeps the window size instead of scaling it to pixels',
      'E_MODEL_GRAPH',
      (dir, m) => {
        const p = m.preview as { channels: number; fineLayer: number }
        const mods = m.modulations as { channels: number; size: number; betaChannels?: number }[]
        const others: [string, (number | string)[]][] = mods.slice(p.fineLayer).flatMap((l, k) => {
          const i = p.fineLayer + k
          return [[`gamma_${i}`, ['N', l.channels, `h${i}`, `w${i}`]], [`beta_${i}`, ['N', betaChannels(l), `h${i}`, `w${i}`]]] as [string, (number | string)[]][]
        })
        others.push(['stats', ['N', mods.length - p.fineLayer, 2]], ['frozen', [1]])
        return replaceGraph(dir, m, 'fine.onnx', passThroughGraph('x', ['N', p.channels, 'h', 'w'], 'image', ['N', 3, 'h', 'w'], others, [['stats', 'used', ['N', mods.length - p.fineLayer, 2]]]))
      },
    ],
    [
      'a manifest without the betaChannels its graphs give (the RGB layer\'s beta through its convolution)',
      'E_MODEL_GRAPH',
      (_dir, m) => {
        const mods = m.modulations as { betaChannels?: number }[]
        if (mods.at(-1)?.betaChannels === undefined) throw new Error('the test model should give the RGB layer\'s beta through its convolution')
        delete mods.at(-1)!.betaChannels
      },
    ],
    [
      'modulations of another size than the styles',
      'E_MODEL_MANIFEST',
      (_dir, m) => void ((m.modulations as { size: number }[])[1].size *= 2),
    ],
  )
  /** Moves `file` out of the folder and leaves a symbolic link to it in its place (its bytes, so its sha256, unchanged). */
  const linkOutside = async (dir: string, file: string): Promise<void> => {
    const outside = join(work, `${dir.split('/').at(-1)}-outside-${file}`)
    await rename(join(dir, file), outside)
    await symlink(outside, join(dir, file))
  }
  broken.push(
    ['an ONNX file that is a symlink to a file outside the folder', 'E_MODEL_MANIFEST', (dir) => linkOutside(dir, 'decoder.onnx')],
    ['a model.json that is a symlink to a file outside the folder', 'E_MODEL_MANIFEST', (dir) => linkOutside(dir, 'model.json'), false],
    [
      'an ONNX file that is a symlink to another file in the folder',
      'E_MODEL_MANIFEST',
      async (dir) => {
        await rename(join(dir, 'mapping.onnx'), join(dir, 'mapping-real.onnx'))
        await symlink('mapping-real.onnx', join(dir, 'mapping.onnx'))
      },
    ],
  )
  for (const [what, code, change, manifestChanged] of broken) {
    it(`refuses ${what} with ${code}`, async () => {
      const dir = await variant(what.replace(/\W+/g, '-'), change, manifestChanged ?? true)
      await expect(ModelRuntime.load(dir, { verify: true })).rejects.toMatchObject({ code })
    })
  }

  // the resizer is read and rewritten before its session is made (halfOutputs.ts): bytes that are
  // no model fail there, not in onnxruntime, and say so
  it('names the resizer and what is wrong with it when its file is no model', async () => {
    const dir = await variant('resizer-not-onnx-message', (d, m) => replaceGraph(d, m, 'resizer.onnx', Buffer.from('not a model')))
    await expect(ModelRuntime.load(dir)).rejects.toMatchObject({ code: 'E_MODEL_GRAPH', message: 'resizer graph (resizer.onnx) cannot be loaded: not a protobuf message: wire type 6' })
  })

  it('without verify, a lying graph loads but its first run is refused with E_MODEL_GRAPH', async () => {
    const dir = await variant('lying-decoder-unverified', (d, m) => {
      withoutIncremental(m)
      const R = m.resolution as number
      const { channels, size } = m.stylemap as { channels: number; size: number }
      return replaceGraph(d, m, 'decoder.onnx', passThroughGraph('stylemap', ['N', channels, size, size], 'image', ['N', 3, R, R]))
    })
    const runtime = await ModelRuntime.load(dir)
    try {
      await expect(runtime.decode(new Float32Array(runtime.stylemapLength), 1)).rejects.toMatchObject({ code: 'E_MODEL_GRAPH' })
    } finally {
      await runtime.release()
    }
  })
  it('loads a folder reached through a symbolic link to it (only links inside the folder are refused)', async () => {
    const link = join(work, 'linked-model')
    await symlink(source, link)
    const runtime = await ModelRuntime.load(link)
    await runtime.release()
  })

  it('refuses a folder that does not exist', async () => {
    await expect(ModelRuntime.load(join(work, 'nothing-here'))).rejects.toMatchObject({ code: 'E_MODEL_MISSING' })
  })

  it('without resizer/synthesis/mapping: W works on the decoder, W+ and random say why not', async () => {
    const dir = await variant('decoder-only', (_d, m) => {
      withoutIncremental(m)
      const files = m.files as Record<string, string>
      delete files.resizer
      delete files.synthesis
      delete files.mapping
    })
    const engine = new Engine()
    try {
      const { model } = await engine.loadModel(dir)
      expect(model.features).toEqual({ wplus: false, random: false })
      const img = await engine.openImage({ bytes: await gradientPng(96, 96) })
      const R = model.resolution
      const edit = { original: { imageId: img.imageId }, layers: [{ reference: { imageId: img.imageId }, mask: rectMask(96, 96, 0, 0, 48, 48) }] }
      const out = await engine.render({ edit, output: { kind: 'generated' } })
      expect(out.generated.width).toBe(R)
      await expect(engine.render({ edit: { ...edit, space: 'wplus' }, output: { kind: 'generated' } })).rejects.toMatchObject({ code: 'E_MODEL_FEATURE' })
      await expect(engine.random({ seed: 1 })).rejects.toMatchObject({ code: 'E_MODEL_FEATURE' })
    } finally {
      await engine.dispose()
    }
  })

  it('releases the previous sessions on a model switch', async () => {
    const engine = new Engine()
    try {
      await engine.loadModel(source)
      const first = engine.inspect.runtime as ModelRuntime
      const img = await engine.openImage({ bytes: await gradientPng(80, 80) })
      const reconstruct = { edit: { original: { imageId: img.imageId }, layers: [] }, output: { kind: 'generated' as const } }
      expect((await engine.render(reconstruct)).encoded).toBe(1)
      await engine.loadModel(await variant('second', (_d, m) => void (m.id = 'second-model')))
      await expect(first.decode(new Float32Array(first.stylemapLength), 1)).rejects.toMatchObject({ code: 'E_MODEL_NOT_LOADED' })
      // stylemaps of the old model are not mixed with the new one: the photo is encoded again
      expect(engine.inspect.cacheSizes().stylemaps).toBe(0)
      expect((await engine.render(reconstruct)).encoded).toBe(1)
      expect((await engine.modelInfo())?.model.id).toBe('second-model')
    } finally {
      await engine.dispose()
    }
  })
})

describe('memory of the sessions and runs', () => {
  it('plans no memory pattern for the features graph and no arena for the graphs that run once per crop', () => {
    const base = { intraOpNumThreads: 1 }
    expect(graphSessionOptions('features', base)).toMatchObject({ enableMemPattern: false, freeDimensionOverrides: { N: 1 } })
    expect(graphSessionOptions('features', base).enableCpuMemArena).toBeUndefined()
    for (const graph of ['encoder', 'resizer', 'modulation', 'mapping'] as const)
      expect(graphSessionOptions(graph, base)).toMatchObject({ enableCpuMemArena: false })
    for (const graph of ['synthesis', 'decoder'] as const) expect(graphSessionOptions(graph, base)).toEqual({ ...base, freeDimensionOverrides: { N: 1 } })
  })

  it('lets no session\'s idle threads spin (sessions run back to back and would take each other\'s cores)', () => {
    expect(baseSessionOptions('cpu', 2)).toMatchObject({ intraOpNumThreads: 2, extra: { session: { intra_op: { allow_spinning: '0' } } } })
  })

  it('groups the modulation levels so no run computes more than the largest level', () => {
    const sizes = [8, 8, 16, 16, 32, 32, 64, 64, 128, 128, 256, 256]
    const levels = sizes.map((size, i) => ({ channels: i < 8 ? 512 : i < 10 ? 256 : 128, size }))
    expect(modulationGroups(levels, levels)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7], [8, 9], [10], [11]])
    const even = [4, 4, 4].map((size) => ({ channels: 8, size }))
    expect(modulationGroups(even, even)).toEqual([[0], [1], [2]])
  })

  it('groups consecutive levels within a budget, a level above it alone', () => {
    expect(groupLevels([3, 3, 4, 10, 1, 1], 10)).toEqual([[0, 1, 2], [3], [4, 5]])
    expect(groupLevels([12, 1], 10)).toEqual([[0], [1]])
    expect(groupLevels([1, 2, 3], 100)).toEqual([[0, 1, 2]])
  })

  it('modulates windows in runs of at most windowRunValues outputs, equal to one run', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      const levels = runtime.manifest.styles
      const windows = levels.map((l, i) => {
        const h = 3 + ((i * 5) % Math.max(1, l.size - 1))
        const w = 3 + ((i * 3) % Math.max(1, l.size - 1))
        return { data: new Float32Array(l.channels * h * w).map((_, k) => Math.cos(k * 0.29 + i)), height: h, width: w }
      })
      const once = await runtime.modulate(windows, 1)
      const runs: number[] = []
      const session = (runtime as unknown as { sessions: { modulation: { run: (...a: unknown[]) => unknown } } }).sessions.modulation
      const run = session.run.bind(session)
      session.run = (...a: unknown[]) => {
        runs.push(1)
        return run(...a)
      }
      runtime.windowRunValues = 1
      const grouped = await runtime.modulate(windows, 1)
      // a budget of one value: each run holds as much as the largest level alone
      const mods = runtime.manifest.modulations ?? []
      const values = windows.map((w, i) => (mods[i].channels + betaChannels(mods[i])) * (w.height - 2) * (w.width - 2))
      expect(runs.length).toBe(groupLevels(values, Math.max(...values)).length)
      expect(runs.length).toBeGreaterThan(2)
      grouped.forEach((m, i) => {
        expect([m.height, m.width]).toEqual([windows[i].height - 2, windows[i].width - 2])
        expect(m.gamma).toEqual(once[i].gamma)
        expect(m.beta).toEqual(once[i].beta)
      })
    } finally {
      await runtime.release()
    }
  })

  it('writes large modulation outputs into buffers of its own, with the values onnxruntime\'s own give, and never the resizer\'s', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      const levels = runtime.manifest.styles
      const stylemap = new Float32Array(runtime.stylemapLength).map((_, k) => Math.sin(k * 0.11))
      const windows = levels.map((l, i) => ({ data: new Float32Array(l.channels * 25).map((_, k) => Math.cos(k * 0.29 + i)), height: 5, width: 5 }))
      const session = (runtime as unknown as { sessions: { modulation: { run: (...a: unknown[]) => unknown }; resizer: { run: (...a: unknown[]) => unknown } } }).sessions
      const given: string[] = []
      for (const [name, graph] of [['modulation', session.modulation], ['resizer', session.resizer]] as const) {
        const run = graph.run.bind(graph)
        graph.run = (...a: unknown[]) => {
          given.push(`${name}${a[1] === undefined ? '' : ' into buffers'}`)
          return run(...a)
        }
      }
      runtime.preallocateBytes = Infinity
      const ownStyles = await runtime.resize(stylemap, 1)
      const ownMods = await runtime.modulate(windows, 1)
      runtime.preallocateBytes = 0
      const intoStyles = await runtime.resize(stylemap, 1)
      const intoMods = await runtime.modulate(windows, 1)
      // a resize's outputs are pyramids' sources, dropped at once: pre-allocated, both copies stayed until collected
      expect(given).toEqual(['resizer', 'modulation', 'resizer', 'modulation into buffers'])
      intoStyles.forEach((s, i) => expect(s).toEqual(ownStyles[i]))
      intoMods.forEach((m, i) => {
        expect([m.height, m.width]).toEqual([3, 3])
        expect(m.gamma).toEqual(ownMods[i].gamma)
        expect(m.beta).toEqual(ownMods[i].beta)
      })
    } finally {
      await runtime.release()
    }
  })

  it('answers a coarse run whose inputs are bit for bit the latest run\'s with that run\'s x, and runs again on any change', async () => {
    const runtime = await ModelRuntime.load(source)
    const fresh = await ModelRuntime.load(source)
    try {
      const levels = runtime.manifest.styles
      const mods = await runtime.modulations(levels.map((l, i) => new Float32Array(l.channels * l.size * l.size).map((_, k) => Math.sin(k * 0.37 + i))), 1)
      const session = (runtime as unknown as { sessions: { coarse: { run: (...a: unknown[]) => unknown } } }).sessions.coarse
      const run = session.run.bind(session)
      let runs = 0
      session.run = (...a: unknown[]) => {
        runs++
        return run(...a)
      }
      const first = await runtime.coarse(mods)
      const firstValues = first.slice()
      // the same values in other arrays: no run
      const again = await runtime.coarse(mods.map((m) => ({ ...m, gamma: m.gamma.slice(), beta: m.beta.slice() })))
      expect(runs).toBe(1)
      expect(again).toBe(first)
      // the engine changes its tensors in place: the kept inputs are copies, so a change of the
      // last coarse value is seen, and the x that comes back is a run's
      const F = runtime.manifest.preview?.fineLayer ?? 0
      expect(F).toBeGreaterThan(0)
      mods[F - 1].beta[mods[F - 1].beta.length - 1] += 0.5
      const changed = await runtime.coarse(mods)
      expect(runs).toBe(2)
      expect(changed).toEqual(await fresh.coarse(mods))
      expect(changed).not.toEqual(firstValues)
      expect(first).toEqual(firstValues)
      // bits, not numbers: 0 and -0 are two inputs
      mods[0].gamma[0] = 0
      await runtime.coarse(mods)
      mods[0].gamma[0] = -0
      await runtime.coarse(mods)
      expect(runs).toBe(4)
      // a batch (its own session) neither reads nor replaces what one image's run left
      const two = mods.map((m) => ({ ...m, gamma: new Float32Array([...m.gamma, ...m.gamma]), beta: new Float32Array([...m.beta, ...m.beta]) }))
      const batch = await runtime.coarse(two, 2)
      expect(batch.length).toBe(2 * first.length)
      expect(batch.subarray(first.length)).toEqual(await fresh.coarse(mods))
      await runtime.coarse(mods)
      expect(runs).toBe(4)
    } finally {
      await runtime.release()
      await fresh.release()
    }
  })

  it('gives whole gamma and beta level group by level group equal to one run over every padded level', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      const levels = runtime.manifest.styles
      const styles = levels.map((l, i) => new Float32Array(l.channels * l.size * l.size).map((_, k) => Math.sin(k * 0.37 + i)))
      const whole = await runtime.modulate(
        levels.map((l, i) => ({ data: padZero(styles[i], 1, l.channels, l.size, l.size, 1), height: l.size + 2, width: l.size + 2 })),
        1,
      )
      expect(modulationGroups(levels, runtime.manifest.modulations ?? []).length).toBeGreaterThan(1)
      const grouped = await runtime.modulations(styles, 1)
      expect(grouped.length).toBe(levels.length)
      grouped.forEach((m, i) => {
        expect([m.height, m.width]).toEqual([levels[i].size, levels[i].size])
        expect(m.gamma).toEqual(whole[i].gamma)
        expect(m.beta).toEqual(whole[i].beta)
      })
    } finally {
      await runtime.release()
    }
  })
})

describe("the resizer's tail", () => {
  it('gives the whole resizer\'s halves, bit for bit, on the cells a window grown by TAIL_MARGIN covers, and not with a margin one less', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      const levels = runtime.manifest.styles
      // the bundled 64 px model: 8, 16, 32, 64 px levels, two each; the tail runs from the second 16 px one
      const k = runtime.tailLevel!
      expect(k).toBe(3)
      const { channels, size } = levels[k]
      const stylemap = new Float32Array(runtime.stylemapLength).map((_, i) => 1.5 * Math.sin(i * 0.37))
      const whole = await runtime.resize(stylemap, 1)
      const matches = async (cells: { x0: number; y0: number; x1: number; y1: number }, margin: number) => {
        const at = { x0: Math.max(0, cells.x0 - margin), y0: Math.max(0, cells.y0 - margin), x1: Math.min(size, cells.x1 + margin), y1: Math.min(size, cells.y1 + margin) }
        const [w, h] = [at.x1 - at.x0, at.y1 - at.y0]
        const tail = await runtime.resizeTail(cutRegion(whole[k], channels, size, at), h, w)
        expect(tail.length).toBe(levels.length - k - 1)
        return tail.every((got, j) => {
          const { channels: c, size: r } = levels[k + 1 + j]
          const f = r / size
          expect(got.length).toBe(c * h * f * w * f)
          const inner = { x0: (cells.x0 - at.x0) * f, y0: (cells.y0 - at.y0) * f, x1: (cells.x1 - at.x0) * f, y1: (cells.y1 - at.y0) * f }
          const want = cutRegion(whole[k + 1 + j], c, r, { x0: cells.x0 * f, y0: cells.y0 * f, x1: cells.x1 * f, y1: cells.y1 * f })
          return Buffer.from(cutPlanes(got, c, w * f, h * f, inner).buffer).equals(Buffer.from(want.buffer))
        })
      }
      // inside the grid, at its corner, and the whole grid
      for (const cells of [{ x0: 6, y0: 5, x1: 9, y1: 10 }, { x0: 0, y0: 12, x1: 3, y1: 16 }, { x0: 0, y0: 0, x1: size, y1: size }]) {
        expect(await matches(cells, TAIL_MARGIN)).toBe(true)
      }
      expect(await matches({ x0: 6, y0: 5, x1: 9, y1: 10 }, TAIL_MARGIN - 1)).toBe(false)
    } finally {
      await runtime.release()
    }
  })

  it('turns itself off, with E_INFERENCE once, where its graph cannot be cut from the resizer\'s', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      // a resizer file without the tail level among its outputs (the encoder's graph stands in)
      ;(runtime as unknown as { paths: Record<string, string> }).paths.resizer = join(source, 'encoder.onnx')
      const { channels, size } = runtime.manifest.styles[3]
      await expect(runtime.resizeTail(new Uint16Array(channels * size * size), size, size)).rejects.toMatchObject({ code: 'E_INFERENCE', message: expect.stringContaining('the graph has no output style_3') })
      expect(runtime.tailLevel).toBeNull()
    } finally {
      await runtime.release()
    }
  })

  it('starts from the last level at a quarter of the resolution, where the model has one', () => {
    const styles = [8, 8, 16, 16, 32, 32, 64, 64].map((size) => ({ channels: 4, size }))
    const m = (resolution: number, files: Record<string, string> = { resizer: 'resizer.onnx' }) => ({ resolution, styles, files }) as unknown as Parameters<typeof tailLevel>[0]
    expect(tailLevel(m(64))).toBe(3)
    expect(tailLevel(m(128))).toBe(5)
    // no level past it, or none at a quarter, or no resizer: none
    expect(tailLevel(m(256))).toBeNull()
    expect(tailLevel(m(48))).toBeNull()
    expect(tailLevel(m(64, {}))).toBeNull()
  })
})

describe('time in onnxruntime', () => {
  it('counts the time of the graph runs it asks for, the tail\'s too, and nothing where no graph runs', async () => {
    const runtime = await ModelRuntime.load(source)
    try {
      // the probes at load are not the model's runs
      expect(runtime.inferenceMs).toBe(0)
      const added = async (work: () => Promise<unknown>) => {
        const before = runtime.inferenceMs
        const started = performance.now()
        await work()
        return { ms: runtime.inferenceMs - before, wall: performance.now() - started }
      }
      const R = runtime.info.resolution
      const image = new Float32Array(3 * R * R).map((_, i) => Math.sin(i * 0.01))
      const encoded = await added(() => runtime.encode(image, 1))
      expect(encoded.ms).toBeGreaterThan(0)
      expect(encoded.ms).toBeLessThanOrEqual(encoded.wall)
      // a run that takes 60 ms longer is counted 60 ms longer
      const session = (runtime as unknown as { sessions: { encoder: { run: (...a: unknown[]) => Promise<unknown> } } }).sessions.encoder
      const run = session.run.bind(session)
      session.run = async (...a: unknown[]) => {
        await new Promise((resolve) => setTimeout(resolve, 60))
        return run(...a)
      }
      expect((await added(() => runtime.encode(image, 1))).ms).toBeGreaterThanOrEqual(59)
      const stylemap = await runtime.encode(image, 1)
      const halves = await runtime.resize(stylemap, 1)
      const k = runtime.tailLevel!
      const { size } = runtime.info.styles[k]
      expect((await added(() => runtime.resizeTail(halves[k], size, size))).ms).toBeGreaterThan(0)
      // a coarse run answered from the latest one's x runs no graph
      const mods = await runtime.modulations(halves, 1)
      await runtime.coarse(mods)
      expect((await added(() => runtime.coarse(mods))).ms).toBe(0)
    } finally {
      await runtime.release()
    }
  })
})

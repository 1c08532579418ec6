// A loaded model folder: one onnxruntime session per graph, created once, released on switch.
import { readFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { LoadModelOptions, ModelInfo, ProviderName, ProviderPreference, ProviderReport } from './api.js'
import { EngineError, engineErrorCodes } from './errors.js'
import { type GraphName, type Manifest, readManifest, verifyFiles } from './manifest.js'
import { fromHalf, HALF_VALUES } from './half.js'
import { withHalfInputs, withHalfOutputs } from './halfOutputs.js'
import { tailGraph } from './tailGraph.js'
import type { StyleTensor } from './mixing.js'
import { chooseProvider, planProviders, probeModelBytes } from './providers.js'

// Failed provider probes are reported to the user through ProviderReport; onnxruntime's own
// console logging of the same failures would only be noise on stderr.
ort.env.logLevel = 'fatal'

const probeCache = new Map<string, Promise<ProviderReport>>()

/** Tries to start `provider` on a tiny graph; throws its failure. */
export async function probeProvider(provider: ProviderName): Promise<void> {
  const session = await ort.InferenceSession.create(probeModelBytes(), { executionProviders: [provider], logSeverityLevel: 4 })
  try {
    const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 4])
    const out = await session.run({ x })
    const y = out.y.data as Float32Array
    if (y[3] !== 8) throw new Error(`${provider} computed a wrong result`)
  } finally {
    await session.release()
  }
}

/** Plans and probes providers for this machine; the answer is cached per preference. */
export function detectProviders(preference: ProviderPreference = 'auto', probe: (p: ProviderName) => Promise<void> = probeProvider): Promise<ProviderReport> {
  const key = preference
  const useCache = probe === probeProvider
  const cached = useCache ? probeCache.get(key) : undefined
  if (cached) return cached
  const report = chooseProvider(planProviders({ platform: process.platform, arch: process.arch, preference }), preference, probe)
  if (useCache) {
    probeCache.set(key, report)
    report.catch(() => probeCache.delete(key))
  }
  return report
}

type Dim = number | string
interface IoSpec {
  inputs: Record<string, Dim[]>
  outputs: Record<string, Dim[]>
  /** Shapes for the load-time probe where a graph has dynamic sizes besides the batch. */
  probe?: { inputs: Record<string, number[]>; outputs: Record<string, number[]> }
  /**
   * Outputs that come out as halves: the session is created from the folder's graph with a cast
   * to float16 after each (halfOutputs.ts), as the engine keeps them only as halves: the
   * resizer's, and the modulation graph's at halfLevels.
   */
  halfOutputs?: readonly string[]
  /** Inputs taken as halves (the fine graph's at halfLevels), cast to float32 in the graph. */
  halfInputs?: readonly string[]
  /** Of halfOutputs, those the graph's later nodes read as halves (withHalfOutputs): the resizer's tail level. */
  roundedOutputs?: readonly string[]
}

/**
 * The style level the resizer's tail starts from (tailGraph.ts): the last at a quarter of the
 * model's resolution, whose next levels (half the resolution, then the whole) are most of the
 * resizer's work; null when the model has no resizer or no such level.
 */
export function tailLevel(m: Manifest): number | null {
  const k = m.styles.map((s) => s.size * 4).lastIndexOf(m.resolution)
  return m.files.resizer && k >= 0 && k < m.styles.length - 1 ? k : null
}

/**
 * Cells of the tail level a window of it needs around the cells it is run for, where it does not
 * reach the edge: a 3 x 3 transposed convolution, a 4 x 4 blur and a 3 x 3 convolution at each of
 * the two levels up reach 3 cells of the tail level (a window grown by 2 differs from the whole
 * run's, by 3 gives it bit for bit: model.test.ts).
 */
export const TAIL_MARGIN = 3

/** One window of a style tensor for the modulation graph: [n, channels, height, width]. */
export interface StyleWindow {
  data: Float32Array
  height: number
  width: number
}

/**
 * A modulated layer's gamma and beta ([n, channels, height, width] each; beta [n, betaChannels(level),
 * height, width]): float32, or at a level of halfLevels the bits of halves.
 */
export interface Modulation {
  gamma: StyleTensor
  beta: StyleTensor
  height: number
  width: number
}

/** A modulated layer as model.json's `modulations` lists it. */
export interface ModulationLevel {
  channels: number
  size: number
  betaChannels?: number
}

/** beta_i's channels: the layer's own, or its 1x1 convolution's where beta comes through it (the RGB layer; models/FORMAT.md). */
export function betaChannels(level: ModulationLevel): number {
  return level.betaChannels ?? level.channels
}

/**
 * A level's gamma and beta are held and passed as halves from this many bytes of them as float32
 * on (both, one image), where the feature path is the coarse and fine graphs: a 256 px model's
 * 128 and 256 px layers (32-65 MiB each). The modulation graph casts them to float16 as it makes
 * them and the fine graph back to float32 as it reads them (halfOutputs.ts), so a crop's live
 * gamma/beta hold 81 MiB less. 256 px fixture, 2 threads: the bench's session peaks at 1,085
 * against 1,167-1,169 MiB; the fine graph alone 526-530 against 569-573 MiB after 6 runs, in
 * the same time (medians 817 / 759 against 779 / 762 ms, alternated in one process). Edits
 * differ from float32 ones by 0.002-0.013 levels on average, 2 at most (real photos).
 */
export const HALF_LEVEL_BYTES = 32 << 20

/** Per modulated level, whether its gamma and beta are halves (from `bytes` on): only past preview.fineLayer, with the coarse and fine graphs. */
export function halfLevels(m: Manifest, bytes = HALF_LEVEL_BYTES): boolean[] {
  const mods = m.modulations ?? []
  const split = !!(m.preview && m.files.modulation && m.files.features && m.files.coarse && m.files.fine)
  return mods.map((l, i) => split && i >= m.preview!.fineLayer && 4 * modulationValues(l) >= bytes)
}

/** A float32 tensor of `values`, or a float16 one of halves' bits. */
export function valuesTensor(values: StyleTensor, dims: readonly number[]): ort.Tensor {
  return values instanceof Uint16Array ? new ort.Tensor('float16', values, dims) : new ort.Tensor('float32', values, dims)
}

/** A float32 output's values, or a float16 one's bits. */
function valuesOf(t: ort.Tensor): StyleTensor {
  return t.type === 'float16' ? halvesOf(t.data) : (t.data as Float32Array)
}

/** A modulated layer's gamma and beta values over its whole grid (one image). */
export function modulationValues(level: ModulationLevel): number {
  return (level.channels + betaChannels(level)) * level.size * level.size
}

/** Adds a border of `b` zero cells around each [c, h, w] plane set of a batch of n (float32 or halves), as float32. */
export function padZero(data: StyleTensor, n: number, c: number, h: number, w: number, b: number): Float32Array {
  const H = h + 2 * b
  const W = w + 2 * b
  const out = new Float32Array(n * c * H * W)
  // the table read into a local once, for the loop
  const values = HALF_VALUES
  for (let p = 0; p < n * c; p++) {
    for (let y = 0; y < h; y++) {
      const from = p * h * w + y * w
      const to = p * H * W + (y + b) * W + b
      if (data instanceof Float32Array) out.set(data.subarray(from, from + w), to)
      else for (let x = 0; x < w; x++) out[to + x] = values[data[from + x]]
    }
  }
  return out
}

/** The smallest window of a level with `channels` (3 x 3 zeros, 1 x 1 out): what a run gets for a level it does not compute. */
export function emptyWindow(channels: number, n = 1): StyleWindow {
  return { data: new Float32Array(n * channels * 9), height: 3, width: 3 }
}

/** Consecutive levels, grouped while their `values` together stay within `budget` (a level above it is a group of its own). */
export function groupLevels(values: readonly number[], budget: number): number[][] {
  const groups: number[][] = []
  let sum = Infinity
  values.forEach((v, i) => {
    if (sum + v > budget) {
      groups.push([])
      sum = 0
    }
    groups[groups.length - 1].push(i)
    sum += v
  })
  return groups
}

/**
 * Levels whose whole gamma and beta one modulation run computes: consecutive levels while their
 * outputs together stay within the largest level's (256 px: [0..7], [8, 9], [10], [11]).
 */
export function modulationGroups(styles: readonly { channels: number; size: number }[], modulations: readonly ModulationLevel[]): number[][] {
  const values = modulations.slice(0, styles.length).map(modulationValues)
  return groupLevels(values, Math.max(...values))
}

/**
 * The gamma and beta values one run of modulate() computes on windows at most, unless a single
 * level's are more: what a run holds for a moment besides its inputs grows with its outputs.
 * The session bench's three features at 256 px have about 15.6 M of them (62 MB). Before the
 * outputs were pre-allocated (PREALLOCATE_BYTES), two runs instead of one took its peak RSS
 * from 1,426-1,432 to 1,389-1,411 MB, for 13-21 ms more per edit (runs of 4 M values:
 * 1,356-1,377 MB, 19-52 ms more). Pre-allocated, one run still peaked higher: 1,330 / 1,339 MB
 * against 1,247 / 1,249 in two (onnxruntime's own intermediates).
 */
export const WINDOW_RUN_VALUES = 8 << 20

/**
 * A modulation run's outputs at least this large (float32 bytes, all outputs together) are written
 * into buffers the engine allocates (outputBuffers; the resizer's are not, see resize). That is
 * for time, not memory: onnxruntime-node 1.30 writes the given buffers and still returns a copy
 * of each (the returned data is another ArrayBuffer, and a write to the given one does not show
 * in it), so both stay allocated until the collector frees the given ones, as onnxruntime's own
 * outputs would have been freed after the copy. But the run is quicker into them: 256 px edits
 * (bench's square masks, 20 each way, alternated, twice) medians 672.6 / 693.1 ms against
 * 694.8 / 709.5 without; in processes of their own (16 edits each, twice) 666.6 / 656.2 against
 * 702.0 / 742.2. Below, allocating zeroed buffers cost more than the copy: the 64 px model's
 * edit, medians 10.9 / 12.0 ms copied against 12.5 / 13.1 ms pre-allocated (edit-timing,
 * alternated).
 */
export const PREALLOCATE_BYTES = 4 << 20

/** Buffers for a run's outputs (name -> dims; float32, or float16 for those in `halves`) when they take `atLeast` bytes or more, else undefined. */
export function outputBuffers(shapes: Record<string, number[]>, atLeast: number, halves: readonly string[] = []): Record<string, ort.Tensor> | undefined {
  const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1)
  const bytes = Object.entries(shapes).reduce((sum, [name, dims]) => sum + (halves.includes(name) ? 2 : 4) * size(dims), 0)
  if (bytes < atLeast) return undefined
  const out: Record<string, ort.Tensor> = {}
  for (const [name, dims] of Object.entries(shapes)) out[name] = valuesTensor(halves.includes(name) ? new Uint16Array(size(dims)) : new Float32Array(size(dims)), dims)
  return out
}

/**
 * Whether two lists of float32 arrays (or halves) hold the same bytes (so -0 and 0 differ, and a NaN equals
 * itself). Buffer's native comparison: a JavaScript loop over 1.7 M values took 4 ms.
 */
export function sameBits(a: readonly StyleTensor[], b: readonly StyleTensor[]): boolean {
  const bytes = (v: StyleTensor) => Buffer.from(v.buffer, v.byteOffset, v.byteLength)
  return a.length === b.length && a.every((v, k) => v.length === b[k].length && bytes(v).equals(bytes(b[k])))
}

/**
 * A float16 output's values as their bits: onnxruntime gives a Uint16Array, or a Float16Array
 * where the JavaScript runtime has one (the halves' bits are the same bytes).
 */
function halvesOf(data: ort.Tensor['data']): Uint16Array {
  if (data instanceof Uint16Array) return data
  if (ArrayBuffer.isView(data) && data.BYTES_PER_ELEMENT === 2) return new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2)
  throw new Error('a float16 output came out as neither halves nor their bits')
}

/** Copies of `arrays`, written into `into`'s buffers where they have the same lengths. */
function copiesOf(arrays: readonly StyleTensor[], into?: readonly StyleTensor[]): StyleTensor[] {
  return arrays.map((a, k) => {
    const to = into?.[k]
    if (!to || to.length !== a.length || to.constructor !== a.constructor) return a.slice()
    to.set(a)
    return to
  })
}

function ioSpecs(m: Manifest, halfBytes = HALF_LEVEL_BYTES): Record<GraphName, IoSpec> {
  const R = m.resolution
  const { channels: C, size: S } = m.stylemap
  const stylemap: Dim[] = ['N', C, S, S]
  const image: Dim[] = ['N', 3, R, R]
  const styles = Object.fromEntries(m.styles.map((s, i) => [`style_${i}`, ['N', s.channels, s.size, s.size] as Dim[]]))
  const mods = m.modulations ?? []
  const modNames = (i: number) => [`gamma_${i}`, `beta_${i}`]
  const modChannels = (l: ModulationLevel, name: string) => (name.startsWith('beta') ? betaChannels(l) : l.channels)
  const modDims = Object.fromEntries(mods.flatMap((l, i) => modNames(i).map((n) => [n, ['N', modChannels(l, n), l.size, l.size] as Dim[]])))
  const halves = halfLevels(m, halfBytes).flatMap((half, i) => (half ? modNames(i) : []))
  const tail = tailLevel(m)
  return {
    encoder: { inputs: { image }, outputs: { stylemap } },
    decoder: { inputs: { stylemap }, outputs: { image } },
    resizer: { inputs: { stylemap }, outputs: styles, halfOutputs: Object.keys(styles), roundedOutputs: tail === null ? [] : [`style_${tail}`] },
    synthesis: { inputs: styles, outputs: { image } },
    modulation: {
      inputs: Object.fromEntries(m.styles.map((s, i) => [`style_${i}`, ['N', s.channels, `h${i}`, `w${i}`] as Dim[]])),
      outputs: Object.fromEntries(mods.flatMap((l, i) => modNames(i).map((n) => [n, ['N', modChannels(l, n), `h${i}_inner`, `w${i}_inner`] as Dim[]]))),
      // the probe feeds every style with its one-cell border: gamma and beta come out whole
      probe: {
        inputs: Object.fromEntries(m.styles.map((s, i) => [`style_${i}`, [1, s.channels, s.size + 2, s.size + 2]])),
        outputs: Object.fromEntries(mods.flatMap((l, i) => modNames(i).map((n) => [n, [1, modChannels(l, n), l.size, l.size]]))),
      },
      halfOutputs: halves,
    },
    features: { inputs: modDims, outputs: { image } },
    ...previewSpecs(m, modDims, halves),
    mapping: { inputs: { z: ['N', m.mapping?.zDim ?? 0] }, outputs: { stylemap } },
  }
}

/** The coarse and fine graphs' inputs and outputs (with them a model has `preview`; placeholders without). */
function previewSpecs(m: Manifest, modDims: Record<string, Dim[]>, halves: readonly string[]): { coarse: IoSpec; fine: IoSpec } {
  const p = m.preview
  const mods = m.modulations ?? []
  if (!p) return { coarse: { inputs: {}, outputs: {} }, fine: { inputs: {}, outputs: {} } }
  const R = m.resolution
  const names = (from: number, to: number) => mods.slice(from, to).flatMap((_, k) => [`gamma_${from + k}`, `beta_${from + k}`])
  const coarseNames = names(0, p.fineLayer)
  const fineNames = names(p.fineLayer, mods.length)
  const x: Dim[] = ['N', p.channels, p.grid, p.grid]
  const stats: Dim[] = ['N', mods.length - p.fineLayer, 2]
  return {
    coarse: { inputs: Object.fromEntries(coarseNames.map((n) => [n, modDims[n]])), outputs: { x } },
    fine: {
      // windows: every spatial size is free; the probe runs the whole map, not frozen
      inputs: { x: ['N', p.channels, 'h', 'w'], ...Object.fromEntries(fineNames.map((n) => [n, ['N', modDims[n][1], `h_${n}`, `w_${n}`] as Dim[]])), stats, frozen: [1] },
      outputs: { image: ['N', 3, 'H', 'W'], used: stats },
      probe: {
        inputs: {
          x: [1, p.channels, p.grid, p.grid],
          ...Object.fromEntries(fineNames.map((n) => [n, modDims[n].map((d) => (d === 'N' ? 1 : (d as number)))])),
          stats: [1, mods.length - p.fineLayer, 2],
          frozen: [1],
        },
        outputs: { image: [1, 3, R, R], used: [1, mods.length - p.fineLayer, 2] },
      },
      halfInputs: halves,
    },
  }
}

function checkIo(graph: GraphName, session: ort.InferenceSession, spec: IoSpec): void {
  const fail = (what: string): never => {
    throw new EngineError(engineErrorCodes.modelGraph, `${graph} graph does not match model.json: ${what}`)
  }
  const compare = (kind: 'input' | 'output', names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[], expected: Record<string, Dim[]>, halves: readonly string[] = []): void => {
    const want = Object.keys(expected)
    if (names.length !== want.length || want.some((n) => !names.includes(n))) fail(`${kind}s are [${names.join(', ')}], expected [${want.join(', ')}]`)
    for (const m of meta) {
      if (!m.isTensor) return fail(`${kind} ${m.name} is not a tensor`)
      const type = halves.includes(m.name) ? 'float16' : 'float32'
      if (m.type !== type) fail(`${kind} ${m.name} is ${m.type}, expected ${type}`)
      const dims = m.shape
      const exp = expected[m.name]
      if (dims.length !== exp.length) fail(`${kind} ${m.name} has rank ${dims.length}, expected ${exp.length}`)
      exp.forEach((d, i) => {
        if (typeof d === 'number' && typeof dims[i] === 'number' && dims[i] !== d) fail(`${kind} ${m.name} has shape [${dims.join(', ')}], expected [${exp.join(', ')}]`)
      })
    }
  }
  compare('input', session.inputNames, session.inputMetadata, spec.inputs, spec.halfInputs)
  compare('output', session.outputNames, session.outputMetadata, spec.outputs, spec.halfOutputs)
}

/** Fails with E_MODEL_GRAPH unless every output has the shape model.json gives it for a batch of `batch`. */
function checkOutputs(graph: GraphName, out: ort.InferenceSession.ReturnType, spec: IoSpec, batch: number, exact?: Record<string, number[]>): void {
  for (const [name, dims] of Object.entries(spec.outputs)) {
    // a symbolic size other than the batch depends on the input (the modulation graph's windows)
    const want: Dim[] = exact?.[name] ?? dims.map((d) => (d === 'N' ? batch : d))
    const got = out[name]?.dims ?? []
    if (got.length !== want.length || got.some((d, i) => typeof want[i] === 'number' && d !== want[i])) {
      throw new EngineError(
        engineErrorCodes.modelGraph,
        `${graph} graph does not match model.json: output ${name} has shape [${got.join(', ')}], expected [${want.join(', ')}]`,
      )
    }
  }
}

/**
 * Runs each graph once on zeros (batch 1) and checks its output shapes: a graph can declare
 * symbolic or even wrong static sizes, which onnxruntime only finds out when it runs.
 */
async function probeGraphs(sessions: Partial<Record<GraphName, ort.InferenceSession>>, specs: Record<GraphName, IoSpec>): Promise<void> {
  for (const [graph, session] of Object.entries(sessions) as [GraphName, ort.InferenceSession][]) {
    const spec = specs[graph]
    const feeds: Record<string, ort.Tensor> = {}
    for (const [name, dims] of Object.entries(spec.inputs)) {
      const shape = spec.probe?.inputs[name] ?? dims.map((d) => (d === 'N' ? 1 : (d as number)))
      const size = shape.reduce((a, b) => a * b, 1)
      feeds[name] = valuesTensor(spec.halfInputs?.includes(name) ? new Uint16Array(size) : new Float32Array(size), shape)
    }
    let out: ort.InferenceSession.ReturnType
    try {
      out = await session.run(feeds)
    } catch (e) {
      throw new EngineError(
        engineErrorCodes.modelGraph,
        `${graph} graph fails on an input of the shape model.json gives: ${(e as Error).message.split('\n')[0]}`,
      )
    }
    checkOutputs(graph, out, spec, 1, spec.probe?.outputs)
  }
}

/** Session options of every graph: the provider, the threads (default: all cores but one), all optimisations, no spinning. */
export function baseSessionOptions(provider: ProviderName, threads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    // one core stays free for the window and main process while the engine renders
    intraOpNumThreads: threads ?? Math.max(1, availableParallelism() - 1),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // Each session has its own intra-op threads, and an edit runs sessions back to back
    // (modulation, then features). Spinning workers of the session that just ran took the cores
    // from the next one: 64 px W+ edits in models/tools/edit-timing.ts, medians 36-45 -> 15 ms
    // without spinning (features 17-19 -> 7.6 ms); 256 px W+ 689 -> 633 ms, features the same.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  }
}

/**
 * The graphs the engine creates sessions for. With the modulation and features graphs, decoder
 * and synthesis are the same arithmetic again (resizer -> modulation -> features): their sessions
 * would only hold the weights twice.
 */
function sessionGraphs(paths: Record<GraphName, string | undefined>): [GraphName, string][] {
  const incremental = !!(paths.modulation && paths.features)
  // with the draft graphs, coarse then fine (not frozen) is the feature path: no features session either
  const split = incremental && !!(paths.coarse && paths.fine)
  return (Object.entries(paths) as [GraphName, string | undefined][]).filter(
    (e): e is [GraphName, string] => !!e[1] && !(incremental && (e[0] === 'decoder' || e[0] === 'synthesis')) && !(split && e[0] === 'features'),
  )
}

/**
 * A graph's own session options over `options` (batch 1). Batch fixed to 1 lets onnxruntime plan
 * static shapes: about 1.5x faster on the interactive path. Only the graphs every edit runs keep
 * a memory arena: the encoder and resizer run once per crop, and the modulation graph's windows
 * change size every call, so an arena would hold their largest activations (hundreds of MB at
 * 256 px) for nothing. The features graph keeps its arena but plans no memory pattern: the
 * pattern is one block for every intermediate of the run, which the arena then holds besides
 * what it reuses (256 px: 751 -> 626 MB RSS for the session with its inputs, run time the same,
 * output identical).
 */
export function graphSessionOptions(graph: GraphName, options: ort.InferenceSession.SessionOptions): ort.InferenceSession.SessionOptions {
  const own: ort.InferenceSession.SessionOptions =
    graph === 'features' || graph === 'coarse' || graph === 'fine' ? { enableMemPattern: false } : graph === 'synthesis' || graph === 'decoder' ? {} : { enableCpuMemArena: false }
  return { ...own, ...options, freeDimensionOverrides: { N: 1 } }
}

/**
 * A session of the graph at `path`; with `spec.halfOutputs` or `halfInputs`, of that graph with
 * those outputs cast to float16 and inputs taken as float16, created from bytes, its external
 * weights found in the graph's folder.
 */
async function openSession(path: string, options: ort.InferenceSession.SessionOptions, spec: IoSpec): Promise<ort.InferenceSession> {
  if (!spec.halfOutputs?.length && !spec.halfInputs?.length) return ort.InferenceSession.create(path, options)
  return sessionOfBytes(withHalfInputs(withHalfOutputs(await readFile(path), spec.halfOutputs ?? [], spec.roundedOutputs), spec.halfInputs ?? []), path, options)
}

/** A session of a graph's bytes made from the graph at `path`, its external weights found in that graph's folder. */
function sessionOfBytes(bytes: Uint8Array, path: string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  const session = { ...(options.extra?.session as Record<string, unknown> | undefined), model_external_initializers_file_folder_path: dirname(path) }
  return ort.InferenceSession.create(bytes, { ...options, extra: { ...options.extra, session } })
}

/** One graph's session, its inputs and outputs checked against model.json. */
async function createSession(graph: GraphName, path: string, manifest: Manifest, options: ort.InferenceSession.SessionOptions, specs: Record<GraphName, IoSpec>): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession
  try {
    session = await openSession(path, graphSessionOptions(graph, options), specs[graph])
  } catch (e) {
    throw new EngineError(engineErrorCodes.modelGraph, `${graph} graph (${manifest.files[graph]}) cannot be loaded: ${(e as Error).message.split('\n')[0]}`)
  }
  try {
    checkIo(graph, session, specs[graph])
  } catch (e) {
    await session.release()
    throw e
  }
  return session
}

/**
 * What `ModelRuntime.load(dir, { verify: true })` checks, with one session alive at a time: the
 * folder, every graph the engine would load, its inputs and outputs, one run on zeros. For the importer's check, whose peak memory is then one graph's, not the model's.
 */
export async function verifyModelFolder(dir: string, provider: ProviderName = 'cpu'): Promise<void> {
  const absolute = resolve(dir)
  const manifest = await readManifest(absolute)
  const paths = await verifyFiles(absolute, manifest)
  // Each graph runs once: no arena, no memory pattern, and basic optimisations only. The app's
  // level ('all') also re-lays the weights out for its convolution kernels, which holds both
  // copies while a session is created: a 256 px modulation graph +396 MB against +144 MB.
  const options: ort.InferenceSession.SessionOptions = { ...baseSessionOptions(provider), graphOptimizationLevel: 'basic', enableCpuMemArena: false, enableMemPattern: false }
  const specs = ioSpecs(manifest)
  for (const [graph, path] of sessionGraphs(paths)) {
    const session = await createSession(graph, path, manifest, options, specs)
    try {
      await probeGraphs({ [graph]: session }, specs)
    } finally {
      await session.release()
    }
  }
}

/** A model folder with its sessions. */
export class ModelRuntime {
  private released = false

  private constructor(
    readonly manifest: Manifest,
    readonly info: ModelInfo,
    readonly providers: ProviderReport,
    private readonly sessions: Partial<Record<GraphName, ort.InferenceSession>>,
    private readonly paths: Partial<Record<GraphName, string>>,
    private readonly sessionOptions: ort.InferenceSession.SessionOptions,
    private readonly specs: Record<GraphName, IoSpec>,
  ) {}

  /** The most gamma and beta values one modulate() run computes (WINDOW_RUN_VALUES; tests lower it). */
  windowRunValues = WINDOW_RUN_VALUES
  /** A modulation run's outputs from this many bytes on are written into buffers the engine allocates too (PREALLOCATE_BYTES). */
  preallocateBytes = PREALLOCATE_BYTES

  /** Sessions with a dynamic batch size, created on first use of a batch above 1. */
  private readonly batchSessions: Partial<Record<GraphName, Promise<ort.InferenceSession>>> = {}

  /** Validates the folder (schema, hashes, graph inputs/outputs) and creates every session once. */
  static async load(dir: string, options: LoadModelOptions = {}): Promise<ModelRuntime> {
    const absolute = resolve(dir)
    const manifest = await readManifest(absolute)
    const paths = await verifyFiles(absolute, manifest)
    const providers = await detectProviders(options.provider ?? 'auto')
    const sessionOptions = baseSessionOptions(providers.inUse, options.threads)
    const specs = ioSpecs(manifest, options.halfLevelBytes)
    const sessions: Partial<Record<GraphName, ort.InferenceSession>> = {}
    const loaded: Partial<Record<GraphName, string>> = {}
    try {
      for (const [graph, path] of sessionGraphs(paths)) {
        sessions[graph] = await createSession(graph, path, manifest, sessionOptions, specs)
        loaded[graph] = path
      }
      if (options.verify) await probeGraphs(sessions, specs)
    } catch (e) {
      await Promise.all(Object.values(sessions).map((s) => s?.release()))
      throw e
    }
    const info: ModelInfo = {
      id: manifest.id,
      name: manifest.name,
      dir: absolute,
      resolution: manifest.resolution,
      stylemap: manifest.stylemap,
      styles: manifest.styles,
      zDim: manifest.mapping?.zDim ?? null,
      domain: manifest.domain,
      source: manifest.source,
      license: manifest.license,
      isDefault: manifest.default,
      features: { wplus: !!(sessions.resizer && (sessions.synthesis || sessions.features || (sessions.coarse && sessions.fine))), random: !!sessions.mapping },
      ...(manifest.alignment ? { alignment: { landmarks: manifest.alignment.landmarks } } : {}),
    }
    return new ModelRuntime(manifest, info, providers, sessions, loaded, sessionOptions, specs)
  }

  /** Per modulated level, whether its gamma and beta are halves (the modulation graph's outputs and the fine graph's inputs). */
  get halfLevels(): boolean[] {
    const halves = this.specs.fine.halfInputs ?? []
    return (this.manifest.modulations ?? []).map((_, i) => halves.includes(`gamma_${i}`))
  }

  get stylemapLength(): number {
    const { channels, size } = this.manifest.stylemap
    return channels * size * size
  }

  get imageLength(): number {
    return 3 * this.manifest.resolution * this.manifest.resolution
  }

  private async session(graph: GraphName, batch: number): Promise<ort.InferenceSession> {
    if (this.released) throw new EngineError(engineErrorCodes.modelNotLoaded, 'the model was unloaded')
    const s = this.sessions[graph]
    const path = this.paths[graph]
    if (!s || !path) {
      const what = graph === 'mapping' ? 'random generation' : 'W+ editing'
      throw new EngineError(engineErrorCodes.modelFeature, `model ${this.info.id} has no ${graph} graph, so ${what} is not available`)
    }
    if (batch === 1) return s
    let pending = this.batchSessions[graph]
    if (!pending) {
      pending = openSession(path, this.sessionOptions, this.specs[graph])
      this.batchSessions[graph] = pending
      pending.catch(() => delete this.batchSessions[graph])
    }
    return pending
  }

  #inferenceMs = 0

  /**
   * Milliseconds the model's graph runs have taken since it was loaded, each from asking
   * onnxruntime for it to its answer (onnxruntime-node starts a run on the next turn of the event
   * loop, so the turn is in it): the bench splits an edit's time with it into onnxruntime's work
   * and the engine's own. The engine runs one graph at a time; runs asked for together would each
   * count the others' time too.
   */
  get inferenceMs(): number {
    return this.#inferenceMs
  }

  /** `session.run`, its time counted in inferenceMs. */
  async #timed(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const started = performance.now()
    try {
      return fetches ? await session.run(feeds, fetches) : await session.run(feeds)
    } finally {
      this.#inferenceMs += performance.now() - started
    }
  }

  /** Runs a graph; `fetches`: buffers for its outputs to be written into (outputBuffers), else onnxruntime's own. */
  private async run(graph: GraphName, feeds: Record<string, ort.Tensor>, fetches?: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
    const batch = Object.values(feeds)[0].dims[0]
    const session = await this.session(graph, batch)
    let out: ort.InferenceSession.ReturnType
    try {
      out = await this.#timed(session, feeds, fetches)
    } catch (e) {
      throw new EngineError(engineErrorCodes.inference, `${graph} failed: ${(e as Error).message.split('\n')[0]}`)
    }
    // the probe ran batch 1; batches above 1 run in other sessions, checked the same way
    checkOutputs(graph, out, this.specs[graph], batch)
    return out
  }

  /** Images [n,3,R,R] in [-1,1] -> stylemaps [n,C,S,S]. */
  async encode(images: Float32Array, n: number): Promise<Float32Array> {
    const R = this.manifest.resolution
    const out = await this.run('encoder', { image: new ort.Tensor('float32', images, [n, 3, R, R]) })
    return out.stylemap.data as Float32Array
  }

  /** Whether the model has the incremental edit graphs (modulation and features, or coarse and fine in its stead). */
  get incremental(): boolean {
    return !!(this.sessions.modulation && (this.sessions.features || this.draftable))
  }

  /** Stylemaps -> raw images [n,3,R,R]. */
  async decode(stylemaps: Float32Array, n: number): Promise<Float32Array> {
    if (this.incremental) return this.synthesize(await this.resize(stylemaps, n), n)
    const { channels, size } = this.manifest.stylemap
    const out = await this.run('decoder', { stylemap: new ort.Tensor('float32', stylemaps, [n, channels, size, size]) })
    return out.image.data as Float32Array
  }

  /**
   * Stylemaps -> style tensors per level (each [n, c_i, r_i, r_i]), as halves: the graph casts
   * them (halfOutputs.ts), the same bits toHalf made of its float32 outputs in JavaScript. At
   * 256 px (the fixture's graph, 2 threads, alternated in one process, medians of 6) a resize
   * takes 1,148 ms against 1,430, of which toHalf was 240; in a process of its own it peaked
   * +153 MB over the loaded session against +227, and holds its 59 MB of halves, not 117 MB of
   * float32 garbage besides. The session bench's peak is the same (1,190 / 1,191 against 1,189 /
   * 1,188 MiB): it comes where the pyramids are held, not in a resize. Into onnxruntime's own
   * outputs, never pre-allocated ones (PREALLOCATE_BYTES): those stayed allocated twice until
   * the collector ran.
   */
  async resize(stylemaps: Float32Array, n: number): Promise<Uint16Array[]> {
    const { channels, size } = this.manifest.stylemap
    const out = await this.run('resizer', { stylemap: new ort.Tensor('float32', stylemaps, [n, channels, size, size]) })
    return this.manifest.styles.map((_, i) => halvesOf(out[`style_${i}`].data))
  }

  /** The style level the resizer's tail starts from (tailLevel); null: the model has none. */
  get tailLevel(): number | null {
    return this.paths.resizer && !this.tailBroken ? tailLevel(this.manifest) : null
  }

  /** Set when the tail's session could not be made (a resizer graph that cannot be cut there): the engine then resizes whole, as for a model without a tail level. */
  private tailBroken = false

  /** The resizer's tail (tailGraph.ts), its session made on first use: most crops never need it. */
  private tailSession?: Promise<ort.InferenceSession>

  /**
   * The resizer's levels past tailLevel for a window of that level's halves ([channels, height,
   * width], one image): one tensor of halves per level, [c_i, height x f, width x f] where f is
   * the level's size over the tail level's. Inside the window grown by TAIL_MARGIN (or reaching
   * the level's edge) they are the whole resizer's bit for bit, as the resizer computes them from
   * the same halves (roundedOutputs); nearer a cut edge the zeros beyond it show.
   */
  async resizeTail(window: Uint16Array, height: number, width: number): Promise<Uint16Array[]> {
    if (this.released) throw new EngineError(engineErrorCodes.modelNotLoaded, 'the model was unloaded')
    const k = this.tailLevel
    const path = this.paths.resizer
    if (k === null || !path) throw new EngineError(engineErrorCodes.modelFeature, `model ${this.info.id} has no resizer level to run a tail from`)
    const from = `style_${k}`
    const names = this.manifest.styles.map((_, i) => `style_${i}`).slice(k + 1)
    if (!this.tailSession) {
      this.tailSession = readFile(path).then((bytes) =>
        sessionOfBytes(withHalfInputs(withHalfOutputs(tailGraph(bytes, from, names), names), [from]), path, graphSessionOptions('resizer', this.sessionOptions)),
      )
      this.tailSession.catch(() => {
        this.tailSession = undefined
        this.tailBroken = true
      })
    }
    let out: ort.InferenceSession.ReturnType
    try {
      const session = await this.tailSession
      out = await this.#timed(session, { [from]: new ort.Tensor('float16', window, [1, this.manifest.styles[k].channels, height, width]) })
    } catch (e) {
      throw new EngineError(engineErrorCodes.inference, `resizer tail failed: ${(e as Error).message.split('\n')[0]}`)
    }
    return names.map((name) => halvesOf(out[name].data))
  }

  /** Style tensors (batch n each) -> raw images [n,3,R,R]. */
  async synthesize(styles: StyleTensor[], n: number): Promise<Float32Array> {
    if (this.incremental) return this.features(await this.modulations(styles, n), n)
    const feeds: Record<string, ort.Tensor> = {}
    this.manifest.styles.forEach((s, i) => {
      const values = styles[i] instanceof Float32Array ? styles[i] : fromHalf(styles[i])
      feeds[`style_${i}`] = new ort.Tensor('float32', values, [n, s.channels, s.size, s.size])
    })
    const out = await this.run('synthesis', feeds)
    return out.image.data as Float32Array
  }

  /**
   * gamma and beta of every modulated layer for windows of the style tensors ([n, c_i, h, w]
   * each, h and w at least 3): the 'valid' 3x3 convolutions, so each comes out 2 cells smaller.
   * Levels run in groups of at most windowRunValues outputs, each group with empty windows for
   * the other levels.
   */
  async modulate(windows: StyleWindow[], n: number): Promise<Modulation[]> {
    const levels = this.manifest.styles
    const mods = this.manifest.modulations ?? []
    if (windows.length !== levels.length) throw new Error(`modulate takes ${levels.length} windows, got ${windows.length}`)
    const values = windows.map((w, i) => n * (mods[i].channels + betaChannels(mods[i])) * Math.max(0, w.height - 2) * Math.max(0, w.width - 2))
    const groups = groupLevels(values, Math.max(this.windowRunValues, ...values))
    if (groups.length === 1) return this.modulateRun(windows, n)
    const out: Modulation[] = new Array(levels.length)
    for (const group of groups) {
      const part = await this.modulateRun(
        windows.map((w, i) => (group.includes(i) ? w : emptyWindow(levels[i].channels, n))),
        n,
      )
      for (const i of group) out[i] = part[i]
    }
    return out
  }

  /** modulate() in one run. */
  private async modulateRun(windows: StyleWindow[], n: number): Promise<Modulation[]> {
    const levels = this.manifest.styles
    const mods = this.manifest.modulations ?? []
    const feeds: Record<string, ort.Tensor> = {}
    windows.forEach((w, i) => {
      feeds[`style_${i}`] = new ort.Tensor('float32', w.data, [n, levels[i].channels, w.height, w.width])
    })
    const shapes: Record<string, number[]> = {}
    windows.forEach((w, i) => {
      shapes[`gamma_${i}`] = [n, mods[i].channels, w.height - 2, w.width - 2]
      shapes[`beta_${i}`] = [n, betaChannels(mods[i]), w.height - 2, w.width - 2]
    })
    const out = await this.run('modulation', feeds, outputBuffers(shapes, this.preallocateBytes, this.specs.modulation.halfOutputs))
    return windows.map((w, i) => {
      const gamma = out[`gamma_${i}`]
      const beta = out[`beta_${i}`]
      for (const [t, want] of [
        [gamma, shapes[`gamma_${i}`]],
        [beta, shapes[`beta_${i}`]],
      ] as const) {
        if (t.dims.some((d, k) => d !== want[k])) {
          throw new EngineError(engineErrorCodes.modelGraph, `modulation graph gave [${t.dims.join(', ')}] for a ${w.height}x${w.width} window, expected [${want.join(', ')}]`)
        }
      }
      return { gamma: valuesOf(gamma), beta: valuesOf(beta), height: w.height - 2, width: w.width - 2 }
    })
  }

  /**
   * gamma and beta of every modulated layer over whole style tensors (batch n), a few levels per
   * run (modulationGroups): one run over every level held every padded style at once, and, while
   * onnxruntime-node copied its outputs (before PREALLOCATE_BYTES), all of gamma/beta twice
   * (256 px: +593 MB over the styles for a moment, against +337 MB, 245 of them the result;
   * the same values, each level's convolutions see the same input).
   */
  async modulations(styles: StyleTensor[], n: number): Promise<Modulation[]> {
    const levels = this.manifest.styles
    const out: Modulation[] = new Array(levels.length)
    for (const group of modulationGroups(levels, this.manifest.modulations ?? levels)) {
      // the other levels get empty windows (their 1 x 1 outs unused)
      const windows = levels.map((l, i) =>
        group.includes(i)
          ? { data: padZero(styles[i], n, l.channels, l.size, l.size, 1), height: l.size + 2, width: l.size + 2 }
          : emptyWindow(l.channels, n),
      )
      const mods = await this.modulateRun(windows, n)
      for (const i of group) out[i] = mods[i]
    }
    return out
  }

  /** Every layer's gamma and beta (whole maps, batch n) -> raw images [n,3,R,R]. */
  async features(mods: Modulation[], n: number): Promise<Float32Array> {
    if (this.draftable) return (await this.split(mods, n)).image
    const levels = this.manifest.modulations ?? []
    const feeds: Record<string, ort.Tensor> = {}
    mods.forEach((m, i) => {
      const { channels, size } = levels[i]
      feeds[`gamma_${i}`] = valuesTensor(m.gamma, [n, channels, size, size])
      feeds[`beta_${i}`] = valuesTensor(m.beta, [n, betaChannels(levels[i]), size, size])
    })
    const out = await this.run('features', feeds)
    return out.image.data as Float32Array
  }

  /**
   * features() for one image, with the fine layers' normalisation statistics [layers - fineLayer, 2]
   * (mean, 1 / std) and the coarse part's map x it started from, where the model has the draft
   * preview graphs (null without).
   */
  async featuresWithStats(mods: Modulation[]): Promise<{ image: Float32Array; stats: Float32Array | null; x?: Float32Array }> {
    if (this.draftable) return this.split(mods, 1)
    return { image: await this.features(mods, 1), stats: null }
  }

  /** The feature path as coarse, then fine on the whole map with its own statistics (batch n). */
  private async split(mods: Modulation[], n: number): Promise<{ image: Float32Array; stats: Float32Array; x: Float32Array }> {
    const p = this.manifest.preview
    const levels = this.manifest.modulations ?? []
    if (!p) throw new EngineError(engineErrorCodes.modelFeature, `model ${this.info.id} has no draft preview graphs`)
    const x = await this.coarse(mods, n)
    const unused = new Float32Array(n * (levels.length - p.fineLayer) * 2)
    return { ...(await this.runFine(x, mods.slice(p.fineLayer), unused, false, p.grid, p.grid, n)), x }
  }

  /** Whether the model has the draft preview's coarse and fine graphs. */
  get draftable(): boolean {
    return !!(this.sessions.coarse && this.sessions.fine && this.manifest.preview)
  }

  /**
   * The latest one-image coarse run: copies of its inputs and its output. A stroke's exact render
   * has the same coarse gamma/beta as its last draft, and a dab often flips no cell of the coarse
   * levels (their W+ weights are thresholded at 8-32 px), so the next run is often the same run:
   * it is answered from here (at 256 px a 40 ms run for a comparison of 1.7 M values, 6.8 MB kept).
   */
  #coarseKept: { inputs: StyleTensor[]; x: Float32Array } | null = null

  /**
   * The coarse part of the feature path (batch n): gamma/beta of the layers before preview.fineLayer
   * (whole maps) -> x [n, channels, grid, grid]. For one image, the latest run's x again when these
   * inputs are bit for bit the latest run's; callers must not change the x they get.
   */
  async coarse(mods: Modulation[], n = 1): Promise<Float32Array> {
    const levels = this.manifest.modulations ?? []
    const inputs = mods.slice(0, this.manifest.preview?.fineLayer ?? 0).flatMap((m) => [m.gamma, m.beta])
    const kept = this.#coarseKept
    if (n === 1 && kept && sameBits(kept.inputs, inputs)) return kept.x
    // the inputs as they are when the run starts (the engine changes its tensors in place), in
    // the kept buffers, so nothing is kept until this run's x goes with them
    const copies = n === 1 ? copiesOf(inputs, kept?.inputs) : null
    if (copies) this.#coarseKept = null
    const feeds: Record<string, ort.Tensor> = {}
    for (let i = 0; i < (this.manifest.preview?.fineLayer ?? 0); i++) {
      const { channels, size } = levels[i]
      feeds[`gamma_${i}`] = valuesTensor(mods[i].gamma, [n, channels, size, size])
      feeds[`beta_${i}`] = valuesTensor(mods[i].beta, [n, betaChannels(levels[i]), size, size])
    }
    const out = await this.run('coarse', feeds)
    const x = out.x.data as Float32Array
    if (copies) this.#coarseKept = { inputs: copies, x }
    return x
  }

  /**
   * A draft's fine part on a window of `height` x `width` cells of x (one image): `x` that window
   * of coarse's map, `mods[k]` layer fineLayer + k's gamma/beta on the same window at its size,
   * `stats` the fine layers' statistics of an exact run (featuresWithStats), frozen -> the image on
   * the window, [3, height * R / grid, width * R / grid].
   */
  async fine(x: Float32Array, mods: Modulation[], stats: Float32Array, height: number, width: number): Promise<Float32Array> {
    return (await this.runFine(x, mods, stats, true, height, width, 1)).image
  }

  private async runFine(x: Float32Array, mods: Modulation[], stats: Float32Array, frozen: boolean, height: number, width: number, n: number): Promise<{ image: Float32Array; stats: Float32Array }> {
    const p = this.manifest.preview
    const levels = this.manifest.modulations ?? []
    if (!p) throw new EngineError(engineErrorCodes.modelFeature, `model ${this.info.id} has no draft preview graphs`)
    const fineLayers = levels.length - p.fineLayer
    const feeds: Record<string, ort.Tensor> = {
      x: new ort.Tensor('float32', x, [n, p.channels, height, width]),
      stats: new ort.Tensor('float32', stats, [n, fineLayers, 2]),
      frozen: new ort.Tensor('float32', new Float32Array([frozen ? 1 : 0]), [1]),
    }
    mods.forEach((m, k) => {
      const i = p.fineLayer + k
      const scale = levels[i].size / p.grid
      feeds[`gamma_${i}`] = valuesTensor(m.gamma, [n, levels[i].channels, height * scale, width * scale])
      feeds[`beta_${i}`] = valuesTensor(m.beta, [n, betaChannels(levels[i]), height * scale, width * scale])
    })
    const out = await this.run('fine', feeds)
    const scale = this.manifest.resolution / p.grid
    const want = [n, 3, height * scale, width * scale]
    if (out.image.dims.some((d, k) => d !== want[k])) {
      throw new EngineError(engineErrorCodes.modelGraph, `fine graph gave [${out.image.dims.join(', ')}] for a ${height}x${width} window, expected [${want.join(', ')}]`)
    }
    return { image: out.image.data as Float32Array, stats: out.used.data as Float32Array }
  }

  /** z [n, zDim] -> stylemaps. */
  async map(z: Float32Array, n: number): Promise<Float32Array> {
    const zDim = this.manifest.mapping?.zDim ?? 0
    const out = await this.run('mapping', { z: new ort.Tensor('float32', z, [n, zDim]) })
    return out.stylemap.data as Float32Array
  }

  has(graph: GraphName): boolean {
    return !!this.sessions[graph]
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    const made = await Promise.allSettled([...Object.values(this.batchSessions), ...(this.tailSession ? [this.tailSession] : [])])
    await Promise.all([
      ...Object.values(this.sessions).map((s) => s?.release()),
      ...made.map((r) => (r.status === 'fulfilled' ? r.value.release() : undefined)),
    ])
  }
}

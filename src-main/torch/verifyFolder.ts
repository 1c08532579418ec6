// The imported folder's check, run in its own process (verifyHost.ts, started by
// verifyProcess.ts) so that the graphs it loads (a 256 px model's check peaks near 1.9 GB)
// never count against the importing process: the CLI's, or Electron main's. It reads only the
// folder: model.json and the graphs it names.
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { relativeError } from '../engine/compare.js'
import { EngineError } from '../engine/errors.js'
import { type Manifest, readManifest } from '../engine/manifest.js'
import { padZero, verifyModelFolder } from '../engine/model.js'
import { peakRssMiB } from '../engine/peakRss.js'

/** The converter's code for a folder that does not load or run (importCheckpoint's convertErrorCodes.verify). */
export const verifyErrorCode = 'E_CONVERT_VERIFY'

/** What the check process answers. */
export interface FolderCheck {
  /** synthesis(resizer(w)) against features(modulation(resizer(w))), or decoder(w) without those graphs, for one fixed random stylemap. */
  check: { maxRelativeError: number; cases: number }
  /** With a folder to compare with (an upgrade's old one): the two folders' images of one stylemap and stylemaps of one image. */
  against?: { maxRelativeError: number }
  /** Seconds: the engine load with every graph run once (verify), the comparison (check). */
  seconds: { verify: number; check: number }
  /** The check process's own peak RSS in MiB. */
  peakRssMiB: number
}

/**
 * The folder in `dir` loaded the way the engine loads it and every graph run once (shapes
 * checked), one graph at a time (verifyModelFolder): a 256 px model held whole, as the app
 * holds it, would make this process's peak the model's.
 */
async function verifyFolder(dir: string): Promise<void> {
  try {
    await verifyModelFolder(dir, 'cpu')
  } catch (e) {
    const err = e as { code?: string; message?: string }
    throw new EngineError(verifyErrorCode, `the imported model does not load: ${err.code ?? 'error'}: ${err.message ?? String(e)}`, { cause: e })
  }
}

async function runGraph(path: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  // a one-off run: basic optimisation and no arena hold far less than the app's sessions (a 256 px decoder: MB below)
  const session = await ort.InferenceSession.create(path, { graphOptimizationLevel: 'basic', enableCpuMemArena: false, enableMemPattern: false, freeDimensionOverrides: { N: 1 }, logSeverityLevel: 3 })
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

/**
 * Two graphs that compute the same image from one random stylemap, one session at a time:
 * synthesis(resizer(w)) against features(modulation(resizer(w))) where the folder has the
 * incremental graphs (what the app runs), against decoder(w) otherwise. The decoder is left out
 * of the first case: the app creates no session for it then, and one more 256 px graph in this
 * process would take its peak above 1.2 GB (the memory the process keeps between graphs adds up).
 */
async function checkConsistency(dir: string, manifest: Pick<Manifest, 'files' | 'stylemap' | 'styles' | 'preview'>): Promise<{ maxRelativeError: number; cases: number }> {
  const { channels, size } = manifest.stylemap
  const { decoder, resizer, synthesis, modulation, features, coarse, fine } = manifest.files
  if (!resizer || !synthesis) throw new EngineError(verifyErrorCode, 'the imported model.json names no resizer or synthesis graph (every template has both)')
  const stylemap = new ort.Tensor('float32', fixedNormals(channels * size * size), [1, channels, size, size])
  const styles = await runGraph(join(dir, resizer), { stylemap })
  const synthesized = (await runGraph(join(dir, synthesis), styles)).image.data as Float32Array
  let other: Float32Array
  let what: string
  if (modulation && features) {
    const padded = Object.fromEntries(
      manifest.styles.map((l, i) => [`style_${i}`, new ort.Tensor('float32', padZero(styles[`style_${i}`].data as Float32Array, 1, l.channels, l.size, l.size, 1), [1, l.channels, l.size + 2, l.size + 2])]),
    )
    const mods = await runGraph(join(dir, modulation), padded)
    const featured = await runGraph(join(dir, features), mods)
    other = featured.image.data as Float32Array
    what = 'features(modulation(resizer)) and synthesis(resizer)'
    const error = relativeError(synthesized, other)
    if (!(error <= 1e-4)) throw new EngineError(verifyErrorCode, `the imported ${what} disagree: max relative error ${error}`)
    if (coarse && fine && manifest.preview) {
      // the draft preview's graphs on the whole map, not frozen, are features again
      const cut = manifest.preview.fineLayer
      const pick = (from: number, to: number) => Object.fromEntries(Object.entries(mods).filter(([name]) => { const i = Number(name.split('_')[1]); return i >= from && i < to }))
      const { x } = await runGraph(join(dir, coarse), pick(0, cut))
      const fineLayers = manifest.styles.length - cut
      const unused = new ort.Tensor('float32', new Float32Array(fineLayers * 2), [1, fineLayers, 2])
      const frozen = new ort.Tensor('float32', new Float32Array([0]), [1])
      const split = (await runGraph(join(dir, fine), { x, ...pick(cut, manifest.styles.length), stats: unused, frozen })).image.data as Float32Array
      const splitError = relativeError(other, split)
      if (!(splitError <= 1e-4)) throw new EngineError(verifyErrorCode, `the imported fine(coarse) and features disagree: max relative error ${splitError}`)
    }
  } else {
    other = (await runGraph(join(dir, decoder), { stylemap })).image.data as Float32Array
    what = 'decoder and synthesis(resizer)'
  }
  const maxRelativeError = relativeError(synthesized, other)
  if (!(maxRelativeError <= 1e-4)) throw new EngineError(verifyErrorCode, `the imported ${what} disagree: max relative error ${maxRelativeError}`)
  return { maxRelativeError, cases: 1 }
}

/** Fixed pseudo-random values (roughly standard normal), so a check can be repeated. */
function fixedNormals(count: number): Float32Array {
  let seed = 12345
  const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 0.5) / 2147483648
  return new Float32Array(count).map(() => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()))
}

/** The image of `stylemap` as the folder in `dir` computes it: synthesis(resizer(w)), or decoder(w) without those graphs. */
async function imageOf(dir: string, manifest: Manifest, stylemap: ort.Tensor): Promise<Float32Array> {
  const { decoder, resizer, synthesis } = manifest.files
  if (!resizer || !synthesis) return (await runGraph(join(dir, decoder), { stylemap })).image.data as Float32Array
  return (await runGraph(join(dir, synthesis), await runGraph(join(dir, resizer), { stylemap }))).image.data as Float32Array
}

/**
 * The folder in `dir` against the one in `before` (the folder an upgrade replaces, with the same
 * weights in its older graphs): one fixed random stylemap's image, and one fixed random image's
 * stylemap, from each must agree. Their largest relative error.
 */
async function compareWith(dir: string, manifest: Manifest, before: string): Promise<number> {
  let old: Manifest
  try {
    old = await readManifest(before)
  } catch (e) {
    throw new EngineError(verifyErrorCode, `the model folder to compare with does not read: ${(e as Error).message}`, { cause: e })
  }
  const { channels, size } = manifest.stylemap
  const R = manifest.resolution
  if (old.resolution !== R || old.stylemap.channels !== channels || old.stylemap.size !== size) throw new EngineError(verifyErrorCode, 'the two model folders are of different sizes')
  const stylemap = new ort.Tensor('float32', fixedNormals(channels * size * size), [1, channels, size, size])
  const imageError = relativeError(await imageOf(before, old, stylemap), await imageOf(dir, manifest, stylemap))
  if (!(imageError <= 1e-4)) throw new EngineError(verifyErrorCode, `the model's images differ from the folder it replaces: max relative error ${imageError}`)
  // an image in [-1, 1], as the encoder gets them
  const image = new ort.Tensor('float32', fixedNormals(3 * R * R).map((v) => Math.tanh(v)), [1, 3, R, R])
  const encoded = async (from: string, files: Manifest['files']) => (await runGraph(join(from, files.encoder), { image })).stylemap.data as Float32Array
  const stylemapError = relativeError(await encoded(before, old.files), await encoded(dir, manifest.files))
  if (!(stylemapError <= 1e-4)) throw new EngineError(verifyErrorCode, `the model's encoder differs from the folder it replaces: max relative error ${stylemapError}`)
  return Math.max(imageError, stylemapError)
}

/**
 * Loads and checks the folder in `dir` in this process, and compares it with the folder in
 * `against` when given (upgradeFolder.ts); fails with E_CONVERT_VERIFY.
 */
export async function checkFolder(dir: string, against?: string): Promise<FolderCheck> {
  const started = performance.now()
  await verifyFolder(dir)
  const loaded = performance.now()
  // verifyFolder has read and validated model.json already
  const manifest = await readManifest(dir)
  const check = await checkConsistency(dir, manifest)
  const compared = against === undefined ? undefined : { maxRelativeError: await compareWith(dir, manifest, against) }
  const seconds = (ms: number) => Math.round(ms / 10) / 100
  return {
    check,
    ...(compared ? { against: compared } : {}),
    seconds: { verify: seconds(loaded - started), check: seconds(performance.now() - loaded) },
    peakRssMiB: peakRssMiB(),
  }
}

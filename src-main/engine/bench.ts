// `stylemap bench`: the interactive path against what the reference demo does per interaction,
// same runtime, same process, same photos.
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import type { Crop, Mask, MixSpace, ProviderPreference, RawImage } from './api.js'
import { benchPhoto, disc, nextRequest, squareMask } from './benchInputs.js'
import { STROKE_AFTER_MS, strokeDuringPrepare } from './benchPrepare.js'
import { benchSession, type SessionBench } from './benchSession.js'
import { Engine } from './engine.js'
import { detectFaces } from './faces/detect.js'
import { cropToModel, imageToTensor, tensorToImage } from './images.js'
import { type MixLayer, mixW, mixWPlus } from './mixing.js'
import { sharedDataDir } from '../testing/utkface.js'
import { peakRssMiB } from './peakRss.js'

export interface BenchRow {
  model: string
  resolution: number
  encode_ms: number
  decode_ms: number
  /** One warm edit, generator only: `render` of one reference on a 512 px photo, mixed and decoded (output `generated`). */
  edit_ms: number
  /**
   * Of those edits, the time inside onnxruntime's runs (median, ModelRuntime.inferenceMs): at
   * 256 px nearly all of it the graphs' convolutions at the CPU's rate, which only less
   * arithmetic makes shorter. The rest of edit_ms is the engine's own work in JavaScript (mixing
   * windows, copying gamma/beta, the collector).
   */
  edit_inference_ms: number
  /**
   * A strength slider moved: the edit of one mask rendered again at another strength each run
   * (generator only). One layer's changes scale with its strength, so W+ models run no modulation.
   */
  strength_ms: number
  /** One warm live preview as the app asks for it: the same edit pasted back with detail, the crop region returned. */
  preview_ms: number
  /**
   * A paste-back setting moved (the feather here; detail and colour match alike): the preview of
   * the edit shown, again with another feather each run. Its gamma/beta are as they were, so the
   * generator's image of them is reused (incremental models) and only the paste-back runs.
   */
  repaste_ms: number
  /**
   * The live preview while a stroke is painted: the edit's exact preview rendered, then a dab of
   * the brush (40 px across, on the mask's right edge) added and rendered as a draft (the
   * preview with draft: true). Null for a model without the draft graphs.
   */
  draft_preview_ms: number | null
  /** Those drafts' generator output against the exact render of the same edit: median PSNR over the crop (dB); null when none was a draft. */
  draft_psnr_db: number | null
  /**
   * That exact render (generator only), which follows the draft as it follows a stroke: the
   * draft has written the stroke's gamma/beta in, so it runs the feature path alone. Null when
   * none was a draft.
   */
  stroke_end_ms: number | null
  /**
   * A strength slider dragged, as the app asks while the button is down: from the exact preview
   * of strength_ms's edit, the same edit at another strength each run as a draft preview. Null
   * for a model without the draft graphs.
   */
  strength_draft_ms: number | null
  /** The offset tool dragged, alike: the same edit with another offset each run (up to 24 px), as a draft preview. */
  offset_draft_ms: number | null
  /**
   * One such draft against the exact render of the same edit, from the exact preview shown: at
   * strength 0.6, and with the offset (-16, -8): PSNR over the crop (dB), of the generator
   * outputs. Null where those are not drafts.
   */
  strength_draft_psnr_db: number | null
  offset_draft_psnr_db: number | null
  /** Whether every one of those renders (the stroke's and the drags') was a draft (the engine renders exactly where a window is most of the grid). */
  drafted: boolean
  /**
   * The first live preview of a photo crop and a reference crop just framed, nothing of them
   * encoded yet: encoding both, the photo's styles and gamma/beta, then the edit (crops of
   * their own each run).
   */
  first_preview_ms: number
  /** `prepare` of such crops, which the app asks for once a framed crop stays put (CropPreparer). */
  prepare_ms: number
  /** The first live preview after that prepare: what the first stroke on a framed crop waits for in the app. */
  prepared_first_preview_ms: number
  /**
   * The first stroke's first dab (40 px across) after that prepare, asked for as a draft, as the
   * app asks while a stroke is painted (rendered exactly where its window is most of the grid).
   */
  prepared_first_draft_ms: number
  /**
   * That first stroke painted on, a dab at a time toward the right, each asked for as a draft:
   * the slowest of its next STROKE_DABS drafts (median over the runs). A stroke that went past the
   * part of the reference's pyramid kept around its first dab waited for a resizer run here.
   */
  prepared_stroke_max_draft_ms: number
  /**
   * After that stroke's exact render (which cuts the reference's pyramid down to a box around
   * the stroke), the first dab of a second stroke far from it (lower left), asked for as a draft:
   * the part kept grows by a run of the resizer's tail where the model has a tail level, else by
   * a whole resizer run.
   */
  past_kept_first_draft_ms: number
  /**
   * A first stroke painted while its crops are readied: a photo and three references just
   * framed, prepare asked for, and a second later the first dab asked for as a draft, through
   * the engine process's request loop (benchPrepare.ts). From asking to the answer.
   */
  stroke_during_prepare_ms: number
  /** The same on a 6000x4000 photo with a 3000 px crop, the preview downscaled to 1024 px. */
  preview_24mp_ms: number
  /** The full-resolution paste-back of that edit into the 24 MP photo, written as PNG. */
  export_24mp_ms: number
  reference_pipeline_ms: number
  /**
   * Peak RSS of an editing session in a process of its own (benchSession.ts): the model, a
   * photo and three references encoded and held, edits with all three, a preview.
   */
  peak_rss_mb: number
  /** That session's warm edit with three references (generator only). */
  edit3_ms: number
  /** How that session's process ran the engine (SessionBench.runner). */
  session_runner: SessionBench['runner']
  /** This bench process's own peak RSS (every measurement above, the demo's batches included). */
  process_peak_rss_mb: number
  /** Whether edits ran the incremental path (modulation and features graphs). */
  incremental: boolean
  /** Which mixing space edit_ms used. */
  space: 'w' | 'wplus'
  runs: number
  threads: number
}

/** Face detection on a 6000x4000 photo with one turned face in it (model-independent). */
export interface FacesBench {
  /** The first call in the process: loading the detector and its weights, then detecting. */
  detect_first_ms: number
  /** A warm call: downscale, detect, landmarks at full resolution (median). */
  detect_24mp_ms: number
  faces_found: number
}

export interface BenchReport {
  executionProvider: string
  machine: {
    cpu: string
    /** The CPU's vector extensions that onnxruntime's kernels choose between (simdFlags); null where they cannot be read (not Linux). */
    simd: string[] | null
    cores: number
    memory_gb: number
    platform: string
    arch: string
    node: string
  }
  results: BenchRow[]
  /** Null, with `facesSkipped` saying why, when the test portrait is not at hand. */
  faces: FacesBench | null
  facesSkipped?: string
}

export interface BenchOptions {
  runs?: number
  warmup?: number
  provider?: ProviderPreference
  threads?: number
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** PSNR of b against a, 8-bit values (dB; Infinity when equal). */
function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0
  for (let i = 0; i < a.length; i++) se += (a[i] - b[i]) ** 2
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * a.length) / se)
}

/** `mask` with a round dab of the brush, 40 px across, on the right edge of squareMask's square (a stroke going on). */
function withDab(mask: Mask, run: number): Mask {
  const data = mask.data.slice()
  const side = mask.width
  let right = 0
  let top = side
  let bottom = 0
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) if (mask.data[y * side + x]) [right, top, bottom] = [Math.max(right, x), Math.min(top, y), Math.max(bottom, y)]
  const cx = right
  const cy = Math.round((top + bottom) / 2) + (run % 3) * 4
  for (let y = cy - 20; y < cy + 20; y++) for (let x = cx - 20; x < cx + 20; x++) if (x >= 0 && y >= 0 && x < side && y < mask.height && (x - cx) ** 2 + (y - cy) ** 2 < 400) data[y * side + x] = 255
  return { ...mask, data }
}

/**
 * A warm-up lasts `warmup` runs and, where they are quick, at least this long: the JavaScript
 * of a 10 ms edit is still being optimised after two runs (bundled model, edit_ms 13.2 and 15.4
 * after 2 runs, 10.4 and 9.2 after 30, alternated), where a user's painting session is long past it.
 */
export const WARM_UP_MS = 1000
export const MAX_WARM_UP_RUNS = 200

/** prepared_stroke_max_draft_ms's stroke: this many dabs after the first, each this share of the crop further right (0.45 to 0.81 of it). */
export const STROKE_DABS = 6
export const STROKE_STEP = 0.06
/**
 * Timed calls go on past `runs` until they have taken this long together. Of ten 10 ms edits
 * after the warm-up a few still take 13-32 ms (bundled model), which moves a median of ten;
 * about a hundred give a steadier one. What it cannot steady: some bench processes run every
 * onnxruntime graph slower throughout (bundled edit_ms 8.6-9.6 in seven benches of eleven,
 * 10.1-13.3 in four; the fine graph's median 5.4 and 6.9 ms in two of those, 4.6-4.7 else).
 */
export const TIMED_MS = 1000
export const MAX_TIMED_RUNS = 200

/**
 * The median of calls of fn(warmup + i): `runs` of them and, where they are quick, more until
 * they took TIMED_MS together (at most MAX_TIMED_RUNS). Before them, `warmup` calls fn(0 ..
 * warmup - 1), repeated in that order while the warm-up is shorter than WARM_UP_MS: the run
 * before the first timed one is always fn(warmup - 1), as edits depend on the one before.
 */
export async function timed(runs: number, warmup: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now()
  for (let n = 0; n < warmup || (warmup > 0 && (n % warmup !== 0 || (n < MAX_WARM_UP_RUNS && performance.now() - started < WARM_UP_MS))); n++) {
    await fn(n % warmup)
    await nextRequest()
  }
  const times: number[] = []
  for (let i = 0, spent = 0; i < runs || (i < MAX_TIMED_RUNS && spent < TIMED_MS); i++) {
    const t = performance.now()
    await fn(warmup + i)
    times.push(performance.now() - t)
    spent += times[i]
    await nextRequest()
  }
  return Math.round(median(times) * 10) / 10
}

/** 6000x4000 RGB pixels, smooth like a photo. */
function bigPixels(): { data: Uint8Array; width: number; height: number } {
  const [width, height] = [6000, 4000]
  const data = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      data[i] = (x * 255) / width
      data[i + 1] = (y * 255) / height
      data[i + 2] = 128 + 60 * Math.sin((x + y) / 300)
    }
  }
  return { data, width, height }
}

/** A 6000x4000 JPEG, smooth like a photo. */
async function bigPhoto(): Promise<Buffer> {
  const { data, width, height } = bigPixels()
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
}

/** Times face detection on the 24 MP photo with `portrait` turned 20 degrees and 1200 px wide in it. */
export async function benchFaces(portrait: string, runs = 5): Promise<FacesBench> {
  const { data, width, height } = bigPixels()
  const face = await sharp(await readFile(portrait)).resize(1200, 1200).ensureAlpha().rotate(20, { background: { r: 0, g: 0, b: 0, alpha: 0 } }).png().toBuffer()
  const photo = await sharp(data, { raw: { width, height, channels: 3 } }).composite([{ input: face, left: 3500, top: 1200 }]).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const pixels: RawImage = { width, height, channels: 3, data: new Uint8Array(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength) }
  const t = performance.now()
  const first = await detectFaces(pixels)
  const detect_first_ms = Math.round(performance.now() - t)
  const detect_24mp_ms = await timed(runs, 1, () => detectFaces(pixels))
  return { detect_first_ms, detect_24mp_ms, faces_found: first.length }
}

/** Benchmarks one model folder. */
export async function benchModel(dir: string, options: BenchOptions = {}): Promise<{ row: BenchRow; provider: string }> {
  const runs = Math.max(10, options.runs ?? 10)
  const warmup = options.warmup ?? 2
  const log = options.log ?? (() => undefined)
  const engine = new Engine()
  try {
    // A benchmark runs alone, so it uses every core; the app leaves one for the window.
    const threads = options.threads ?? availableParallelism()
    const { model, providers } = await engine.loadModel(dir, { provider: options.provider, threads })
    const runtime = engine.inspect.runtime
    if (!runtime) throw new Error('model did not load')
    const R = model.resolution
    log(`bench ${model.id} (${R} px) on ${providers.inUse}: medians of ${runs} runs (quick ones: for at least ${TIMED_MS} ms) after a warm-up of ${warmup} runs and at least ${WARM_UP_MS} ms`)
    const originalBytes = await benchPhoto(0)
    const referenceBytes = await benchPhoto(3)
    const original = await engine.openImage({ bytes: originalBytes })
    const reference = await engine.openImage({ bytes: referenceBytes })
    const crop = { x: 0, y: 0, size: Math.min(original.width, original.height) }
    const input = imageToTensor(await cropToModel((await engine.getPixels(original.imageId)) as RawImage, crop, R))

    const encode_ms = await timed(runs, warmup, () => runtime.encode(input, 1))
    log(`  encode_ms ${encode_ms}`)
    const { stylemap } = await engine.inspect.stylemapOf({ imageId: original.imageId, crop })
    const decode_ms = await timed(runs, warmup, () => runtime.decode(stylemap, 1))
    log(`  decode_ms ${decode_ms}`)
    const space: MixSpace = model.features.wplus ? 'wplus' : 'w'
    const edit = (imageId: string, referenceId: string, mask: Mask, at: Crop) => ({
      original: { imageId, crop: at },
      layers: [{ reference: { imageId: referenceId }, mask }],
      space,
    })
    // per timed edit (fn(warmup + i)), its time inside onnxruntime's runs
    const inference: number[] = []
    const edit_ms = await timed(runs, warmup, async (i) => {
      const before = runtime.inferenceMs
      await engine.render({ edit: edit(original.imageId, reference.imageId, squareMask(original.width, i), crop), output: { kind: 'generated' } })
      if (i >= warmup) inference.push(runtime.inferenceMs - before)
    })
    const edit_inference_ms = Math.round(median(inference) * 10) / 10
    log(`  edit_ms ${edit_ms} (${space}: mix and decode), of which in onnxruntime's runs edit_inference_ms ${edit_inference_ms}`)
    const slid = squareMask(original.width, 3)
    const strength_ms = await timed(runs, warmup, (i) =>
      engine.render({
        edit: { ...edit(original.imageId, reference.imageId, slid, crop), layers: [{ reference: { imageId: reference.imageId }, mask: slid, strength: 1 - 0.04 * ((i % 12) + 1) }] },
        output: { kind: 'generated' },
      }),
    )
    log(`  strength_ms ${strength_ms} (that edit at another strength each run)`)
    const preview_ms = await timed(runs, warmup, (i) =>
      engine.render({ edit: edit(original.imageId, reference.imageId, squareMask(original.width, i), crop), output: { kind: 'preview', maxSize: 1024 } }),
    )
    log(`  preview_ms ${preview_ms} (the same edit pasted back with detail, ${original.width} px crop)`)
    const shown = edit(original.imageId, reference.imageId, squareMask(original.width, 3), crop)
    const repaste_ms = await timed(runs, warmup, (i) => engine.render({ edit: { ...shown, feather: 4 + (i % 5) }, output: { kind: 'preview', maxSize: 1024 } }))
    log(`  repaste_ms ${repaste_ms} (that preview of one edit again, another feather each run)`)

    // painting: the exact preview of the mask so far, then a draft with a dab of the brush added
    let draft_preview_ms: number | null = null
    let draft_psnr_db: number | null = null
    let stroke_end_ms: number | null = null
    let drafted = false
    if (runtime.draftable) {
      const times: number[] = []
      const psnrs: number[] = []
      const ends: number[] = []
      drafted = true
      for (let i = 0; i < warmup + runs; i++) {
        const mask = squareMask(original.width, i)
        await engine.render({ edit: edit(original.imageId, reference.imageId, mask, crop), output: { kind: 'preview', maxSize: 1024 } })
        const painted = withDab(mask, i)
        const t = performance.now()
        const draft = await engine.render({ edit: edit(original.imageId, reference.imageId, painted, crop), output: { kind: 'preview', maxSize: 1024 }, draft: true })
        if (i < warmup) continue
        times.push(performance.now() - t)
        drafted &&= draft.draft
        if (!draft.draft) continue
        await nextRequest()
        const end = performance.now()
        const exact = await engine.render({ edit: edit(original.imageId, reference.imageId, painted, crop), output: { kind: 'generated' } })
        ends.push(performance.now() - end)
        psnrs.push(psnr(exact.generated.data, draft.generated.data))
      }
      draft_preview_ms = Math.round(median(times) * 10) / 10
      draft_psnr_db = psnrs.length ? Math.round(median(psnrs) * 10) / 10 : null
      stroke_end_ms = ends.length ? Math.round(median(ends) * 10) / 10 : null
      log(`  draft_preview_ms ${draft_preview_ms} (a dab added to the mask, drawn as a draft${drafted ? '' : '; some rendered exactly'}), PSNR against exact ${draft_psnr_db} dB`)
      log(`  stroke_end_ms ${stroke_end_ms} (the exact render after that draft)`)
    }

    // a strength slider, then the offset, dragged from the exact preview shown: drafts until the button comes up
    let strength_draft_ms: number | null = null
    let offset_draft_ms: number | null = null
    let strength_draft_psnr_db: number | null = null
    let offset_draft_psnr_db: number | null = null
    if (runtime.draftable) {
      type Moved = { strength?: number; offset?: { dx: number; dy: number } }
      const shownWith = (layer: Moved) => ({ ...shown, layers: [{ ...shown.layers[0], ...layer }] })
      // one draft from the edit shown against its exact render (generator outputs)
      const draftPsnr = async (layer: Moved): Promise<number | null> => {
        await engine.render({ edit: shown, output: { kind: 'generated' } })
        const moved = shownWith(layer)
        const draft = await engine.render({ edit: moved, output: { kind: 'generated' }, draft: true })
        if (!draft.draft) return null
        const drawn = Uint8Array.from(draft.generated.data)
        const exact = await engine.render({ edit: moved, output: { kind: 'generated' } })
        await nextRequest()
        return Math.round(psnr(exact.generated.data, drawn) * 10) / 10
      }
      const dragged = async (layer: Moved) => {
        const r = await engine.render({ edit: shownWith(layer), output: { kind: 'preview', maxSize: 1024 }, draft: true })
        drafted &&= r.draft
      }
      await engine.render({ edit: shown, output: { kind: 'preview', maxSize: 1024 } })
      await nextRequest()
      strength_draft_ms = await timed(runs, warmup, (i) => dragged({ strength: 1 - 0.04 * ((i % 12) + 1) }))
      log(`  strength_draft_ms ${strength_draft_ms} (the edit shown, at another strength each run, as a draft)`)
      await engine.render({ edit: shown, output: { kind: 'preview', maxSize: 1024 } })
      await nextRequest()
      offset_draft_ms = await timed(runs, warmup, (i) => dragged({ offset: { dx: -2 * ((i % 12) + 1), dy: -((i % 12) + 1) } }))
      log(`  offset_draft_ms ${offset_draft_ms} (the edit shown, with another offset each run, as a draft)`)
      strength_draft_psnr_db = await draftPsnr({ strength: 0.6 })
      offset_draft_psnr_db = await draftPsnr({ offset: { dx: -16, dy: -8 } })
      log(`  drafts against exact: strength 0.6 ${strength_draft_psnr_db} dB, offset (-16, -8) ${offset_draft_psnr_db} dB`)
    }

    // the first preview of crops just framed, cold and after prepare, and the first stroke's first
    // draft after prepare: each run on crops of its own (another stylemap each), in turns, so all
    // see the same caches filling up
    const firstRuns = 3
    const cold: number[] = []
    const prepares: number[] = []
    const prepared: number[] = []
    const preparedDrafts: number[] = []
    const strokeMaxima: number[] = []
    const pastKept: number[] = []
    const firstMask = squareMask(original.width, 3)
    const firstDab = disc(original.width, Math.round(original.width * 0.45), Math.round(original.width * 0.55), 20)
    for (let k = 0; k < 3 * firstRuns; k++) {
      // the photo and the reference framed alike, a pixel further in each run
      const fresh = { x: 1 + k, y: 1 + k, size: original.width - 16 }
      const firstEdit = (mask: Mask) => ({ original: { imageId: original.imageId, crop: fresh }, layers: [{ reference: { imageId: reference.imageId, crop: fresh }, mask }], space })
      await nextRequest()
      if (k % 3) {
        const t = performance.now()
        await engine.prepare({ original: { imageId: original.imageId, crop: fresh }, references: [{ imageId: reference.imageId, crop: fresh }] })
        prepares.push(performance.now() - t)
        await nextRequest()
      }
      const t = performance.now()
      if (k % 3 === 2) await engine.render({ edit: firstEdit(firstDab), output: { kind: 'preview', maxSize: 1024 }, draft: true })
      else await engine.render({ edit: firstEdit(firstMask), output: { kind: 'preview', maxSize: 1024 } })
      ;[cold, prepared, preparedDrafts][k % 3].push(performance.now() - t)
      if (k % 3 === 2) {
        let mask = firstDab
        let slowest = 0
        for (let d = 1; d <= STROKE_DABS; d++) {
          const dab = disc(original.width, Math.round(original.width * (0.45 + STROKE_STEP * d)), Math.round(original.width * 0.55), 20)
          mask = { ...mask, data: mask.data.map((v, i) => Math.max(v, dab.data[i])) }
          await nextRequest()
          const t = performance.now()
          await engine.render({ edit: firstEdit(mask), output: { kind: 'preview', maxSize: 1024 }, draft: true })
          slowest = Math.max(slowest, performance.now() - t)
        }
        strokeMaxima.push(slowest)
        await nextRequest()
        await engine.render({ edit: firstEdit(mask), output: { kind: 'preview', maxSize: 1024 } })
        const far = disc(original.width, Math.round(original.width * 0.15), Math.round(original.width * 0.85), 20)
        mask = { ...mask, data: mask.data.map((v, i) => Math.max(v, far.data[i])) }
        await nextRequest()
        const t = performance.now()
        await engine.render({ edit: firstEdit(mask), output: { kind: 'preview', maxSize: 1024 }, draft: true })
        pastKept.push(performance.now() - t)
      }
    }
    const first_preview_ms = Math.round(median(cold) * 10) / 10
    const prepare_ms = Math.round(median(prepares) * 10) / 10
    const prepared_first_preview_ms = Math.round(median(prepared) * 10) / 10
    const prepared_first_draft_ms = Math.round(median(preparedDrafts) * 10) / 10
    const prepared_stroke_max_draft_ms = Math.round(median(strokeMaxima) * 10) / 10
    const past_kept_first_draft_ms = Math.round(median(pastKept) * 10) / 10
    log(`  first_preview_ms ${first_preview_ms} (crops just framed), prepare_ms ${prepare_ms}, prepared_first_preview_ms ${prepared_first_preview_ms} (the first preview after prepare)`)
    log(`  prepared_first_draft_ms ${prepared_first_draft_ms} (a first stroke's first dab after prepare, asked for as a draft), prepared_stroke_max_draft_ms ${prepared_stroke_max_draft_ms} (the slowest of its next ${STROKE_DABS} dabs)`)
    log(`  past_kept_first_draft_ms ${past_kept_first_draft_ms} (after that stroke's exact render, the first dab of a stroke far from it, as a draft)`)

    // a 24 MP photo: the preview is blended at 1024 px, the export at full size
    const big = await engine.openImage({ bytes: await bigPhoto() })
    const bigCrop = { x: 1800, y: 600, size: 3000 }
    const bigMask = (i: number) => {
      const m = squareMask(1500, i)
      return { width: 1500, height: 1000, data: m.data.subarray(0, 1500 * 1000) }
    }
    const preview_24mp_ms = await timed(Math.min(runs, 5), 1, (i) =>
      engine.render({ edit: edit(big.imageId, reference.imageId, bigMask(i), bigCrop), output: { kind: 'preview', maxSize: 1024 } }),
    )
    log(`  preview_24mp_ms ${preview_24mp_ms}`)
    const scratch = await mkdtemp(join(tmpdir(), 'stylemap-bench-'))
    const export_24mp_ms = await timed(2, 0, (i) =>
      engine.render({ edit: edit(big.imageId, reference.imageId, bigMask(i), bigCrop), output: { kind: 'file', path: join(scratch, `export-${i}.png`) } }),
    ).finally(() => rm(scratch, { recursive: true, force: true }))
    log(`  export_24mp_ms ${export_24mp_ms}`)

    // the demo: re-encode original + reference from their pixels, then decode 16 strengths in one batch
    const originalPixels = await engine.getPixels(original.imageId)
    const referencePixels = await engine.getPixels(reference.imageId)
    const strengths = Array.from({ length: 16 }, (_, s) => s / 15)
    // the demo decodes the 16 strengths as one batch; at 256 px that batch needs over 13 GB on CPU,
    // so large models decode them in batches of 4 (the same work; CPU gains little from batching)
    const chunk = R >= 256 ? 4 : 16
    const reference_pipeline_ms = await timed(runs, Math.min(warmup, 1), async (i) => {
      const pair = new Float32Array(2 * 3 * R * R)
      pair.set(imageToTensor(await cropToModel(originalPixels, crop, R)), 0)
      pair.set(imageToTensor(await cropToModel(referencePixels, crop, R)), 3 * R * R)
      const w = await runtime.encode(pair, 2)
      const n = runtime.stylemapLength
      const wa = w.slice(0, n)
      const wb = w.slice(n, 2 * n)
      const mask = squareMask(R, i).data
      if (space === 'wplus') {
        const styles = await runtime.resize(w, 2)
        const sa = styles.map((t) => t.slice(0, t.length / 2))
        const sb = styles.map((t) => t.slice(t.length / 2))
        for (let start = 0; start < 16; start += chunk) {
          const ts = strengths.slice(start, start + chunk)
          const batch = model.styles.map((l) => new Float32Array(ts.length * l.channels * l.size * l.size))
          ts.forEach((t, k) => {
            const layer: MixLayer = { reference: sb, mask, strength: t, dx: 0, dy: 0 }
            mixWPlus(sa, [layer], model.styles, R).forEach((m, level) => batch[level].set(m, k * m.length))
          })
          const images = await runtime.synthesize(batch, ts.length)
          for (let k = 0; k < ts.length; k++) tensorToImage(images, R, k * 3 * R * R)
        }
      } else {
        for (let start = 0; start < 16; start += chunk) {
          const ts = strengths.slice(start, start + chunk)
          const batch = new Float32Array(ts.length * n)
          ts.forEach((t, k) => batch.set(mixW(wa, [{ reference: wb, mask, strength: t, dx: 0, dy: 0 }], model.stylemap, R), k * n))
          const images = await runtime.decode(batch, ts.length)
          for (let k = 0; k < ts.length; k++) tensorToImage(images, R, k * 3 * R * R)
        }
      }
    })
    log(`  reference_pipeline_ms ${reference_pipeline_ms}`)
    const process_peak_rss_mb = peakRssMiB()
    const incremental = runtime.incremental
    await engine.dispose()
    // an engine of its own behind the engine process's request loop, made once this one is let go
    const stroke_during_prepare_ms = await strokeDuringPrepare(dir, threads)
    log(`  stroke_during_prepare_ms ${stroke_during_prepare_ms} (a first dab ${STROKE_AFTER_MS} ms into the prepare of a photo and 3 references, through the engine's request loop)`)
    const session = await benchSession(dir, threads)
    const runner = session.runner === 'bundled' ? 'its engine bundled, as the app runs it' : 'through tsx: esbuild could not be loaded'
    log(`  peak_rss_mb ${session.peak_rss_mb} (a session holding a photo and ${session.references} references, ${runner}), edit3_ms ${session.edit3_ms}`)
    return {
      row: {
        model: model.id,
        resolution: R,
        encode_ms,
        decode_ms,
        edit_ms,
        edit_inference_ms,
        strength_ms,
        preview_ms,
        repaste_ms,
        draft_preview_ms,
        draft_psnr_db,
        stroke_end_ms,
        strength_draft_ms,
        offset_draft_ms,
        strength_draft_psnr_db,
        offset_draft_psnr_db,
        drafted,
        first_preview_ms,
        prepare_ms,
        prepared_first_preview_ms,
        prepared_first_draft_ms,
        prepared_stroke_max_draft_ms,
        past_kept_first_draft_ms,
        stroke_during_prepare_ms,
        preview_24mp_ms,
        export_24mp_ms,
        reference_pipeline_ms,
        peak_rss_mb: session.peak_rss_mb,
        edit3_ms: session.edit3_ms,
        session_runner: session.runner,
        process_peak_rss_mb,
        incremental,
        space,
        runs,
        threads,
      },
      provider: providers.inUse,
    }
  } finally {
    await engine.dispose()
  }
}

/** The real photos the bench uses for faces, in the shared data beside the repository. */
const sharedPhotosDir = join(sharedDataDir, 'photos')

/**
 * The vector extensions onnxruntime's CPU kernels dispatch on, widest first. Two machines can
 * report the same CPU model ("AMD EPYC") and differ here, and with it in speed (a 256 px decode
 * took 2.5-3.5 s in earlier benches, 3.8-5.3 s on a machine with AVX2 and no AVX-512), so a
 * bench's times compare only between machines with the same list.
 */
export const SIMD_FLAGS = ['amx_tile', 'avx512_fp16', 'avx512_bf16', 'avx512_vnni', 'avx512bw', 'avx512f', 'avx_vnni', 'avx2', 'fma', 'f16c', 'avx', 'sse4_1', 'sse2', 'sve', 'asimddp', 'asimdhp', 'asimd'] as const

/** Of SIMD_FLAGS, those on the first CPU of `cpuinfo` (Linux's /proc/cpuinfo: x86 `flags`, Arm `Features`), in that order. */
export function simdFlags(cpuinfo: string): string[] {
  const line = cpuinfo.match(/^(?:flags|Features)\s*:(.*)$/m)
  const have = new Set((line?.[1] ?? '').trim().split(/\s+/))
  return SIMD_FLAGS.filter((flag) => have.has(flag))
}

/** simdFlags of this machine; null where /proc/cpuinfo cannot be read. */
function machineSimd(): string[] | null {
  if (process.platform !== 'linux') return null
  try {
    return simdFlags(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    return null
  }
}

export function machineInfo(): BenchReport['machine'] {
  const list = cpus()
  return {
    cpu: list[0]?.model ?? 'unknown',
    simd: machineSimd(),
    cores: list.length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    platform: process.platform,
    arch: process.arch,
    node: process.version,
  }
}

/** Benchmarks each folder in order (default model first). */
export async function bench(dirs: string[], options: BenchOptions = {}): Promise<BenchReport> {
  const results: BenchRow[] = []
  let provider = 'cpu'
  for (const dir of dirs) {
    const { row, provider: p } = await benchModel(dir, options)
    provider = p
    results.push(row)
  }
  const portrait = join(sharedPhotosDir, 'Hepburn01.png')
  if (!existsSync(portrait)) return { executionProvider: provider, machine: machineInfo(), results, faces: null, facesSkipped: `no test portrait at ${portrait}` }
  const faces = await benchFaces(portrait)
  options.log?.(`faces: detect_24mp_ms ${faces.detect_24mp_ms} (first call ${faces.detect_first_ms} ms), ${faces.faces_found} found`)
  return { executionProvider: provider, machine: machineInfo(), results, faces }
}

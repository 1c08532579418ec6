// The engine in one process: holds the model, decoded photos and encoded stylemaps (with
// their resizer outputs), and turns a whole edit into pixels in one call, so that the live
// preview, the export and the CLI share every step and cannot disagree about what a mask means.
import { LRUCache } from 'lru-cache'
import type {
  Crop,
  CroppedImage,
  Edit,
  EditLayer,
  EngineApi,
  FacesResult,
  GeneratedImage,
  ImageInfo,
  ImageSource,
  LoadedModel,
  LoadModelOptions,
  Mask,
  MixSpace,
  MorphRequest,
  PrepareRequest,
  PrepareResult,
  RandomRequest,
  RawImage,
  Region,
  RenderOutput,
  RenderRequest,
  RenderResult,
} from './api.js'
import { blendDetail, type DetailLayer, detailSigma, hasDetailBand, highPassLuma, highPassRgb, lowPass } from './detail.js'
import { EngineError, engineErrorCodes } from './errors.js'
import { alignedCrop } from './faces/align.js'
import { type DetectedFace, detectFaces } from './faces/detect.js'
import { writeImage } from './export.js'
import { frameRegion, isFrame } from './frames.js'
import { checkCrop, cropPixels, cropResized, cropScaled, cropToModel, type DecodedImage, decodeImage, defaultCrop, fitWithin, imageToTensor, regionPixels, regionScaled, resizeImage, tensorToImage } from './images.js'
import { isEmptyMask, sampleMaskCrop, shiftMask, unionMasks } from './masks.js'
import { boxCells, boxesOf, changedBox, changedCells, changedShare, changedSince, diffCells, eitherCells, fullyMixed, KEEP_MIXED_MACS, keepMixedAt, LiveModulations, type MixState, ownState, recompute, sameAsEarlier, scaleRatios, unmixedCells, WHOLE_MODULATION_SHARE, within, without } from './incremental.js'
import { DRAFT_COARSE_TOLERANCE, DRAFT_GROWTH, DRAFT_WINDOW_SHARE, DraftBuffers, type DraftLimits, draftImage, draftWindow, type ExactDecode } from './draft.js'
import { fromHalf } from './half.js'
import { type Box, cellOffset, lerp, levelFactors, type MixLayer, mixW, mixWPlus, mixWPlusWindow, normalSamples, type StyleTensor, toGrid, truncate, windowOf, wplusChangedCells, wplusWeights, cellsBox, copyCells, unionBox } from './mixing.js'
import { ModelRuntime, TAIL_MARGIN } from './model.js'
import { GarbageCollector } from './garbage.js'
import { cutRegion, filledAfter, grownBox, type KeptStyles, keepStyles, keptBoxes, maskBox, regionMargin, regionToKeep, tailWindow, uncovered } from './regions.js'
import { colorShift, composite, featherMask, frameDelta, noToneMatch, pasteThroughFrame, toneMatch } from './pasteback.js'

export interface EngineOptions {
  /** Bytes of decoded pixels kept in memory (default 1.5 GB). */
  imageBudgetBytes?: number
  /** Bytes of cached resizer outputs (style pyramids) kept in memory (default 512 MB). */
  stylesBudgetBytes?: number
  /** Bytes of cached gamma/beta of edited photos' crops, with their own values saved under edits (incremental models; default 768 MB). */
  modulationBudgetBytes?: number
  /**
   * Incremental models: above this share of gamma/beta to recompute, an edit computes them whole
   * instead of writing windows into the crop's live ones (default WHOLE_MODULATION_SHARE; 1:
   * always windows, 0: never).
   */
  wholeModulationShare?: number
  /**
   * Draft renders (models with the coarse and fine graphs): above this share of the coarse grid a
   * draft window costs about what the exact path does, and the exact path runs instead (default
   * DRAFT_WINDOW_SHARE; 1: always draft where the model can).
   */
  draftWindowShare?: number
  /**
   * Draft renders: how far the coarse part's output may move from the exact decode a draft
   * starts from, in units of its root mean square, before the draft recomputes the cell (default
   * DRAFT_COARSE_TOLERANCE; Infinity: only the cells whose fine layers changed).
   */
  draftCoarseTolerance?: number
  /** Draft renders: how many times its fine layers' window a draft's window may grow to take in where the coarse part's output moved (default DRAFT_GROWTH). */
  draftGrowth?: number
  /**
   * Incremental models: where a single layer mixes cells whole, its reference's gamma/beta are
   * kept (and copied, at any offset and strength, when an edit reads them again) at the levels
   * where recomputing a cell costs at least this many multiply-adds (default KEEP_MIXED_MACS; 0:
   * every level).
   */
  keepMixedMacs?: number
  /**
   * A full garbage collection after each render of COLLECT_AFTER_MS or more, so the typed arrays it
   * left behind are not resident through the next ones (garbage.ts; default true).
   */
  collectGarbage?: boolean
  /**
   * A whole reference pyramid cut down that leaves at least this many bytes behind is followed by
   * a full collection at once (default COLLECT_BYTES).
   */
  collectAfterBytes?: number
  /**
   * Whether other requests wait behind the one running (the engine process's queue, host.ts):
   * `prepare` asks before each of its steps and, when they do, stops there for them (its
   * result says it is not complete). Without it, prepare runs to the end.
   */
  othersWaiting?: () => boolean
}

/** A layer that changes something, ready to mix. */
interface ActiveLayer {
  source: EditLayer
  reference: DecodedImage
  referenceCrop: Crop
  /** Where the photo changes, on the model grid of the original's crop. */
  destination: Mask
  strength: number
  /** Offset in model-resolution pixels. */
  dx: number
  dy: number
}

/** An encoded crop. */
interface Encoded {
  key: string
  stylemap: Float32Array
}

const meanSamples = 4096
const meanSeed = 0x5eed
const defaultFeather = 8
const maxStylemaps = 128
/** Bytes of paste-back bands kept (#bands): a 1024 px preview's photo bands are about 16 MB. */
const bandBudget = 128e6
/** Bytes of the exact decodes drafts start from (#latestDecodes). */
const latestDecodeBudget = 128e6
/**
 * A whole pyramid cut down of at least this many bytes is followed by a full collection at once
 * (garbage.ts), so that the next step's buffers do not come on top of it.
 */
const COLLECT_BYTES = 32e6
/** Detections kept, by image (detection depends on the pixels only, not on the model). */
const maxDetections = 64

/** A crop as part of a cache key. */
function cropKey(crop: Crop): string {
  return `${crop.x},${crop.y},${crop.size}${crop.angle === undefined ? '' : `,${crop.angle}deg`}`
}

/** `image` tagged with the colour profile of `source`, where it has one. */
function withProfileOf(source: RawImage, image: RawImage): RawImage {
  return source.icc ? { ...image, icc: source.icc } : image
}

/** A layer as the mixing rules take it: the region on the reference's grid, where the content comes from. */
function mixLayer(l: ActiveLayer, reference: Float32Array | StyleTensor[]): MixLayer {
  return { reference, mask: shiftMask(l.destination, -l.dx, -l.dy).data, strength: l.strength, dx: l.dx, dy: l.dy }
}

function badArgument(message: string): EngineError {
  return new EngineError(engineErrorCodes.badArgument, message)
}

function checkMask(mask: Mask | undefined, where: string): Mask {
  if (!mask || !Number.isInteger(mask.width) || !Number.isInteger(mask.height) || mask.width <= 0 || mask.height <= 0 || mask.data?.length !== mask.width * mask.height) {
    throw new EngineError(engineErrorCodes.maskSize, `${where}: the mask must be width x height bytes, got ${mask?.width}x${mask?.height} with ${mask?.data?.length} bytes`)
  }
  return mask
}

function checkUnit(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw badArgument(`${what} must be within 0..1, got ${String(v)}`)
  return v
}

/** The engine. Every method validates its input and throws EngineError with a stable code. */
export class Engine implements EngineApi {
  #model: ModelRuntime | null = null
  readonly #images: LRUCache<string, DecodedImage>
  readonly #stylemaps = new LRUCache<string, Float32Array>({ max: maxStylemaps })
  /** Resizer outputs by stylemap key, as halves, whole (#styles) or a reference's part (#referenceStyles), bounded in bytes. */
  readonly #pyramids: LRUCache<string, KeptStyles>
  /** Every modulated layer's gamma and beta of an edited crop as its latest edit has them, by stylemap key (incremental models). */
  readonly #modulations: LRUCache<string, LiveModulations>
  /** Incremental edits write into a crop's live gamma/beta and run the feature path on them: one at a time. */
  #featureRuns: Promise<unknown> = Promise.resolve()
  /**
   * Draft renders: each edited crop's latest exact decode (of its own, or of an edit of it) with
   * its statistics, by stylemap key, and its own decode under key + '#own'. While a stroke is
   * painted the latest is the edit as the previous stroke left it, the closest a draft can start from.
   */
  readonly #latestDecodes = new LRUCache<string, ExactDecode>({
    max: 16,
    maxSize: latestDecodeBudget,
    sizeCalculation: (d) => d.image.byteLength + d.stats.byteLength + (d.x?.byteLength ?? 0) + (d.own ?? []).reduce((sum, map) => sum + (map?.byteLength ?? 0), 0),
  })
  /** Drafts' window buffers, kept while drafts follow each other (dropped by an exact render). */
  readonly #draftBuffers = new DraftBuffers()
  readonly #draftShare: number
  readonly #draftLimits: DraftLimits
  /**
   * What a paste-back reads from the photo and the references and no edit changes, by image,
   * crop and size: the photo region (downscaled or sampled from a frame), its low-pass and detail
   * band, each reference crop's luminance detail band. Live previews of the same crops reuse them.
   */
  readonly #bands = new LRUCache<string, RawImage | Float32Array>({
    maxSize: bandBudget,
    sizeCalculation: (v) => Math.max(1, v instanceof Float32Array ? v.byteLength : v.data.byteLength),
  })
  #randomMean: Float32Array | null = null
  readonly #wholeShare: number
  readonly #keepMixedMacs: number
  readonly #garbage: GarbageCollector | null
  readonly #collectAfterBytes: number
  readonly #othersWaiting: (() => boolean) | null
  readonly #faces = new LRUCache<string, DetectedFace[]>({ max: maxDetections })

  constructor(options: EngineOptions = {}) {
    this.#wholeShare = options.wholeModulationShare ?? WHOLE_MODULATION_SHARE
    this.#draftShare = options.draftWindowShare ?? DRAFT_WINDOW_SHARE
    this.#draftLimits = { share: this.#draftShare, tolerance: options.draftCoarseTolerance ?? DRAFT_COARSE_TOLERANCE, growth: options.draftGrowth ?? DRAFT_GROWTH }
    for (const [name, value] of [['draftCoarseTolerance', this.#draftLimits.tolerance], ['draftGrowth', this.#draftLimits.growth]] as const) {
      if (typeof value !== 'number' || !(value >= 0)) throw badArgument(`${name} must be a number of 0 or more (Infinity allowed), got ${String(value)}`)
    }
    this.#keepMixedMacs = options.keepMixedMacs ?? KEEP_MIXED_MACS
    this.#garbage = options.collectGarbage === false ? null : new GarbageCollector()
    this.#collectAfterBytes = options.collectAfterBytes ?? COLLECT_BYTES
    this.#othersWaiting = options.othersWaiting ?? null
    this.#images = new LRUCache<string, DecodedImage>({ maxSize: options.imageBudgetBytes ?? 1.5e9, sizeCalculation: (held) => Math.max(1, held.pixels.data.byteLength) })
    this.#pyramids = new LRUCache<string, KeptStyles>({
      maxSize: Math.max(1, options.stylesBudgetBytes ?? 512e6),
      sizeCalculation: (kept) => Math.max(1, kept.halves.reduce((sum, s) => sum + s.byteLength, 0)),
    })
    this.#modulations = new LRUCache<string, LiveModulations>({
      maxSize: Math.max(1, options.modulationBudgetBytes ?? 768e6),
      sizeCalculation: (live) => Math.max(1, live.bytes),
    })
  }

  async loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
    const next = await ModelRuntime.load(dir, options)
    const previous = this.#model
    this.#model = next
    this.#randomMean = null
    this.#stylemaps.clear()
    this.#pyramids.clear()
    this.#modulations.clear()
    this.#latestDecodes.clear()
    this.#draftBuffers.clear()
    this.#bands.clear()
    if (previous) await previous.release()
    return { model: next.info, providers: next.providers }
  }

  async modelInfo(): Promise<LoadedModel | null> {
    return this.#model ? { model: this.#model.info, providers: this.#model.providers } : null
  }

  async openImage(source: ImageSource): Promise<ImageInfo> {
    const decoded = await decodeImage(source)
    const held = this.#images.get(decoded.info.imageId)
    if (held && held.sourcePath === decoded.sourcePath) return held.info
    this.#images.set(decoded.info.imageId, decoded)
    return decoded.info
  }

  async closeImage(imageId: string): Promise<void> {
    this.#images.delete(imageId)
    this.#faces.delete(imageId)
    const tag = `|${imageId}|`
    for (const key of [...this.#stylemaps.keys()]) if (key.includes(tag)) this.#stylemaps.delete(key)
    for (const key of [...this.#pyramids.keys()]) if (key.includes(tag)) this.#pyramids.delete(key)
    for (const key of [...this.#modulations.keys()]) if (key.includes(tag)) this.#modulations.delete(key)
    for (const key of [...this.#latestDecodes.keys()]) if (key.includes(tag)) this.#latestDecodes.delete(key)
    for (const key of [...this.#bands.keys()]) if (key.includes(tag)) this.#bands.delete(key)
  }

  async getPixels(imageId: string, maxSize?: number): Promise<RawImage> {
    const { pixels } = this.#image(imageId)
    return withProfileOf(pixels, await fitWithin(pixels, maxSize))
  }

  async render<O extends RenderOutput>(request: RenderRequest<O>): Promise<RenderResult<O>> {
    const started = performance.now()
    try {
      return await this.#render(request)
    } finally {
      this.#garbage?.afterWork(performance.now() - started)
    }
  }

  async #render<O extends RenderOutput>(request: RenderRequest<O>): Promise<RenderResult<O>> {
    const started = performance.now()
    const edit = request?.edit
    const output = request?.output
    if (!edit || typeof edit !== 'object' || !Array.isArray(edit.layers)) throw badArgument('render needs an edit with a list of layers')
    const photo = this.#image(edit.original?.imageId)
    const crop = this.#cropOf(photo, edit.original.crop)
    const feather = edit.feather ?? defaultFeather
    if (typeof feather !== 'number' || !Number.isFinite(feather) || feather < 0) throw badArgument(`feather must be 0 or more pixels, got ${String(feather)}`)
    if (output?.kind === 'preview' && output.maxSize !== undefined && (!Number.isInteger(output.maxSize) || output.maxSize < 1)) {
      throw badArgument(`maxSize must be a whole number of pixels, got ${output.maxSize}`)
    }
    if (output?.kind === 'file' && output.quality !== undefined && (!Number.isInteger(output.quality) || output.quality < 1 || output.quality > 100)) {
      throw badArgument(`quality must be a whole number within 1..100, got ${output.quality}`)
    }
    let drafted = false
    const done = <T>(result: T): RenderResult<O> => ({ ...result, crop, ms: performance.now() - started, draft: drafted }) as unknown as RenderResult<O>

    const layers = this.#activeLayers(edit, photo, crop)
    if (output?.kind === 'file' && !layers.length) {
      // nothing to change: the photo itself, re-encoded at full size with its metadata
      const file = await this.#write(photo.pixels, photo, output)
      return done({ kind: 'file', file, encoded: 0 })
    }
    if (output?.kind !== 'file' && output?.kind !== 'preview' && output?.kind !== 'generated') throw badArgument(`unknown render output ${JSON.stringify(output)}`)

    // an export is always exact; a preview or the generated crop may be a draft where asked for
    const { generated, encoded, draft } = await this.#generate(edit, photo, crop, layers, request.draft === true && output.kind !== 'file')
    drafted = draft
    if (output.kind === 'generated') return done({ kind: 'generated', generated, encoded })

    /**
     * The generated crop blended into `base` inside `square`, with masks, image, feather and
     * detail brought to square.size; `baseKey` names base and square among the photo's (the
     * photo's bands are kept under it).
     */
    const blend = async (base: RawImage, square: Crop, baseKey: string): Promise<RawImage> => {
      const at = square.size
      const masks = layers.map((l) => sampleMaskCrop(l.source.mask, photo.info.width, photo.info.height, crop, at))
      const resized = await resizeImage(generated, at, at)
      // the feather is given in photo pixels: at a smaller size it shrinks with the image
      const featherAt = at === crop.size ? feather : (feather * at) / crop.size
      const alpha = featherMask(unionMasks(masks, at, at), featherAt)
      const sigma = detailSigma(at, this.#requireModel().info.resolution)
      const key = `|${photo.info.imageId}|${cropKey(crop)}|${baseKey}|${sigma}`
      // the photo as the generator could draw it, its detail band blurred away: colour is compared
      // on it (a photo's pixel noise is no colour the edit should have), detail is measured from it
      const smooth = await this.#band(`${key}|low`, async () => lowPass(cropPixels(base, square), sigma))
      const tone = edit.colorMatch === false ? noToneMatch : toneMatch(smooth, { x: 0, y: 0, size: at }, resized, alpha, colorShift(base, square, resized, alpha))
      const detail =
        edit.detail === false || !hasDetailBand(sigma)
          ? undefined
          : await this.#detail(await this.#band(`${key}|high`, async () => highPassRgb(cropPixels(base, square), smooth)), layers, masks, featherAt, at, alpha)
      return composite(base, square, resized, alpha, tone, detail)
    }

    if (isFrame(crop)) {
      // a frame: the blend is done in the frame's own square (sampled from the photo at n px,
      // mirrored past its edges), and what it changed is carried into the photo through the
      // inverse warp, so only pixels near the mask are written
      const pasteFrame = async (target: RawImage, area: Region, n: number): Promise<RawImage> => {
        const square = await this.#band(`|${photo.info.imageId}|${cropKey(crop)}|frame ${n}`, () => cropResized(photo.pixels, crop, n))
        const result = await blend(square, { x: 0, y: 0, size: n }, `frame ${n}`)
        return pasteThroughFrame(target, area, crop, frameDelta(square, result), n)
      }
      if (output.kind === 'preview') {
        const region = frameRegion(crop, photo.info.width, photo.info.height)
        const longer = Math.max(region.width, region.height)
        const maxSize = output.maxSize
        // smaller on screen: the photo's region downscaled, the frame blended at the same scale
        const base = maxSize === undefined || maxSize >= longer ? regionPixels(photo.pixels, region) : await regionScaled(photo.pixels, region, maxSize)
        const n = base.width === region.width && base.height === region.height ? crop.size : Math.max(1, Math.round((crop.size * Math.max(base.width, base.height)) / longer))
        const pasted = await pasteFrame(base, region, n)
        return done({ kind: 'preview', pasted: withProfileOf(photo.pixels, pasted), region, generated: withProfileOf(photo.pixels, generated), encoded })
      }
      const file = await this.#write(await pasteFrame(photo.pixels, { x: 0, y: 0, width: photo.info.width, height: photo.info.height }, crop.size), photo, output)
      return done({ kind: 'file', file, encoded })
    }

    if (output.kind === 'preview') {
      const maxSize = output.maxSize
      // the feathered weights never reach past the crop, so blending the crop region alone gives
      // exactly the bytes the full paste-back has there; smaller on screen, the photo's crop
      // region is downscaled first and the blend done at the output size
      const pasted =
        maxSize === undefined || maxSize >= crop.size
          ? await blend(cropPixels(photo.pixels, crop), { x: 0, y: 0, size: crop.size }, 'crop')
          : await blend(await this.#band(`|${photo.info.imageId}|${cropKey(crop)}|scaled ${maxSize}`, () => cropScaled(photo.pixels, crop, maxSize)), { x: 0, y: 0, size: maxSize }, `scaled ${maxSize}`)
      const region: Region = { x: crop.x, y: crop.y, width: crop.size, height: crop.size }
      // the crop region is in the photo's colour space, and so is the generator's output (it was fed the photo's values)
      return done({ kind: 'preview', pasted: withProfileOf(photo.pixels, pasted), region, generated: withProfileOf(photo.pixels, generated), encoded })
    }
    const file = await this.#write(await blend(photo.pixels, crop, 'photo'), photo, output)
    return done({ kind: 'file', file, encoded })
  }

  async prepare(request: PrepareRequest): Promise<PrepareResult> {
    const started = performance.now()
    try {
      return await this.#prepare(request)
    } finally {
      this.#garbage?.afterWork(performance.now() - started)
    }
  }

  /**
   * The first render of a crop encodes it and, for the photo's crop with an incremental model,
   * resizes its stylemap into styles and computes every layer's gamma/beta: at 256 px (`npm run
   * bench`) 3.2 s of that first preview's 5.0. A reference's styles are resized too (0.6-0.9 s
   * at 256 px) and kept whole through its first stroke's drafts; the exact render that ends the
   * stroke cuts them down to where its mask reads them: no mask is painted yet. The first
   * stroke is shown as drafts, which start from the photo crop's own decode (0.5 s at 256 px):
   * made here too. Done here, while the user picks a brush, the first stroke waits only for
   * what its mask needs (its first draft at 256 px 0.8-1.0 -> 0.3-0.4 s). The caches are the
   * render's own, so its result is the same.
   *
   * It is work ahead of need, so it gives way: before each step (an encode, a resize, the
   * photo's gamma/beta, the own decode) it asks whether other requests wait behind it
   * (`othersWaiting`), and stops there if they do, keeping what it made; `complete` is then
   * false and the rest is for a later prepare. A stroke painted while a photo and three
   * references are prepared at 256 px was otherwise answered only once all of it was done.
   */
  async #prepare(request: PrepareRequest): Promise<PrepareResult> {
    const started = performance.now()
    const model = this.#requireModel()
    if (!request || typeof request !== 'object' || !request.original || typeof request.original !== 'object') throw badArgument('prepare needs the photo and its crop')
    const references = request.references ?? []
    if (!Array.isArray(references)) throw badArgument('prepare: references must be a list of images and crops')
    // every image and crop is checked before any work
    const photo = this.#image(request.original.imageId)
    const crops = [{ held: photo, crop: this.#cropOf(photo, request.original.crop) }]
    for (const r of references) {
      if (!r || typeof r !== 'object') throw badArgument('prepare: each reference needs an image and crop')
      const held = this.#image(r.imageId)
      crops.push({ held, crop: this.#cropOf(held, r.crop) })
    }
    let encoded = 0
    const result = (complete: boolean): PrepareResult => ({ encoded, ms: performance.now() - started, complete })
    let photoLive: { encoded: Encoded; live: LiveModulations } | null = null
    // bytes of the pyramids this prepare keeps whole: the photo crop's, then the references'
    const whole = model.info.styles.reduce((sum, l) => sum + 2 * l.channels * l.size * l.size, 0)
    let kept = 0
    for (const [k, { held, crop }] of crops.entries()) {
      if (await this.#giveWay()) return result(false)
      if (!this.#stylemaps.has(this.#stylemapKey(model, held.info.imageId, crop))) encoded++
      const done = await this.#encode(model, held, crop)
      if (!model.incremental || (k > 0 && !model.info.features.wplus)) continue
      if (await this.#giveWay()) return result(false)
      if (k === 0) {
        const styles = await this.#styles(done)
        if (await this.#giveWay()) return result(false)
        photoLive = { encoded: done, live: await this.#live(model, done, styles) }
        kept += whole
      } else if (kept + whole <= this.#pyramids.maxSize / 2 && (await this.#provisionalStyles(done))) kept += whole
    }
    // the first stroke is drawn as drafts, which start from the photo crop's own decode: last,
    // as only drafts need it, where every render needs the references
    const first = photoLive
    if (first && model.draftable) {
      if (await this.#giveWay()) return result(false)
      await this.#queued(() => this.#ownDecode(model, first.encoded, first.live))
    }
    return result(true)
  }

  async detectFaces(imageId: string): Promise<FacesResult> {
    const started = performance.now()
    const held = this.#image(imageId)
    let found = this.#faces.get(held.info.imageId)
    if (!found) {
      found = await detectFaces(held.pixels)
      this.#faces.set(held.info.imageId, found)
    }
    const alignment = this.#model?.info.alignment
    const faces = found.map((face) => (alignment ? { ...face, crop: alignedCrop(face.landmarks, alignment) } : { ...face }))
    return { faces, ms: performance.now() - started }
  }

  async morph(request: MorphRequest): Promise<GeneratedImage> {
    const started = performance.now()
    const model = this.#requireModel()
    if (typeof request?.t !== 'number' || !Number.isFinite(request.t)) throw badArgument('morph t must be a number')
    const a = await this.#encodeCrop(request.a)
    const b = await this.#encodeCrop(request.b)
    const raw = await model.decode(lerp(a.stylemap, b.stylemap, request.t), 1)
    return { image: tensorToImage(raw, model.info.resolution), ms: performance.now() - started }
  }

  async random(request: RandomRequest): Promise<GeneratedImage> {
    const started = performance.now()
    const model = this.#requireModel()
    const w = await this.#randomStylemap(request)
    const raw = await model.decode(w, 1)
    return { image: tensorToImage(raw, model.info.resolution), ms: performance.now() - started }
  }

  /** Releases the model's sessions and drops every cache (local only: never served to another process). */
  async dispose(): Promise<void> {
    const model = this.#model
    this.#model = null
    this.#images.clear()
    this.#faces.clear()
    this.#stylemaps.clear()
    this.#pyramids.clear()
    this.#modulations.clear()
    this.#latestDecodes.clear()
    this.#draftBuffers.clear()
    this.#bands.clear()
    if (model) await model.release()
  }

  /** For tests and the bench: what the engine holds, and the steps `render` is made of. */
  get inspect() {
    return {
      runtime: this.#model,
      heldImageIds: (): string[] => [...this.#images.keys()],
      cacheSizes: () => ({ images: this.#images.size, stylemaps: this.#stylemaps.size, pyramids: this.#pyramids.size, modulations: this.#modulations.size }),
      /** Bytes of the kept style pyramids. */
      pyramidBytes: (): number => this.#pyramids.calculatedSize ?? 0,
      /** Bytes of the edited crops' live gamma/beta, with their saved tiles and the reference's kept values. */
      modulationBytes: (): number => this.#modulations.calculatedSize ?? 0,
      /** The stylemap of a crop and, where the model has a resizer, its style pyramid. */
      stylemapOf: async (image: CroppedImage): Promise<{ stylemap: Float32Array; styles: Float32Array[] | null }> => {
        const encoded = await this.#encodeCrop(image)
        return { stylemap: encoded.stylemap, styles: this.#requireModel().info.features.wplus ? (await this.#styles(encoded)).map(fromHalf) : null }
      },
      randomStylemap: (request: RandomRequest): Promise<Float32Array> => this.#randomStylemap(request),
    }
  }

  #requireModel(): ModelRuntime {
    if (!this.#model) throw new EngineError(engineErrorCodes.modelNotLoaded, 'no model is loaded')
    return this.#model
  }

  #image(imageId: string | undefined): DecodedImage {
    const held = typeof imageId === 'string' ? this.#images.get(imageId) : undefined
    if (!held) throw new EngineError(engineErrorCodes.imageUnknown, `image ${String(imageId)} is not open in the engine; open it again`)
    return held
  }

  #cropOf(held: DecodedImage, crop: Crop | undefined): Crop {
    const { width, height } = held.info
    return checkCrop(crop ?? defaultCrop(width, height), width, height)
  }

  /** The layers that change something, with their masks on the model grid; checks every layer. */
  #activeLayers(edit: Edit, photo: DecodedImage, crop: Crop): ActiveLayer[] {
    const active: ActiveLayer[] = []
    const needsModel = edit.layers.length > 0
    const R = needsModel ? this.#requireModel().info.resolution : 0
    edit.layers.forEach((layer, i) => {
      const where = `layer ${i + 1}`
      const mask = checkMask(layer?.mask, where)
      const strength = checkUnit(layer.strength, 1, `${where}: strength`)
      const dx = layer.offset?.dx ?? 0
      const dy = layer.offset?.dy ?? 0
      if (typeof dx !== 'number' || typeof dy !== 'number' || !Number.isFinite(dx) || !Number.isFinite(dy)) throw badArgument(`${where}: offset must be finite numbers`)
      const reference = this.#image(layer.reference?.imageId)
      const referenceCrop = this.#cropOf(reference, layer.reference.crop)
      const destination = sampleMaskCrop(mask, photo.info.width, photo.info.height, crop, R)
      if (strength === 0 || isEmptyMask(destination)) return
      // photo pixels -> model pixels, whole ones (the grid the mask is sampled on)
      active.push({ source: layer, reference, referenceCrop, destination, strength, dx: Math.round((dx * R) / crop.size), dy: Math.round((dy * R) / crop.size) })
    })
    return active
  }

  /** Encodes (cached), mixes and decodes: the generator's output for the edit. */
  async #generate(edit: Edit, photo: DecodedImage, crop: Crop, layers: ActiveLayer[], draft = false): Promise<{ generated: RawImage; encoded: number; draft: boolean }> {
    const model = this.#requireModel()
    const R = model.info.resolution
    const space: MixSpace = edit.space ?? (model.info.features.wplus ? 'wplus' : 'w')
    if (space !== 'w' && space !== 'wplus') throw badArgument(`space must be w or wplus, got ${String(space)}`)
    if (space === 'wplus' && !model.info.features.wplus) throw new EngineError(engineErrorCodes.modelFeature, `model ${model.info.id} has no resizer/synthesis graphs, so W+ editing is not available`)
    const coarse = checkUnit(edit.coarseStrength, 1, 'coarse strength')
    const fine = checkUnit(edit.fineStrength, 1, 'fine strength')
    const levelStrength = edit.coarseStrength !== undefined || edit.fineStrength !== undefined ? { coarse, fine } : undefined

    let encoded = 0
    const encode = async (held: DecodedImage, at: Crop): Promise<Encoded> => {
      const key = this.#stylemapKey(model, held.info.imageId, at)
      if (!this.#stylemaps.has(key)) encoded++
      return this.#encode(model, held, at)
    }
    const original = await encode(photo, crop)
    const references: Encoded[] = []
    for (const layer of layers) references.push(await encode(layer.reference, layer.referenceCrop))

    let raw: Float32Array
    let drafted = false
    if (model.incremental) ({ raw, draft: drafted } = await this.#incremental(model, space, original, references, layers, levelStrength, draft))
    else if (!layers.length) raw = await model.decode(original.stylemap, 1)
    else {
      if (space === 'w') {
        raw = await model.decode(
          mixW(
            original.stylemap,
            layers.map((l, i) => mixLayer(l, references[i].stylemap)),
            model.info.stylemap,
            R,
          ),
          1,
        )
      } else {
        const originalStyles = await this.#styles(original)
        const mix: MixLayer[] = []
        for (const [i, l] of layers.entries()) mix.push(await this.#referenceLayer(l, references[i]))
        raw = await model.synthesize(
          mixWPlus(
            originalStyles,
            mix,
            model.info.styles,
            R,
            levelStrength,
          ),
          1,
        )
      }
    }
    return { generated: tensorToImage(raw, R), encoded, draft: drafted }
  }

  /**
   * The edit through the incremental path: the crop's live gamma/beta (LiveModulations, holding
   * its latest edit), recomputed where the mixed styles differ from that edit's, then the feature
   * path (incremental.ts). W+ knows the changed cells from the masks; W runs the resizer on the
   * mixed stylemap and compares.
   */
  async #incremental(
    model: ModelRuntime,
    space: MixSpace,
    original: Encoded,
    references: Encoded[],
    layers: ActiveLayer[],
    levelStrength?: { coarse: number; fine: number },
    draft = false,
  ): Promise<{ raw: Float32Array; draft: boolean }> {
    const R = model.info.resolution
    const levels = model.info.styles
    const sizes = levels.map((l) => l.size)
    const mods = model.manifest.modulations ?? []
    const photoStyles = await this.#styles(original)
    // per level: the cells whose style differs from the crop's own (null: none), and the mixed style on a box
    let own: (Uint8Array | null)[] = levels.map(() => null)
    let valuesOf = (_i: number, _at: Box): Float32Array => new Float32Array(0)
    let whole = (): StyleTensor[] => photoStyles
    // what the mix is made of, so later edits of this crop find what they change (W: not tracked)
    let state: MixState | null = space === 'wplus' || !layers.length ? ownState(levels.length) : null
    // a single W+ layer: its reference, whose own gamma/beta are kept where the layer mixes cells
    // whole (LiveModulations.referenceFor), and its offset and strength at each level
    let single: { key: string; shift: { ox: number; oy: number }[]; t: number[] } | null = null
    if (layers.length && space === 'w') {
      const mixed = await model.resize(mixW(original.stylemap, layers.map((l, i) => mixLayer(l, references[i].stylemap)), model.info.stylemap, R), 1)
      own = levels.map((l, i) => diffCells(mixed[i], photoStyles[i], l.channels, l.size))
      valuesOf = (i, at) => windowOf(mixed[i], levels[i].channels, levels[i].size, at)
      whole = () => mixed
    } else if (layers.length) {
      const mix: MixLayer[] = []
      for (const [i, l] of layers.entries()) mix.push(await this.#referenceLayer(l, references[i], draft && model.draftable))
      const factors = levelFactors(levels, levelStrength)
      // levels of one size share their weights, and with them their maps (sameAsEarlier)
      const weights = sameAsEarlier(levels, (l) => [l.size], (l) => mix.map((m) => wplusWeights(m, R, l.size)))
      own = sameAsEarlier(levels, (l, i) => [weights[i], factors[i]], (l, i) => {
        const map = wplusChangedCells(mix, R, l.size, factors[i], weights[i])
        return cellsBox(map, l.size) ? map : null
      })
      valuesOf = (i, at) => mixWPlusWindow(photoStyles[i], mix, i, levels[i], R, factors[i], at, weights[i])
      whole = () => mixWPlus(photoStyles, mix, levels, R, levelStrength)
      if (layers.length === 1 && keepMixedAt(levels, mods, this.#keepMixedMacs).some(Boolean)) {
        const [{ dx, dy, strength }] = mix
        single = { key: references[0].key, shift: levels.map((l) => ({ ox: cellOffset(dx, R, l.size), oy: cellOffset(dy, R, l.size) })), t: factors.map((f) => strength * f) }
      }
      state = {
        sources: layers.map((l, i) => `${references[i].key}:${l.dx},${l.dy}`).join('|'),
        strengths: layers.map((l) => l.strength),
        factors,
        weights,
        offsets: layers.map((l) => ({ dx: l.dx, dy: l.dy })),
      }
    }
    // a draft shows the latest exact decode of this crop (while painting: the edit before the
    // stroke; while a strength or an offset is dragged: the edit where the drag began) with a
    // window around what the edit changes since: where it was mixed from the same layers, the
    // cells whose mix differs; else every cell either mix changed from the crop's own. Without a
    // latest decode (or its cells), the crop's own decode and the cells this edit changes.
    // draftImage grows the window where the coarse part's output moved, within bounds.
    const latest = draft && model.draftable ? this.#latestDecodes.get(original.key) : undefined
    const sinceLatest = latest ? (changedSince(latest.state, state, sizes, R) ?? (latest.own && eitherCells(latest.own, own))) : null
    const window = draft && model.draftable ? draftWindow(model, (sinceLatest ?? own).map((map, i) => changedBox(map, sizes[i])), this.#draftShare) : null
    const live = await this.#live(model, original, photoStyles)
    const run = this.#queued(async () => {
      const base = window ? (latest && sinceLatest ? latest : await this.#ownDecode(model, original, live)) : null
      // only the strength (or the level factors) of a single layer moved: scale what it changes
      const ratios = scaleRatios(live.state, state)
      // (unless that would take values held as halves too far from exact: then written afresh)
      if (ratios && live.scales(ratios)) {
        live.state = null
        live.scale(ratios)
        live.state = state
      }
      // what the live tensors need rewritten: what changed since the edit they hold, or every
      // change from the crop's own (its values written back first) where the two are not
      // comparable or that is less, as when a mask shrinks (the crop's own changes weighed by
      // the box around them, an upper bound, so that their cover is made only when used). Cells
      // that read no mixed style any more, as where a mask is erased, get the crop's own values
      // back from the saved tiles, and cells a single layer mixes whole whose reference's values
      // are kept (under any offset or strength) get them: neither is recomputed.
      live.referenceFor(single?.key ?? null)
      const keepAt = keepMixedAt(levels, mods, this.#keepMixedMacs)
      const full: (Uint8Array | null)[] = []
      const fullAt = (i: number) => (i in full ? full[i] : (full[i] = single && keepAt[i] && single.t[i] !== 0 ? fullyMixed(own[i], sizes[i]) : null))
      const sinceMaps = changedSince(live.state, state, sizes, R)
      const sinceCells = sinceMaps && sameAsEarlier(sinceMaps, (map, i) => [map, own[i], sizes[i]], (map, i) => changedCells(map, sizes[i], own[i]))
      const kept = (cells: (Uint8Array | null)[]) => cells.map((c, i) => (c && single ? live.referenceKept(i, within(c, fullAt(i)), single.shift[i].ox, single.shift[i].oy) : null))
      const sinceKept = sinceCells && kept(sinceCells)
      const since = sinceCells?.map((c, i) => boxesOf(without(c, sinceKept![i]), sizes[i]))
      const ownBound = changedShare(own.map((map, i) => [changedBox(map, sizes[i])].filter((box) => box !== null)), mods)
      const restore = !since || ownBound < changedShare(since, mods)
      const cells = restore ? sameAsEarlier(own, (map, i) => [map, sizes[i]], (map, i) => changedCells(map, sizes[i])) : sinceCells!
      const fromKept = restore ? kept(cells) : sinceKept!
      const boxes = restore ? cells.map((c, i) => boxesOf(without(c, fromKept[i]), sizes[i])) : since
      if (!window && changedShare(boxes, mods) > this.#wholeShare) {
        // most cells change: gamma/beta of the mixed styles whole, leaving the live ones as they are
        return this.#exact(original.key, state, own, await model.featuresWithStats(await model.modulations(whole(), 1)))
      }
      const fresh = boxes.some((level) => level.length) ? await recompute(model, boxes, valuesOf) : null
      // every cell of `cells` is written below (from kept values or fresh ones): restored around them only
      if (restore) live.restore(cells)
      // not comparable with anything until written whole, so an edit after a failure here restores
      live.state = null
      if (!restore && sinceMaps) {
        sameAsEarlier(sinceMaps, (map, i) => [map, own[i], sizes[i]], (map, i) => unmixedCells(map, sizes[i], own[i])).forEach((back, i) => back && live.restoreCells(i, back))
      }
      const { shift, t } = single ?? { shift: [], t: [] }
      // kept cells inside a box are computed there anyway (one box around a small change can cost
      // less than its strips), so only those outside are written from the kept values, and only
      // the cells mixed whole not kept already are kept
      const inBoxes = boxes.map((level, i) => boxCells(level, sizes[i]))
      fromKept.forEach((c, i) => {
        const outside = without(c, inBoxes[i])
        if (outside) live.writeReference(i, outside, shift[i].ox, shift[i].oy, t[i])
      })
      if (fresh) live.writeAll(boxes, fresh)
      if (single) {
        // the reference's values of the cells mixed whole just computed, for later edits with it
        inBoxes.forEach((c, i) => c && live.keepReference(i, without(within(c, fullAt(i)), fromKept[i]), shift[i].ox, shift[i].oy, t[i]))
      }
      live.state = state
      // the saved tiles and kept values count against the cache's budget: set again, the same
      // object would keep the size it was first counted at (lru-cache sizes a value when it is
      // set in place of another, not when it is set over itself)
      this.#modulations.delete(original.key)
      this.#modulations.set(original.key, live)
      if (window && base) return draftImage(model, live.tensors, base, window, this.#draftBuffers, this.#draftLimits)
      // the same gamma/beta as the latest exact render of them (only paste-back settings changed): its image
      const again = live.decoded
      if (again) return again
      const version = live.version
      const image = this.#exact(original.key, state, own, await model.featuresWithStats(live.tensors))
      live.keepDecoded(image, version)
      return image
    })
    return { raw: await run, draft: !!window }
  }

  /**
   * Whether a request waits behind the one running (othersWaiting), after a turn of the event
   * loop: a request that came in during a step is read in that turn, not at the next step's.
   */
  async #giveWay(): Promise<boolean> {
    if (!this.#othersWaiting) return false
    await new Promise((resolve) => setImmediate(resolve))
    return this.#othersWaiting()
  }

  /** Runs `work` after every feature run asked for before it (they change the live gamma/beta in turn). */
  #queued<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#featureRuns.then(work)
    this.#featureRuns = run.catch(() => undefined)
    return run
  }

  /** An exact decode of a crop: kept with its statistics as what later drafts of it start from (the stroke's drafts are over). */
  #exact(key: string, state: MixState | null, own: (Uint8Array | null)[], { image, stats, x }: { image: Float32Array; stats: Float32Array | null; x?: Float32Array }): Float32Array {
    if (stats) this.#latestDecodes.set(key, { image, stats, x, state, own })
    this.#draftBuffers.clear()
    return image
  }

  /**
   * The crop's own exact decode (no edit), for drafts that cannot start from its latest one;
   * computed once and kept. Runs in the feature-run queue: it writes the crop's own gamma/beta
   * back into `live` first.
   */
  async #ownDecode(model: ModelRuntime, encoded: Encoded, live: LiveModulations): Promise<ExactDecode> {
    const key = `${encoded.key}#own`
    const kept = this.#latestDecodes.get(key)
    if (kept) return kept
    live.restore()
    const version = live.version
    const { image, stats, x } = await model.featuresWithStats(live.tensors)
    if (!stats) throw new Error('the fine graph gave no statistics for a draft')
    live.keepDecoded(image, version)
    const decoded = { image, stats, x, state: ownState(model.manifest.styles.length) }
    this.#latestDecodes.set(key, decoded)
    return decoded
  }

  /** The crop's live gamma and beta of every modulated layer (its own when first computed), kept while the budget allows. */
  async #live(model: ModelRuntime, encoded: Encoded, styles: StyleTensor[]): Promise<LiveModulations> {
    const cached = this.#modulations.get(encoded.key)
    if (cached) return cached
    // onnxruntime-node gives every output a buffer of its own that later runs never touch, so it is kept as it is
    const live = new LiveModulations(model.manifest.modulations ?? [], await model.modulations(styles, 1))
    this.#modulations.set(encoded.key, live)
    return live
  }

  /**
   * The detail layer for a paste-back at region.width pixels: the photo region's own high
   * frequencies, moved toward each reference's (its crop brought to the same size, shifted by
   * the layer's offset) under the layer's feathered mask and strength. Undefined when the
   * output is no larger than the model grid.
   */
  /** `union`: the feathered union of the masks (a single layer's own feathered mask is that). */
  async #detail(photoHighPass: Float32Array, layers: ActiveLayer[], masks: Mask[], feather: number, size: number, union: Float32Array): Promise<Float32Array> {
    const R = this.#requireModel().info.resolution
    const sigma = detailSigma(size, R)
    const references: DetailLayer[] = []
    for (const [i, layer] of layers.entries()) {
      const highPass = await this.#band(`|${layer.reference.info.imageId}|${cropKey(layer.referenceCrop)}|reference ${size}|${sigma}`, async () =>
        highPassLuma(await cropResized(layer.reference.pixels, layer.referenceCrop, size), sigma),
      )
      references.push({
        highPass,
        alpha: layers.length === 1 ? union : featherMask(masks[i], feather),
        strength: layer.strength,
        dx: Math.round((layer.dx * size) / R),
        dy: Math.round((layer.dy * size) / R),
      })
    }
    return blendDetail(photoHighPass, references, size)
  }

  /** A paste-back band (see #bands), computed once per key while the budget keeps it. */
  async #band<T extends RawImage | Float32Array>(key: string, make: () => Promise<T>): Promise<T> {
    const kept = this.#bands.get(key)
    if (kept) return kept as T
    const made = await make()
    // an export's bands (a full-size crop of a large photo) are used once, and would crowd out the previews'
    if ((made instanceof Float32Array ? made.byteLength : made.data.byteLength) <= bandBudget / 8) this.#bands.set(key, made)
    return made
  }

  #stylemapKey(model: ModelRuntime, imageId: string, crop: Crop): string {
    const weights = (model.manifest.sha256[model.manifest.files.encoder] ?? '').slice(0, 12)
    // a frame's angle is part of what the model sees (angle 0 included: it may reach past the photo)
    const angle = crop.angle === undefined ? '' : `,${crop.angle}deg`
    return `${model.info.id}@${weights}|${imageId}|${crop.x},${crop.y},${crop.size}${angle}`
  }

  async #encode(model: ModelRuntime, held: DecodedImage, crop: Crop): Promise<Encoded> {
    const key = this.#stylemapKey(model, held.info.imageId, crop)
    const cached = this.#stylemaps.get(key)
    if (cached) return { key, stylemap: cached }
    const input = await cropToModel(held.pixels, crop, model.info.resolution)
    const stylemap = Float32Array.from(await model.encode(imageToTensor(input), 1))
    this.#stylemaps.set(key, stylemap)
    return { key, stylemap }
  }

  async #encodeCrop(image: CroppedImage | undefined): Promise<Encoded> {
    const held = this.#image(image?.imageId)
    return this.#encode(this.#requireModel(), held, this.#cropOf(held, image?.crop))
  }

  /**
   * A crop's style pyramid (the resizer's outputs), computed once and kept while the byte budget
   * allows, as halves: half the memory (a 256 px pyramid is 123 MB as float32), and a half's
   * rounding, 2^-11 relative, moves a 256 px edit's output by at most a level of 255. The same
   * halves serve the crop as an edited photo and as a reference, so an edit's result never
   * depends on what was edited before.
   */
  async #styles(encoded: Encoded): Promise<Uint16Array[]> {
    const cached = this.#pyramids.get(encoded.key)
    if (cached && !cached.pixels) {
      // a prepared reference's whole pyramid, now an edited photo's: kept whole from here on
      if (cached.provisional) this.#pyramids.set(encoded.key, { halves: cached.halves })
      return cached.halves
    }
    const halves = await this.#resizeToHalves(encoded)
    this.#pyramids.set(encoded.key, { halves })
    return halves
  }

  /**
   * A reference crop's whole pyramid, resized ahead of its first mask (prepare); nothing when
   * any of it is kept. Whether it was made. prepare asks only while the pyramids it keeps whole
   * (the photo crop's and these) stay under half the pyramids' byte budget: a whole one is 62 MB
   * at 256 px, and a prepare of many references must not push out the photo's own pyramid (the
   * first render would then make it again), only save the first stroke a resizer run. Pyramids
   * of other crops (ones framed before, given up) are what the cache lets go first.
   */
  async #provisionalStyles(encoded: Encoded): Promise<boolean> {
    if (this.#pyramids.has(encoded.key)) return false
    this.#pyramids.set(encoded.key, { halves: await this.#resizeToHalves(encoded), provisional: true })
    return true
  }

  /** The resizer's outputs for a crop, as halves (the graph casts them: ModelRuntime.resize). */
  async #resizeToHalves(encoded: Encoded): Promise<Uint16Array[]> {
    return this.#requireModel().resize(encoded.stylemap, 1)
  }

  /**
   * A reference crop's pyramid where `mask` (R x R, on the reference's grid) reads it: the whole
   * one when the crop's is kept whole (it is, or was, an edited photo's), else the part kept
   * (regions.ts), grown when the mask reaches past it. Same halves as #styles, so the edit is the
   * same whichever is kept. `dropped`: bytes of a whole pyramid cut down here, garbage once the
   * caller lets go of this frame.
   *
   * Where the model has a resizer tail level, the part kept holds the levels up to it whole, and
   * grows by a run of the tail on the box around what the mask reads first, grown by the margin
   * (#grownStyles): at 256 px 130-170 ms for a dab 40 px across on a 512 px crop, against
   * 1.0-1.4 s for the whole resizer (x.tmp script timing resizeTail and resize in the engine).
   *
   * A `draft` (a dab of a stroke being painted) cuts nothing: it reads a provisional whole
   * pyramid as it is. Without a tail level, where the mask reaches past the part kept, it
   * resizes and keeps the whole pyramid provisional, for the rest of the stroke. The exact render
   * at the stroke's end cuts it down to the stroke's mask, grown as a box the stroke went past is
   * (regionToKeep). Cut at each dab, a stroke paid a resizer run (1.1-1.4 s at 256 px, against a
   * draft's 0.4 s) each time it went a margin past the box kept.
   */
  async #referenceStyles(encoded: Encoded, mask: Uint8Array, draft = false): Promise<{ styles: StyleTensor[]; regions?: Box[]; dropped?: number }> {
    const model = this.#requireModel()
    const R = model.info.resolution
    const levels = model.info.styles
    const cached = this.#pyramids.get(encoded.key)
    if (cached && !cached.pixels && !cached.provisional) return { styles: cached.halves }
    // a mask shifted wholly past the crop reads nothing: any kept part will do
    const need = maskBox(mask, R) ?? { x0: 0, y0: 0, x1: 1, y1: 1 }
    const fresh = cached?.pixels ? uncovered(mask, R, cached) : null
    if (cached?.pixels && !fresh) return { styles: cached.halves, regions: keptBoxes(cached, levels, R) }
    const tail = model.tailLevel
    const wholeLevels = tail === null ? 0 : tail + 1
    if (tail !== null && cached?.pixels && fresh && cached.wholeLevels === wholeLevels) {
      try {
        // the tail runs only on what the mask reads first, grown by the margin (a stroke going on)
        const kept = await this.#grownStyles(cached, grownBox(fresh, regionMargin(R), R), tail)
        this.#pyramids.set(encoded.key, kept)
        const dropped = cached.halves.slice(tail + 1).reduce((sum, h) => sum + h.byteLength, 0)
        return { styles: kept.halves, regions: keptBoxes(kept, levels, R), dropped }
      } catch (e) {
        // a tail that fails (its graph cannot be cut, or its run fails) costs this render the whole resizer, not the render
        if (!(e instanceof EngineError) || e.code !== engineErrorCodes.inference) throw e
      }
    }
    // a prepared whole pyramid is cut down as the resizer's output would have been (by a draft: kept)
    const whole = cached?.provisional ? cached.halves : await this.#resizeToHalves(encoded)
    if (draft) {
      this.#pyramids.set(encoded.key, { halves: whole, provisional: true, past: cached?.pixels ?? cached?.past })
      return { styles: whole }
    }
    const kept = keepStyles(whole, levels, R, regionToKeep(need, cached?.pixels ?? cached?.past ?? null, R), wholeLevels)
    this.#pyramids.set(encoded.key, kept)
    const dropped = kept.halves === whole ? 0 : whole.reduce((sum, h) => sum + h.byteLength, 0)
    return { styles: kept.halves, regions: kept.pixels && keptBoxes(kept, levels, R), dropped }
  }

  /**
   * `kept` (a box, its levels up to the tail level `k` whole) grown by the box of pixels `added`:
   * the levels past `k` there from one run of the resizer's tail on the window of level k those
   * cells need (tailWindow), the same halves as the whole resizer's. The box kept becomes the one
   * around both; what lies in it but in neither is a hole (KeptStyles.filled).
   */
  async #grownStyles(kept: KeptStyles, added: Box, k: number): Promise<KeptStyles> {
    const model = this.#requireModel()
    const R = model.info.resolution
    const levels = model.info.styles
    const { channels, size } = levels[k]
    const window = tailWindow(added, R, size, TAIL_MARGIN)
    const [w, h] = [window.x1 - window.x0, window.y1 - window.y0]
    const grown = await model.resizeTail(cutRegion(kept.halves[k], channels, size, window), h, w)
    const pixels = unionBox([kept.pixels!, added])!
    const halves = levels.map((level, i) => {
      if (i <= k) return kept.halves[i]
      const f = level.size / size
      const to = toGrid(pixels, R, level.size)
      const [tw, th] = [to.x1 - to.x0, to.y1 - to.y0]
      const out = new Uint16Array(level.channels * tw * th)
      const old = toGrid(kept.pixels!, R, level.size)
      copyCells(out, tw, th, old.x0 - to.x0, old.y0 - to.y0, kept.halves[i], old.x1 - old.x0, old.y1 - old.y0, 0, 0, old.x1 - old.x0, old.y1 - old.y0, level.channels)
      const cells = toGrid(added, R, level.size)
      copyCells(out, tw, th, cells.x0 - to.x0, cells.y0 - to.y0, grown[i - k - 1], w * f, h * f, cells.x0 - window.x0 * f, cells.y0 - window.y0 * f, cells.x1 - cells.x0, cells.y1 - cells.y0, level.channels)
      return out
    })
    const filled = filledAfter(kept, added, pixels, R)
    return filled ? { halves, pixels, wholeLevels: k + 1, filled } : { halves, pixels, wholeLevels: k + 1 }
  }

  /** A layer ready to mix in W+, with its reference's style tensors where its mask reads them. */
  async #referenceLayer(l: ActiveLayer, encoded: Encoded, draft = false): Promise<MixLayer> {
    const layer = mixLayer(l, [])
    const { styles, regions, dropped = 0 } = await this.#referenceStyles(encoded, layer.mask, draft)
    // a whole pyramid cut down (62 MB at 256 px) is collected before the next reference's is
    if (dropped >= this.#collectAfterBytes) this.#garbage?.now()
    return { ...layer, reference: styles, regions }
  }

  async #write(pixels: RawImage, photo: DecodedImage, output: Extract<RenderOutput, { kind: 'file' }>) {
    if (typeof output.path !== 'string' || !output.path) throw badArgument('the output file needs a path')
    const inputPaths: string[] = []
    for (const held of this.#images.values()) if (held.sourcePath) inputPaths.push(held.sourcePath)
    return writeImage(pixels, { path: output.path, format: output.format, quality: output.quality, metadataFrom: photo, inputPaths, overwriteInput: output.overwriteInput })
  }

  /** Mean stylemap over many mapped samples, for truncation. */
  async #meanStylemap(model: ModelRuntime): Promise<Float32Array> {
    if (this.#randomMean) return this.#randomMean
    const zDim = model.info.zDim ?? 0
    const batch = 512
    const sum = new Float64Array(model.stylemapLength)
    for (let done = 0; done < meanSamples; done += batch) {
      const w = await model.map(normalSamples(meanSeed + done, batch * zDim), batch)
      for (let i = 0; i < w.length; i++) sum[i % sum.length] += w[i]
    }
    const mean = new Float32Array(sum.length)
    for (let i = 0; i < sum.length; i++) mean[i] = sum[i] / meanSamples
    this.#randomMean = mean
    return mean
  }

  async #randomStylemap(request: RandomRequest): Promise<Float32Array> {
    const model = this.#requireModel()
    if (!model.info.features.random) throw new EngineError(engineErrorCodes.modelFeature, `model ${model.info.id} has no mapping graph, so random generation is not available`)
    const seed = request?.seed
    const psi = request?.truncation ?? 1
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw badArgument(`seed must be a whole number 0..4294967295, got ${seed}`)
    if (!Number.isFinite(psi) || psi < 0 || psi > 2) throw badArgument(`truncation must be within 0..2, got ${psi}`)
    const w = await model.map(normalSamples(seed, model.info.zDim ?? 0), 1)
    if (psi === 1) return Float32Array.from(w)
    return truncate(w, await this.#meanStylemap(model), psi)
  }
}

// The engine in one process: holds the model, decoded photos, encoded stylemaps (with their
// resizer outputs) and edit states, so that the interactive path reuses all per-image work.
import { randomUUID } from 'node:crypto'
import type {
  Crop,
  EditLayer,
  EditRequest,
  EditStateInfo,
  EncodeRequest,
  EngineApi,
  ExportRequest,
  ExportResult,
  GeneratedImage,
  GenerateRequest,
  ImageInfo,
  ImageSource,
  InterpolateRequest,
  LoadedModel,
  LoadModelOptions,
  Mask,
  MixSpace,
  MorphRequest,
  PasteBackRequest,
  PastePreviewRequest,
  RandomRequest,
  RawImage,
  StylemapInfo,
} from './api.js'
import { EngineError, engineErrorCodes } from './errors.js'
import { writeImage } from './export.js'
import { checkCrop, cropPixels, cropScaled, cropToModel, type DecodedImage, decodeImage, defaultCrop, fitWithin, imageToTensor, resizeImage, resizeMask, tensorToImage } from './images.js'
import { lerp, type MixLayer, mixW, mixWPlus, normalSamples, truncate } from './mixing.js'
import { ModelRuntime } from './model.js'
import { colorShift, composite, featherMask } from './pasteback.js'

/** Small least-recently-used map. */
class Lru<K, V> {
  private readonly map = new Map<K, V>()
  constructor(private readonly limit: number, private readonly weight: (v: V) => number = () => 1) {}
  get(key: K): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) {
      this.map.delete(key)
      this.map.set(key, v)
    }
    return v
  }
  set(key: K, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    let total = 0
    for (const v of this.map.values()) total += this.weight(v)
    for (const [k, v] of this.map) {
      if (total <= this.limit || this.map.size <= 1) break
      if (k === key) continue
      this.map.delete(k)
      total -= this.weight(v)
    }
  }
  delete(key: K): void {
    this.map.delete(key)
  }
  values(): IterableIterator<V> {
    return this.map.values()
  }
  clear(): void {
    this.map.clear()
  }
}

interface HeldImage extends DecodedImage {
  /** For paste-back results: the photo whose metadata an export keeps. */
  origin: string | null
}

interface HeldStylemap {
  info: StylemapInfo
  stylemap: Float32Array
  styles: Promise<Float32Array[]> | null
}

/** A checked paste-back request. */
interface PasteInputs {
  photo: HeldImage
  crop: Crop
  /** In photo pixels. */
  feather: number
  generated: RawImage
  mask: Mask
  colorMatch: boolean
}

interface HeldEdit {
  space: MixSpace
  stylemap?: Float32Array
  styles?: Float32Array[]
}

export interface EngineOptions {
  /** Bytes of decoded pixels kept in memory (default 1.5 GB). */
  imageBudgetBytes?: number
  /** Bytes of cached resizer outputs (style pyramids) kept in memory (default 512 MB). */
  stylesBudgetBytes?: number
}

const meanSamples = 4096
const meanSeed = 0x5eed

/** The engine. Every method validates its input and throws EngineError with a stable code. */
export class Engine implements EngineApi {
  private model: ModelRuntime | null = null
  private readonly images: Lru<string, HeldImage>
  private readonly stylemaps = new Lru<string, HeldStylemap>(128)
  private readonly edits = new Lru<string, HeldEdit>(4)
  private stylesHeld: HeldStylemap[] = []
  private readonly stylesBudgetBytes: number
  private randomMean: Float32Array | null = null

  constructor(options: EngineOptions = {}) {
    this.images = new Lru<string, HeldImage>(options.imageBudgetBytes ?? 1.5e9, (v) => v.pixels.data.byteLength)
    this.stylesBudgetBytes = options.stylesBudgetBytes ?? 512e6
  }

  private requireModel(): ModelRuntime {
    if (!this.model) throw new EngineError(engineErrorCodes.modelNotLoaded, 'no model is loaded')
    return this.model
  }

  private modelKey(model: ModelRuntime): string {
    return `${model.info.id}@${(model.manifest.sha256[model.manifest.files.encoder] ?? '').slice(0, 12)}`
  }

  async loadModel(dir: string, options: LoadModelOptions = {}): Promise<LoadedModel> {
    const next = await ModelRuntime.load(dir, options)
    const previous = this.model
    this.model = next
    this.randomMean = null
    this.edits.clear()
    this.stylesHeld = []
    if (previous) await previous.release()
    return { model: next.info, providers: next.providers }
  }

  async modelInfo(): Promise<LoadedModel | null> {
    return this.model ? { model: this.model.info, providers: this.model.providers } : null
  }

  async openImage(source: ImageSource): Promise<ImageInfo> {
    const decoded = await decodeImage(source)
    const held = this.images.get(decoded.info.imageId)
    if (held && held.sourcePath === decoded.sourcePath) return held.info
    this.images.set(decoded.info.imageId, { ...decoded, origin: null })
    return decoded.info
  }

  async closeImage(imageId: string): Promise<void> {
    this.images.delete(imageId)
  }

  private image(imageId: string): HeldImage {
    const held = this.images.get(imageId)
    if (!held) throw new EngineError(engineErrorCodes.imageUnknown, `image ${imageId} is not open in the engine; open it again`)
    return held
  }

  async getPixels(imageId: string, maxSize?: number): Promise<RawImage> {
    return fitWithin(this.image(imageId).pixels, maxSize)
  }

  /** Ids of the images the engine holds (photos and paste-back results), for tests. */
  heldImageIds(): string[] {
    return [...this.images.values()].map((held) => held.info.imageId)
  }

  async encode(request: EncodeRequest): Promise<StylemapInfo> {
    const model = this.requireModel()
    const held = this.image(request.imageId)
    const crop = checkCrop(request.crop ?? defaultCrop(held.info.width, held.info.height), held.info.width, held.info.height)
    const stylemapId = `sm:${this.modelKey(model)}:${request.imageId.slice(4)}:${crop.x},${crop.y},${crop.size}`
    const cached = this.stylemaps.get(stylemapId)
    if (cached) return { ...cached.info, cached: true }
    const input = await cropToModel(held.pixels, crop, model.info.resolution)
    const stylemap = await model.encode(imageToTensor(input), 1)
    const info: StylemapInfo = { stylemapId, imageId: request.imageId, crop, modelId: model.info.id, cached: false }
    this.stylemaps.set(stylemapId, { info, stylemap: Float32Array.from(stylemap), styles: null })
    return info
  }

  private stylemap(id: string): HeldStylemap {
    const held = this.stylemaps.get(id)
    const model = this.requireModel()
    if (!held || !id.startsWith(`sm:${this.modelKey(model)}:`)) throw new EngineError(engineErrorCodes.stylemapUnknown, `stylemap ${id} is not held by the engine (encode the image again)`)
    return held
  }

  /** Resizer outputs of a stylemap, computed once and kept for the most recently used stylemaps. */
  private styles(held: HeldStylemap): Promise<Float32Array[]> {
    const model = this.requireModel()
    this.stylesHeld = [...this.stylesHeld.filter((h) => h !== held), held]
    if (!held.styles) {
      held.styles = model.resize(held.stylemap, 1).then((s) => s.map((t) => Float32Array.from(t)))
      held.styles.catch(() => {
        held.styles = null
      })
    }
    // a 256 px model's pyramid is tens of MB: keep a bounded number of them
    const perStylemap = model.info.styles.reduce((sum, l) => sum + 4 * l.channels * l.size * l.size, 0)
    const keep = Math.max(2, Math.floor(this.stylesBudgetBytes / perStylemap))
    while (this.stylesHeld.length > keep) {
      const dropped = this.stylesHeld.shift()
      if (dropped) dropped.styles = null
    }
    return held.styles
  }

  private checkLayer(layer: EditLayer, index: number, resolution: number): MixLayer & { referenceId: string } {
    const where = `layer ${index + 1}`
    const { mask } = layer
    if (!mask || mask.width !== resolution || mask.height !== resolution || mask.data?.length !== resolution * resolution) {
      throw new EngineError(engineErrorCodes.maskSize, `${where}: the mask must be ${resolution}x${resolution} (model resolution), got ${mask?.width}x${mask?.height}`)
    }
    const strength = layer.strength ?? 1
    if (!Number.isFinite(strength) || strength < 0 || strength > 1) throw new EngineError(engineErrorCodes.badArgument, `${where}: strength must be within 0..1, got ${strength}`)
    const dx = layer.offset?.dx ?? 0
    const dy = layer.offset?.dy ?? 0
    if (!Number.isFinite(dx) || !Number.isFinite(dy)) throw new EngineError(engineErrorCodes.badArgument, `${where}: offset must be finite numbers`)
    return { referenceId: layer.reference, reference: new Float32Array(0), mask: mask.data, strength, dx, dy }
  }

  private async mix(request: InterpolateRequest): Promise<HeldEdit> {
    const model = this.requireModel()
    const R = model.info.resolution
    const space: MixSpace = request.space ?? (model.info.features.wplus ? 'wplus' : 'w')
    if (space !== 'w' && space !== 'wplus') throw new EngineError(engineErrorCodes.badArgument, `space must be w or wplus, got ${String(space)}`)
    if (space === 'wplus' && !model.info.features.wplus) throw new EngineError(engineErrorCodes.modelFeature, `model ${model.info.id} has no resizer/synthesis graphs, so W+ editing is not available`)
    const ls = request.levelStrength
    if (ls && ![ls.coarse, ls.fine].every((v) => Number.isFinite(v) && v >= 0 && v <= 1)) throw new EngineError(engineErrorCodes.badArgument, 'coarse/fine strength must be within 0..1')
    const original = this.stylemap(request.original)
    const layers = request.layers.map((l, i) => this.checkLayer(l, i, R))
    const refs = layers.map((l) => this.stylemap(l.referenceId))
    if (space === 'w') {
      layers.forEach((l, i) => {
        l.reference = refs[i].stylemap
      })
      return { space, stylemap: mixW(original.stylemap, layers, model.info.stylemap, R) }
    }
    const [originalStyles, ...refStyles] = await Promise.all([original, ...refs].map((s) => this.styles(s)))
    layers.forEach((l, i) => {
      l.reference = refStyles[i]
    })
    return { space, styles: mixWPlus(originalStyles, layers, model.info.styles, R, ls) }
  }

  async interpolate(request: InterpolateRequest): Promise<EditStateInfo> {
    const edit = await this.mix(request)
    const editId = `edit:${randomUUID()}`
    this.edits.set(editId, edit)
    return { editId, space: edit.space }
  }

  private async render(edit: HeldEdit): Promise<RawImage> {
    const model = this.requireModel()
    const raw = edit.space === 'w' ? await model.decode(edit.stylemap as Float32Array, 1) : await model.synthesize(edit.styles as Float32Array[], 1)
    return tensorToImage(raw, model.info.resolution)
  }

  async generate(request: GenerateRequest): Promise<GeneratedImage> {
    const started = performance.now()
    const edit = this.edits.get(request.editId)
    if (!edit) throw new EngineError(engineErrorCodes.editUnknown, `edit ${request.editId} is not held by the engine`)
    const image = await this.render(edit)
    return { image, ms: performance.now() - started }
  }

  async edit(request: EditRequest): Promise<GeneratedImage> {
    const started = performance.now()
    const image = await this.render(await this.mix(request))
    return { image, ms: performance.now() - started }
  }

  async reconstruct(stylemapId: string): Promise<GeneratedImage> {
    const started = performance.now()
    const model = this.requireModel()
    const raw = await model.decode(this.stylemap(stylemapId).stylemap, 1)
    return { image: tensorToImage(raw, model.info.resolution), ms: performance.now() - started }
  }

  async morph(request: MorphRequest): Promise<GeneratedImage> {
    const started = performance.now()
    const model = this.requireModel()
    if (!Number.isFinite(request.t)) throw new EngineError(engineErrorCodes.badArgument, 'morph t must be a number')
    const w = lerp(this.stylemap(request.a).stylemap, this.stylemap(request.b).stylemap, request.t)
    const raw = await model.decode(w, 1)
    return { image: tensorToImage(raw, model.info.resolution), ms: performance.now() - started }
  }

  /** Mean stylemap over many mapped samples, for truncation. */
  private async meanStylemap(model: ModelRuntime): Promise<Float32Array> {
    if (this.randomMean) return this.randomMean
    const zDim = model.info.zDim ?? 0
    const batch = 512
    const sum = new Float64Array(model.stylemapLength)
    for (let done = 0; done < meanSamples; done += batch) {
      const w = await model.map(normalSamples(meanSeed + done, batch * zDim), batch)
      for (let i = 0; i < w.length; i++) sum[i % sum.length] += w[i]
    }
    const mean = new Float32Array(sum.length)
    for (let i = 0; i < sum.length; i++) mean[i] = sum[i] / meanSamples
    this.randomMean = mean
    return mean
  }

  /** The stylemap random(seed, truncation) decodes (exposed for tests and the bench). */
  async randomStylemap(request: RandomRequest): Promise<Float32Array> {
    const model = this.requireModel()
    if (!model.info.features.random) throw new EngineError(engineErrorCodes.modelFeature, `model ${model.info.id} has no mapping graph, so random generation is not available`)
    const { seed } = request
    const psi = request.truncation ?? 1
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new EngineError(engineErrorCodes.badArgument, `seed must be a whole number 0..4294967295, got ${seed}`)
    if (!Number.isFinite(psi) || psi < 0 || psi > 2) throw new EngineError(engineErrorCodes.badArgument, `truncation must be within 0..2, got ${psi}`)
    const w = await model.map(normalSamples(seed, model.info.zDim ?? 0), 1)
    if (psi === 1) return Float32Array.from(w)
    return truncate(w, await this.meanStylemap(model), psi)
  }

  async random(request: RandomRequest): Promise<GeneratedImage> {
    const started = performance.now()
    const model = this.requireModel()
    const w = await this.randomStylemap(request)
    const raw = await model.decode(w, 1)
    return { image: tensorToImage(raw, model.info.resolution), ms: performance.now() - started }
  }

  /** Checks a paste-back request: the held photo, the crop inside it, the feather, the generated image and the mask. */
  private pasteInputs(request: PasteBackRequest): PasteInputs {
    const photo = this.image(request.imageId)
    const crop: Crop = checkCrop(request.crop, photo.info.width, photo.info.height)
    const feather = request.feather ?? 8
    if (!Number.isFinite(feather) || feather < 0) throw new EngineError(engineErrorCodes.badArgument, `feather must be 0 or more pixels, got ${feather}`)
    const g = request.generated
    if (!g || g.width <= 0 || g.height !== g.width || g.data?.length !== g.width * g.height * g.channels) throw new EngineError(engineErrorCodes.imageSize, 'the generated image must be a square RGB image')
    const m = request.mask
    if (!m || m.width <= 0 || m.height <= 0 || m.data?.length !== m.width * m.height) throw new EngineError(engineErrorCodes.maskSize, 'the paste-back mask is malformed')
    return { photo, crop, feather, generated: g, mask: m, colorMatch: request.colorMatch !== false }
  }

  /**
   * Blends the generated image into `base` inside the square `at`, with everything (generated
   * image, mask, feather) brought to at.size: the crop's own size for the exact paste-back, a
   * smaller one for a preview of a downscaled crop region.
   */
  private async blend(inputs: PasteInputs, base: RawImage, at: Crop): Promise<RawImage> {
    const { size } = at
    const generated = await resizeImage(inputs.generated, size, size)
    const mask = await resizeMask(inputs.mask, size, size)
    // the feather is given in photo pixels: at a smaller size it shrinks with the image
    const feather = size === inputs.crop.size ? inputs.feather : (inputs.feather * size) / inputs.crop.size
    const alpha = featherMask(mask, feather)
    const shift = inputs.colorMatch ? colorShift(base, at, generated, alpha) : ([0, 0, 0] as [number, number, number])
    return composite(base, at, generated, alpha, shift)
  }

  async pasteBack(request: PasteBackRequest): Promise<ImageInfo> {
    const inputs = this.pasteInputs(request)
    const { photo } = inputs
    const pixels = await this.blend(inputs, photo.pixels, inputs.crop)
    const imageId = `img:edit-${randomUUID()}`
    const info: ImageInfo = { ...photo.info, imageId }
    this.images.set(imageId, { info, pixels, sourceBytes: photo.sourceBytes, sourcePath: null, origin: photo.origin ?? photo.info.imageId })
    return info
  }

  async pastePreview(request: PastePreviewRequest): Promise<RawImage> {
    const { maxSize } = request
    if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize < 1)) throw new EngineError(engineErrorCodes.badArgument, `maxSize must be a whole number of pixels, got ${maxSize}`)
    const inputs = this.pasteInputs(request)
    const { photo, crop } = inputs
    if (maxSize === undefined || maxSize >= crop.size) {
      // the feathered weights never reach past the crop, so blending the crop region alone gives
      // exactly the bytes a full paste-back has there
      return this.blend(inputs, cropPixels(photo.pixels, crop), { x: 0, y: 0, size: crop.size })
    }
    // smaller on screen: the photo's crop region is downscaled first and the blend done at the
    // output size (an approximation of the export, at a fraction of the work)
    return this.blend(inputs, await cropScaled(photo.pixels, crop, maxSize), { x: 0, y: 0, size: maxSize })
  }

  async exportImage(request: ExportRequest): Promise<ExportResult> {
    const held = this.image(request.imageId)
    // a paste-back result carries its photo's file bytes, so it is its own metadata source
    const metadataFrom = request.metadataFrom ? this.image(request.metadataFrom) : held
    const inputPaths: string[] = []
    for (const img of this.images.values()) if (img.sourcePath) inputPaths.push(img.sourcePath)
    return writeImage(held.pixels, {
      path: request.path,
      format: request.format,
      quality: request.quality,
      metadataFrom,
      inputPaths,
      overwriteInput: request.overwriteInput,
    })
  }

  /** Releases the model's sessions and drops every cache. */
  async dispose(): Promise<void> {
    const model = this.model
    this.model = null
    this.images.clear()
    this.stylemaps.clear()
    this.edits.clear()
    this.stylesHeld = []
    if (model) await model.release()
  }

  /** For the bench and tests: the underlying runtime. */
  get runtime(): ModelRuntime | null {
    return this.model
  }

  /** For the bench: the held stylemap tensor (and resizer outputs) of an encoded image. */
  async heldStylemap(stylemapId: string): Promise<{ stylemap: Float32Array; styles: Float32Array[] | null }> {
    const held = this.stylemap(stylemapId)
    const model = this.requireModel()
    return { stylemap: held.stylemap, styles: model.info.features.wplus ? await this.styles(held) : null }
  }
}

// The engine's public contract: what the app layer (Electron main, through the engine client),
// the CLI and the tests code against. Everything here is plain data that survives structured
// clone, so the same types travel unchanged between the app and the engine process.

/** Execution providers onnxruntime-node can be asked for. */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'webgpu' | 'cpu'
export const providerNames: readonly ProviderName[] = ['cuda', 'dml', 'coreml', 'webgpu', 'cpu']

/** `auto` lets the engine choose; a provider name forces that provider first (cpu stays the fallback). */
export type ProviderPreference = 'auto' | ProviderName

/** What happened to one provider while choosing. */
export interface ProviderProbe {
  provider: ProviderName
  status: 'ok' | 'failed' | 'skipped'
  /** Why it failed or was skipped, in words a user can follow. */
  reason?: string
  /** How long the probe took, when it was tried. */
  ms?: number
}

export interface ProviderReport {
  /** The provider every session of the model uses. */
  inUse: ProviderName
  preference: ProviderPreference
  /** Every provider considered, in the order tried, plus the ones this platform skips. */
  probes: ProviderProbe[]
}

export interface StyleLevel {
  channels: number
  /** Spatial size (height = width) of this style tensor. */
  size: number
}

export interface ModelInfo {
  id: string
  name: string
  /** Folder the model was loaded from. */
  dir: string
  /** Generator input/output resolution R (images are R x R). */
  resolution: number
  stylemap: { channels: number; size: number }
  styles: StyleLevel[]
  zDim: number | null
  domain: string
  source: string
  license: string
  isDefault: boolean
  /** What this model folder supports. */
  features: { wplus: boolean; random: boolean }
}

export interface LoadModelOptions {
  provider?: ProviderPreference
  /** Threads for each session (default: CPU cores - 1, at least 1). */
  threads?: number
}

export interface LoadedModel {
  model: ModelInfo
  providers: ProviderReport
}

/** Where an image comes from: a file path (CLI, tests) or bytes (the app: dialogs, drops). */
export type ImageSource = { path: string } | { bytes: Uint8Array; name?: string }

/** A square in the image's upright (EXIF-applied) pixel coordinates. */
export interface Crop {
  x: number
  y: number
  size: number
}

/** 8-bit pixels, row-major, interleaved channels. */
export interface RawImage {
  width: number
  height: number
  /** 1 (gray/mask), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4
  data: Uint8Array
}

/** A single-channel 8-bit mask; 255 = fully selected. */
export interface Mask {
  width: number
  height: number
  data: Uint8Array
}

/** A decoded photo held by the engine. */
export interface ImageInfo {
  /** Handle for later requests; equal bytes give the equal id (content hash). */
  imageId: string
  /** Upright size (after EXIF orientation). */
  width: number
  height: number
  hasAlpha: boolean
  /** Input container format as sharp names it (jpeg, png, webp, tiff, ...). */
  format: string
  /** Colour space of the file before conversion to sRGB-like RGB (srgb, cmyk, b-w, rgb16, ...). */
  space: string
  /** Bits per channel of the file. */
  bitDepth: number
  /** EXIF orientation found in the file (1 when none); the pixels are already upright. */
  orientation: number
  hasIccProfile: boolean
  hasExif: boolean
}

export interface EncodeRequest {
  imageId: string
  /** Default: the largest centred square. */
  crop?: Crop
}

/** A stylemap encoded from (image, crop) by the current model. */
export interface StylemapInfo {
  /** Deterministic: model + image content + crop; encoding the same again is a cache hit. */
  stylemapId: string
  imageId: string
  crop: Crop
  modelId: string
  cached: boolean
}

export type MixSpace = 'w' | 'wplus'

/** One reference applied to the original. */
export interface EditLayer {
  reference: string
  /**
   * Model-resolution mask (R x R) on the reference's crop grid: the region taken from the
   * reference. With an offset the region lands on the original moved by (dx, dy).
   */
  mask: Mask
  /** 0..1, default 1. */
  strength?: number
  /** Placement on the original, in model-resolution pixels. Default (0, 0). */
  offset?: { dx: number; dy: number }
}

export interface InterpolateRequest {
  original: string
  layers: EditLayer[]
  /** Default: wplus where the model has resizer + synthesis, else w. */
  space?: MixSpace
  /**
   * W+ only: scales each layer's strength per style level, from `coarse` at the
   * lowest-resolution level to `fine` at the highest (linear in between). Default 1 / 1.
   */
  levelStrength?: { coarse: number; fine: number }
}

export interface EditStateInfo {
  editId: string
  space: MixSpace
}

/** A generator output, at model resolution, 8-bit RGB. */
export interface GeneratedImage {
  image: RawImage
  /** Wall time in the engine for this request. */
  ms: number
}

export interface GenerateRequest {
  editId: string
}

/** interpolate + generate in one call: the interactive path. */
export type EditRequest = InterpolateRequest

export interface MorphRequest {
  a: string
  b: string
  /** 0 = a, 1 = b. */
  t: number
}

export interface RandomRequest {
  seed: number
  /** Truncation psi, default 1 (none). */
  truncation?: number
}

export interface PasteBackRequest {
  /** The full-resolution photo. */
  imageId: string
  crop: Crop
  /** Generator output at model resolution (or any square size). */
  generated: RawImage
  /**
   * Where the edit applies, covering the crop square (any size, resized to the crop size):
   * pixels outside it and its feather stay bit-identical to the photo.
   */
  mask: Mask
  /** Feather radius in photo pixels (default 8). */
  feather?: number
  /** Shift the generated colours so they match the photo around the edit (default true). */
  colorMatch?: boolean
}

/** `pasteBack` for the live preview: the same blend, returned as the crop region's pixels only. */
export interface PastePreviewRequest extends PasteBackRequest {
  /**
   * Return the crop region at most this many pixels square (default: the crop's own size);
   * smaller than the crop, the blend is done at this size (see `EngineApi.pastePreview`).
   */
  maxSize?: number
}

export type ExportFormat = 'png' | 'jpeg' | 'webp'

export interface ExportRequest {
  /** Image to write (a photo or a paste-back result). */
  imageId: string
  path: string
  /** Default: from the file extension, else the source's format, else png. */
  format?: ExportFormat
  /** 1..100 for jpeg/webp (default 92). */
  quality?: number
  /** Image whose ICC profile and EXIF are carried over (default: the image itself or its origin). */
  metadataFrom?: string
  /** Allow writing over the file the photo was read from. */
  overwriteInput?: boolean
}

export interface ExportResult {
  path: string
  format: ExportFormat
  bytes: number
  width: number
  height: number
}

/** The engine as the app layer uses it; implemented in-process by `Engine` and across a process by `EngineClient`. */
export interface EngineApi {
  loadModel(dir: string, options?: LoadModelOptions): Promise<LoadedModel>
  modelInfo(): Promise<LoadedModel | null>
  openImage(source: ImageSource): Promise<ImageInfo>
  closeImage(imageId: string): Promise<void>
  /** Upright 8-bit pixels of a held image, downscaled to fit `maxSize` when given. */
  getPixels(imageId: string, maxSize?: number): Promise<RawImage>
  encode(request: EncodeRequest): Promise<StylemapInfo>
  interpolate(request: InterpolateRequest): Promise<EditStateInfo>
  generate(request: GenerateRequest): Promise<GeneratedImage>
  edit(request: EditRequest): Promise<GeneratedImage>
  reconstruct(stylemapId: string): Promise<GeneratedImage>
  morph(request: MorphRequest): Promise<GeneratedImage>
  random(request: RandomRequest): Promise<GeneratedImage>
  pasteBack(request: PasteBackRequest): Promise<ImageInfo>
  /**
   * The live preview of `pasteBack` inside `crop`, computed on the crop region only: no
   * full-size copy, no new held image.
   * - `maxSize` absent or >= crop.size: exactly the pixels `pasteBack` gives inside `crop`
   *   (a crop.size square).
   * - `maxSize` < crop.size: a maxSize square made at that size: the photo's crop region is
   *   downscaled first (the same bytes as `fitWithin(cropPixels(photo, crop), maxSize)`), the
   *   generated image and the mask are resized straight to maxSize, the feather is scaled by
   *   maxSize / crop.size and the colour shift is measured there. This only approximates the
   *   downscaled export (edges, feather and colour shift may differ slightly); where the
   *   preview's own feathered mask is zero its pixels are exactly the downscaled photo crop.
   */
  pastePreview(request: PastePreviewRequest): Promise<RawImage>
  exportImage(request: ExportRequest): Promise<ExportResult>
}

/** Methods of EngineApi, for the message protocol between client and host. */
export type EngineMethod = keyof EngineApi
export type EngineParams<M extends EngineMethod> = Parameters<EngineApi[M]>
export type EngineResult<M extends EngineMethod> = Awaited<ReturnType<EngineApi[M]>>

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
  /** How the model wants faces framed; absent for models that keep manual crops only. */
  alignment?: FaceAlignment
}

export interface LoadModelOptions {
  provider?: ProviderPreference
  /** Threads for each session (default: CPU cores - 1, at least 1). */
  threads?: number
  /**
   * Run each graph once at load and check its output shapes against model.json (default
   * false). For a folder being imported: a bad one is refused before it is remembered. Every
   * later run checks its shapes anyway, so a folder already accepted loads without the extra
   * seconds this costs a 256 px model.
   */
  verify?: boolean
  /**
   * From how many bytes (gamma and beta of one image as float32) a fine layer's gamma/beta are held
   * and passed as halves (default HALF_LEVEL_BYTES: a 256 px model's 128 and 256 px layers);
   * Infinity for none. Tests lower it to run the half path on small models.
   */
  halfLevelBytes?: number
}

export interface LoadedModel {
  model: ModelInfo
  providers: ProviderReport
}

/** Where an image comes from: a file path (CLI, tests) or bytes (the app: dialogs, drops). */
export type ImageSource = { path: string } | { bytes: Uint8Array; name?: string }

/**
 * The square of an image the model sees, in the image's upright (EXIF-applied) pixels.
 *
 * - Without `angle`: an axis-aligned square fully inside the image, (x, y) its top-left corner.
 * - With `angle` (a frame, as face alignment makes): the same square turned by `angle` degrees
 *   (clockwise as seen on screen) about its centre (x + size / 2, y + size / 2). A frame may
 *   reach past the image's edges, which are mirrored there (reflect padding); its centre must be
 *   inside the image. Frame point (u, v), u to the frame's right and v down it, both 0..size, is
 *   the image point centre + rotate(angle) * (u - size / 2, v - size / 2).
 *
 * x, y and size are whole pixels; a frame's angle is within -180..180 and its size at most twice
 * the image's longer side (and 16384). Anything else is refused with E_CROP_OUT_OF_BOUNDS.
 */
export interface Crop {
  x: number
  y: number
  size: number
  angle?: number
}

/** A rectangle of image pixels. */
export interface Region {
  x: number
  y: number
  width: number
  height: number
}

/** Where a model wants a face's five landmarks, as fractions (0..1) of its square: models/FORMAT.md. */
export interface FaceAlignment {
  /** Left eye, right eye, nose tip, left mouth corner, right mouth corner (left = the image's left). */
  landmarks: [number, number][]
}

/** A face found in a photo, in the photo's upright pixels. */
export interface Face {
  /** x, y, width, height. */
  box: [number, number, number, number]
  /** Detector confidence, 0..1. */
  score: number
  /** Left eye, right eye, nose tip, left mouth corner, right mouth corner (left = the image's left). */
  landmarks: [number, number][]
  /** The frame that aligns this face for the loaded model; absent when the model has no `alignment`. */
  crop?: Crop
}

export interface FacesResult {
  /** Largest first. */
  faces: Face[]
  /** Wall time in the engine for this request. */
  ms: number
}

/** 8-bit pixels, row-major, interleaved channels. */
export interface RawImage {
  width: number
  height: number
  /** 1 (gray/mask), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 3 | 4
  data: Uint8Array
  /**
   * The ICC colour profile the values are in, where it is not sRGB: a photo that stores its
   * own profile (Display P3) is worked on in it. Whoever shows or writes the pixels tags them.
   */
  icc?: Uint8Array
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

/** A photo the engine holds and the square of it the model sees (default: the largest centred square). */
export interface CroppedImage {
  imageId: string
  crop?: Crop
}

export type MixSpace = 'w' | 'wplus'

/**
 * One reference's part in an edit, in photo space.
 *
 * The mask marks where the photo changes: it covers the whole original photo (at any
 * resolution; it is scaled to the photo) and 255 means "fully from the reference".
 * The offset, in original-photo pixels, says where on the reference that content is taken
 * from: the reference's content at q lands at q + offset, so a masked pixel p shows the
 * reference at p - offset (both measured inside the two crop frames). It is measured along
 * the original's frame: dx to the frame's right, dy down it, which for a turned frame (a crop
 * with `angle`) are turned with it; for an axis-aligned crop or angle 0 they are the photo's x and y.
 */
export interface EditLayer {
  reference: CroppedImage
  mask: Mask
  /** 0..1, default 1. */
  strength?: number
  /** Default (0, 0). */
  offset?: { dx: number; dy: number }
}

/** A whole edit: what the app's preview and export and every CLI command hand the engine. */
export interface Edit {
  original: CroppedImage
  /** Applied in order; a layer with an empty mask or strength 0 changes nothing. */
  layers: EditLayer[]
  /** Default: wplus where the model has resizer + synthesis, else w. */
  space?: MixSpace
  /**
   * W+ only: each layer's strength is scaled per style level, from `coarseStrength` at the
   * lowest-resolution level to `fineStrength` at the highest (linear in between). Default 1.
   */
  coarseStrength?: number
  fineStrength?: number
  /** Feather radius of the paste-back, in original-photo pixels (default 8). */
  feather?: number
  /**
   * Bring the generated colours to the photo's around the edit (default true): a per-channel
   * shift, the colour variation taken onto the photo's hues and capped at the photo's own
   * range of colour there (a black-and-white photo stays so).
   */
  colorMatch?: boolean
  /**
   * Detail transfer (default true): the paste-back adds the frequencies the model cannot draw
   * at the crop's size, from the reference under each mask (where its content comes from) and
   * from the photo elsewhere. Without it the generator's output is simply upsampled.
   */
  detail?: boolean
}

export type ExportFormat = 'png' | 'jpeg' | 'webp'

/** What `render` returns: the photo's crop region for the screen, the generator's output, or a file. */
export type RenderOutput =
  | {
      kind: 'preview'
      /**
       * Return the preview's region (the crop square, or a frame's bounding box clipped to the
       * photo) fitted within this many pixels on its longer side (default: full size).
       * - absent or >= the region's longer side: exactly the pixels the exported file has there;
       * - smaller: the blend is done at that scale on the downscaled region (the same bytes as
       *   downscaling the photo's region alone where the feathered mask is zero), an
       *   approximation of the downscaled export.
       */
      maxSize?: number
    }
  | { kind: 'generated' }
  | {
      kind: 'file'
      path: string
      /** Default: from the file extension, else the photo's format, else png. */
      format?: ExportFormat
      /** 1..100 for jpeg/webp (default 92). */
      quality?: number
      /** Allow writing over a file an open photo was read from. */
      overwriteInput?: boolean
    }

export interface RenderRequest<O extends RenderOutput = RenderOutput> {
  edit: Edit
  output: O
  /**
   * A draft is enough (the live preview while a stroke is painted): where the model has the
   * draft preview graphs and the edit's window is small, the feature path's fine part runs on
   * that window only, with the statistics of the crop's latest exact decode (src-main/engine/draft.ts).
   * A file is always rendered exactly.
   */
  draft?: boolean
}

interface RenderedBase {
  /** The original's crop, checked. */
  crop: Crop
  /** Wall time in the engine for this request. */
  ms: number
  /** How many crops had to be encoded (the others came from the cache). */
  encoded: number
  /** Whether the generator's output is a draft (asked for, and the model and edit allowed it); false: exact. */
  draft: boolean
}

export interface PreviewRendered extends RenderedBase {
  kind: 'preview'
  /**
   * The photo's pixels under `region` after the feathered paste-back, at most maxSize on the
   * longer side: the crop square itself for an axis-aligned crop.
   */
  pasted: RawImage
  /** The photo rectangle `pasted` shows: the crop square, or the bounding box of a frame's square, clipped to the photo. */
  region: Region
  /** The generator's output at model resolution. */
  generated: RawImage
}

export interface GeneratedRendered extends RenderedBase {
  kind: 'generated'
  generated: RawImage
}

export interface FileRendered extends RenderedBase {
  kind: 'file'
  file: ExportResult
}

export type RenderResult<O extends RenderOutput = RenderOutput> = O extends { kind: 'preview' }
  ? PreviewRendered
  : O extends { kind: 'generated' }
    ? GeneratedRendered
    : FileRendered

export interface ExportResult {
  path: string
  format: ExportFormat
  bytes: number
  width: number
  height: number
}

/** A generator output, at model resolution, 8-bit RGB. */
export interface GeneratedImage {
  image: RawImage
  /** Wall time in the engine for this request. */
  ms: number
}

export interface MorphRequest {
  a: CroppedImage
  b: CroppedImage
  /** 0 = a, 1 = b. */
  t: number
}

/** The crops an edit is about to be painted on: the photo's and each reference's. */
export interface PrepareRequest {
  original: CroppedImage
  references?: CroppedImage[]
}

export interface PrepareResult {
  /** How many crops were encoded (the others were cached already). */
  encoded: number
  /** Wall time in the engine for this request. */
  ms: number
  /**
   * False when it stopped between its steps for requests that came in behind it (the engine
   * process answers one at a time): what it made is kept, and a prepare of the same crops
   * later does the rest.
   */
  complete: boolean
}

export interface RandomRequest {
  seed: number
  /** Truncation psi, default 1 (none). */
  truncation?: number
}

/**
 * The engine as the app layer and the CLI use it: implemented in-process by `Engine` and
 * across a process by the engine client, which is derived from this interface (adding a
 * method here and in `Engine` is all it takes to serve it).
 */
export interface EngineApi {
  loadModel(dir: string, options?: LoadModelOptions): Promise<LoadedModel>
  modelInfo(): Promise<LoadedModel | null>
  openImage(source: ImageSource): Promise<ImageInfo>
  /** Forgets the image and everything encoded from it. */
  closeImage(imageId: string): Promise<void>
  /** Upright 8-bit pixels of a held image, downscaled to fit `maxSize` when given. */
  getPixels(imageId: string, maxSize?: number): Promise<RawImage>
  /**
   * The one edit call: encodes the crops (cached), mixes the stylemaps under the masks,
   * decodes, and pastes the result back into the photo, returning what `output` asks for.
   */
  render<O extends RenderOutput>(request: RenderRequest<O>): Promise<RenderResult<O>>
  /**
   * Does now what the first render of these crops would: encodes them, readies the photo
   * crop's styles and gamma/beta, its own decode (where a stroke's drafts start from, on models
   * with the draft graphs) and each reference's styles (kept whole until its first stroke), so
   * that the first stroke painted on a newly framed crop or reference does not wait for it.
   * Renders after it give the same result.
   */
  prepare(request: PrepareRequest): Promise<PrepareResult>
  /** The faces in a held image, largest first, each with the frame that aligns it for the loaded model. */
  detectFaces(imageId: string): Promise<FacesResult>
  /** Global W interpolation between two crops. */
  morph(request: MorphRequest): Promise<GeneratedImage>
  random(request: RandomRequest): Promise<GeneratedImage>
}

/** Methods of EngineApi, for the message protocol between client and host. */
export type EngineMethod = keyof EngineApi
export type EngineParams<M extends EngineMethod> = Parameters<EngineApi[M]>
export type EngineResult<M extends EngineMethod> = Awaited<ReturnType<EngineApi[M]>>

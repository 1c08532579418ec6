// The app's IPC contract: every channel the renderer can invoke, every event main can push,
// with runtime schemas. Main's IPC registration, the preload API, the handlers (src-main/app)
// and the e2e bridge are all derived from `channels` and `events`; nothing else names a
// channel string.
//
// Conventions:
// - Bytes cross as `Uint8Array` (Electron's structured clone keeps them; the e2e bridge
//   encodes them and decodes back to Uint8Array, so the renderer sees the same types).
// - The renderer never holds a readable file path. Images live in main and are named by an
//   `imageId` handed out when a file is opened through a dialog, dropped, or loaded from a
//   project. Recent files are named by an opaque `id`.
// - Coordinates are in pixels of the upright (EXIF-oriented) full-resolution photo.
// - A dialog the user cancels is not an error: the response says `canceled: true`.
import { z } from 'zod'
import { catalogDatasets } from './catalog'
import { channel, type EventApi, type InvokeApi } from './ipc'

// ---------------------------------------------------------------- building blocks

/** Raw bytes; a Node Buffer passes too (it is a Uint8Array). */
export const bytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected bytes (Uint8Array)' })

export const idSchema = z.string().min(1).max(128)

/**
 * A square region of a photo: the part the fixed-resolution model edits. With `angle`
 * (degrees, clockwise on screen, about the square's centre) it is a frame: turned, and allowed
 * past the photo's edges (mirrored there) as long as its centre is on the photo. See Crop in
 * src-main/engine/api.ts.
 */
export const cropSchema = z
  .object({ x: z.number().int(), y: z.number().int(), size: z.number().int().min(1), angle: z.number().min(-180).max(180).optional() })
  .refine((crop) => crop.angle !== undefined || (crop.x >= 0 && crop.y >= 0), { message: 'a crop without an angle starts inside the photo (x, y >= 0)' })
export type Crop = z.output<typeof cropSchema>

export const imageMimeSchema = z.enum(['image/png', 'image/jpeg', 'image/webp'])
export type ImageMime = z.output<typeof imageMimeSchema>

/** An encoded image (PNG/JPEG/WebP bytes) with its pixel size. */
export const encodedImageSchema = z.object({
  mime: imageMimeSchema,
  bytes: bytesSchema,
  width: z.number().int().positive(),
  height: z.number().int().positive(),
})
export type EncodedImage = z.output<typeof encodedImageSchema>

/**
 * A mask over the WHOLE photo, one byte per pixel, row-major, 0 = keep the original,
 * 255 = take from the reference. It may be stored at a lower resolution than the photo
 * (e.g. the display preview's size); main scales it to the photo.
 */
export const maskSchema = z
  .object({
    width: z.number().int().positive().max(16384),
    height: z.number().int().positive().max(16384),
    data: bytesSchema,
  })
  .refine((m) => m.data.length === m.width * m.height, { message: 'mask data length must equal width * height', path: ['data'] })
export type Mask = z.output<typeof maskSchema>

/** What main knows about an image it holds; never a path. */
export const imageInfoSchema = z.object({
  imageId: idSchema,
  /** file name only, for display */
  name: z.string(),
  /** upright (orientation applied) full-resolution size */
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  /** source format as decoded, e.g. 'jpeg', 'png', 'webp', 'tiff' */
  format: z.string(),
  byteLength: z.number().int().nonnegative(),
})
export type ImageInfo = z.output<typeof imageInfoSchema>

/** An image plus the square crop the model sees of it. */
export const croppedImageSchema = z.object({ imageId: idSchema, crop: cropSchema })
export type CroppedImage = z.output<typeof croppedImageSchema>

export const mixSpaceSchema = z.enum(['w', 'wplus'])
export type MixSpace = z.output<typeof mixSpaceSchema>

const strength = z.number().min(0).max(1)

/** One reference's part in an edit (hidden layers are simply left out). */
export const editLayerSchema = z.object({
  reference: croppedImageSchema,
  /** painted on the original photo: where the photo changes to this reference */
  mask: maskSchema,
  strength: strength.default(1),
  /**
   * Transplant offset in original-photo pixels: says where on the reference the masked
   * content is taken from. Content at reference point q appears at q + offset, so a masked
   * pixel p shows the reference at p - offset (dragging the reference's content moves it by
   * the drag). The mask itself never moves: outside it the photo is unchanged.
   */
  offset: z.object({ dx: z.number(), dy: z.number() }).default({ dx: 0, dy: 0 }),
})
export type EditLayer = z.output<typeof editLayerSchema>

/** A full edit description; the same one drives the live preview and the export. */
export const editSchema = z.object({
  original: croppedImageSchema,
  layers: z.array(editLayerSchema).max(16),
  space: mixSpaceSchema.default('wplus'),
  /** advanced: separate strengths for the coarse (low-res) and fine (high-res) styles, W+ only */
  coarseStrength: strength.optional(),
  fineStrength: strength.optional(),
  /** feather radius of the paste-back, in original-photo pixels */
  feather: z.number().min(0).max(512).default(8),
  /** detail transfer: the paste-back adds the fine detail the model cannot draw, from the reference and the photo */
  detail: z.boolean().default(true),
})
export type Edit = z.output<typeof editSchema>
export type EditInput = z.input<typeof editSchema>

export const exportFormatSchema = z.enum(['png', 'jpeg', 'webp', 'original'])
export type ExportFormat = z.output<typeof exportFormatSchema>

export const modelInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  resolution: z.number().int().positive(),
  stylemap: z.object({ channels: z.number().int().positive(), size: z.number().int().positive() }),
  domain: z.string().optional(),
  license: z.string(),
  source: z.string(),
  /** shipped with the app (vs imported by the user) */
  builtIn: z.boolean(),
  active: z.boolean(),
  capabilities: z.object({ wplus: z.boolean(), random: z.boolean() }),
  /** the model frames faces itself: a photo's faces can be found and aligned for it */
  alignsFaces: z.boolean().default(false),
  /**
   * where the model wants a face's five landmarks (left eye, right eye, nose tip, left and
   * right mouth corner), as fractions of its square: for guides drawn in the crop frame
   */
  faceLandmarks: z.array(z.tuple([z.number(), z.number()])).length(5).optional(),
  /**
   * An imported folder made by an earlier version of the app: `available` when model:upgrade can
   * bring it to today's graphs (which edit faster), `early` when only importing its checkpoint
   * again can (the first templates, 2026-12-02). Absent: up to date, or not from a checkpoint.
   */
  upgrade: z.enum(['available', 'early']).optional(),
})
export type ModelInfo = z.output<typeof modelInfoSchema>

export const providerReportSchema = z.object({
  name: z.string(),
  status: z.enum(['active', 'available', 'failed', 'skipped']),
  /** why it failed or was skipped, in words */
  reason: z.string().optional(),
})
export type ProviderReport = z.output<typeof providerReportSchema>

export const appInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  platform: z.string(),
  arch: z.string(),
  executionProvider: z.string().nullable(),
  providers: z.array(providerReportSchema),
  model: modelInfoSchema.nullable(),
  /** the largest photo accepted, in pixels */
  maxInputPixels: z.number().int().positive(),
})
export type AppInfo = z.output<typeof appInfoSchema>

// ---------------------------------------------------------------- the project document

/** One reference with its mask layer and settings, as the editor holds it. */
export const projectReferenceSchema = z.object({
  /** stable id of the reference/layer inside the document */
  id: idSchema,
  imageId: idSchema,
  crop: cropSchema,
  name: z.string().max(200).default(''),
  color: z.string().regex(/^#[0-9a-fA-F]{6}$/),
  visible: z.boolean().default(true),
  strength: strength.default(1),
  offset: z.object({ dx: z.number(), dy: z.number() }).default({ dx: 0, dy: 0 }),
  mask: maskSchema,
})
export type ProjectReference = z.output<typeof projectReferenceSchema>

export const projectSettingsSchema = z.object({
  space: mixSpaceSchema.default('wplus'),
  coarseStrength: strength.optional(),
  fineStrength: strength.optional(),
  feather: z.number().min(0).max(512).default(8),
  /** detail transfer in the paste-back; projects saved before it existed open with it on */
  detail: z.boolean().default(true),
  livePreview: z.boolean().default(true),
  modelId: z.string().optional(),
})
export type ProjectSettings = z.output<typeof projectSettingsSchema>

/** What the renderer saves and gets back on open: images by id, masks as raw bytes. */
export const projectDocumentSchema = z.object({
  original: croppedImageSchema,
  references: z.array(projectReferenceSchema).max(16),
  settings: projectSettingsSchema,
})
export type ProjectDocument = z.output<typeof projectDocumentSchema>
export type ProjectDocumentInput = z.input<typeof projectDocumentSchema>

/** A project as it comes back from open/recover: the document plus the images it names. */
export const openedProjectSchema = z.object({
  /** file name only, for the title bar; null for a recovered, never-saved document */
  name: z.string().nullable(),
  document: projectDocumentSchema,
  images: z.array(imageInfoSchema),
})
export type OpenedProject = z.output<typeof openedProjectSchema>

export const recentItemSchema = z.object({
  id: idSchema,
  kind: z.enum(['image', 'project']),
  name: z.string(),
  /** the folder, for display only */
  location: z.string(),
  openedAt: z.string(),
})
export type RecentItem = z.output<typeof recentItemSchema>

// ---------------------------------------------------------------- model downloads

export const catalogDatasetSchema = z.enum(catalogDatasets)

/** A released checkpoint Models › Add offers (see src-shared/catalog.ts). */
export const catalogItemSchema = z.object({
  dataset: catalogDatasetSchema,
  title: z.string(),
  domain: z.string(),
  resolution: z.number().int().positive(),
  stylemapSize: z.number().int().positive(),
  license: z.string(),
  licenseUrl: z.string(),
  repository: z.string(),
  url: z.string(),
  fileName: z.string(),
  approxBytes: z.number().int().positive(),
  approxModelBytes: z.number().int().positive(),
  alignment: z.enum(['ffhq', 'none']),
  /** a model from this checkpoint is installed already */
  installed: z.boolean(),
})
export type CatalogItem = z.output<typeof catalogItemSchema>

/** A checkpoint brought in by hand (file dialog or a dropped file) is the job `checkpoint`. */
export const checkpointJob = 'checkpoint'

/** The job of model:upgrade for the model `id`. */
export const upgradeJob = (id: string): string => `upgrade:${id}`

export const downloadProgressSchema = z.object({
  /** the catalog data set being downloaded, or `checkpoint` for an import by hand */
  job: z.string(),
  /** download: bytes arriving; check: reading the file's header; import: writing the model folder; register: loading it; upgrade: model:upgrade rewriting a folder */
  stage: z.enum(['download', 'check', 'import', 'register', 'upgrade']),
  receivedBytes: z.number().nonnegative(),
  /** null when the server does not say */
  totalBytes: z.number().nonnegative().nullable(),
  /** 0..1 of the stage, null when not known */
  fraction: z.number().min(0).max(1).nullable(),
  /** where this attempt started (a resumed download starts past 0) */
  resumedFrom: z.number().nonnegative().default(0),
})
export type DownloadProgress = z.output<typeof downloadProgressSchema>

/** Largest piece of a dropped checkpoint sent in one call. */
export const uploadChunkMaxBytes = 16 * 1024 * 1024

// ---------------------------------------------------------------- responses used twice

const canceled = z.object({ canceled: z.literal(true) })
const imageOpened = z.discriminatedUnion('canceled', [canceled, z.object({ canceled: z.literal(false), image: imageInfoSchema })])
const projectOpened = z.discriminatedUnion('canceled', [
  canceled,
  z.object({ canceled: z.literal(false), project: openedProjectSchema }),
])
const fileSaved = z.discriminatedUnion('canceled', [
  canceled,
  z.object({
    canceled: z.literal(false),
    /** file name only */
    name: z.string(),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    format: z.enum(['png', 'jpeg', 'webp']),
    byteLength: z.number().int().positive(),
  }),
])
const projectSaved = z.discriminatedUnion('canceled', [canceled, z.object({ canceled: z.literal(false), name: z.string() })])
const empty = z.object({})

// ---------------------------------------------------------------- channels

export const channels = {
  // images: main reads files, the renderer gets ids, previews and sizes
  /** Native open dialog (original or reference photo); main reads and decodes the file. */
  'image:open': channel(z.object({ purpose: z.enum(['original', 'reference']).default('original') }), imageOpened),
  /** Bytes of a dropped file; validated and decoded like an opened one. */
  'image:import': channel(z.object({ name: z.string().max(260), bytes: bytesSchema }), z.object({ image: imageInfoSchema })),
  /** An upright display copy, downscaled to at most maxSize on its long side. */
  'image:preview': channel(
    z.object({ imageId: idSchema, maxSize: z.number().int().min(16).max(8192).default(2048) }),
    z.object({ preview: encodedImageSchema, fullWidth: z.number().int().positive(), fullHeight: z.number().int().positive() }),
  ),
  /**
   * The faces in an image, largest first, in photo pixels: box, score, the five landmarks (left
   * eye, right eye, nose tip, left and right mouth corner, left = the photo's left) and, when the
   * active model frames faces (`alignsFaces`), the frame that aligns each one for it. An image
   * without faces answers an empty list.
   */
  'image:faces': channel(
    z.object({ imageId: idSchema }),
    z.object({
      faces: z.array(
        z.object({
          box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
          score: z.number(),
          landmarks: z.array(z.tuple([z.number(), z.number()])),
          crop: cropSchema.optional(),
        }),
      ),
      ms: z.number().nonnegative(),
    }),
  ),
  /** Drop one hold on an image (a removed reference, a replaced photo); main and the engine forget it with the last hold. */
  'image:release': channel(z.object({ imageId: idSchema }), z.object({ released: z.boolean() })),

  // engine
  /**
   * The live preview, one engine request. Coalesced: while one render runs only the newest
   * waiting request is kept; older ones answer `superseded`. `pasted` is the photo's crop
   * region after the feathered paste-back, downscaled to at most maxSize; `raw` is the
   * model's output. `draft` (while a stroke is painted, or a strength or the offset dragged)
   * allows a draft where the model has the draft preview graphs and the change is small; the
   * answer's `draft` says whether it was one.
   * If the engine process dies meanwhile, the call fails with E_ENGINE_CRASHED
   * (`engineFailureCodes.engineCrashed`); the next request starts it again.
   */
  'engine:generate': channel(
    z.object({ seq: z.number().int().nonnegative(), edit: editSchema, maxSize: z.number().int().min(16).max(8192).default(2048), draft: z.boolean().default(false) }),
    z.discriminatedUnion('status', [
      z.object({
        status: z.literal('rendered'),
        seq: z.number().int(),
        crop: cropSchema,
        pasted: encodedImageSchema,
        /** the photo rectangle `pasted` shows: the crop square, or a turned frame's bounding box clipped to the photo */
        region: z.object({ x: z.number().int(), y: z.number().int(), width: z.number().int().positive(), height: z.number().int().positive() }),
        raw: encodedImageSchema,
        ms: z.number().nonnegative(),
        /** a draft (asked for, and the model and change allowed it); an exact render follows when the stroke or drag ends */
        draft: z.boolean(),
      }),
      z.object({ status: z.literal('superseded'), seq: z.number().int() }),
    ]),
  ),
  /**
   * Ready the crops an edit is about to be painted on (the photo's and each reference's), so
   * that the first stroke does not wait for them to be encoded, their styles made and the photo
   * crop decoded as it is (where its drafts start): sent when a crop is framed or a reference
   * added. The engine answers one request at a time; this one gives way between its steps to
   * requests that come in behind it (a stroke's render), which then wait for one step at most,
   * and answers `complete: false`: what it made is kept, and asking again does the rest.
   * `encoded`: crops not cached before.
   */
  'engine:prepare': channel(
    z.object({ original: croppedImageSchema, references: z.array(croppedImageSchema).max(16).default([]) }),
    z.object({ encoded: z.number().int().nonnegative(), ms: z.number().nonnegative(), complete: z.boolean() }),
  ),
  /** A random face/scene from the mapping network (needs a model with `mapping`). */
  'engine:random': channel(
    z.object({ seed: z.number().int().nonnegative().max(2 ** 31 - 1), truncation: z.number().min(0).max(2).default(0.7) }),
    z.object({ image: encodedImageSchema, ms: z.number().nonnegative() }),
  ),
  /** Global W interpolation between two photos' crops. */
  'engine:morph': channel(
    z.object({ a: croppedImageSchema, b: croppedImageSchema, t: strength }),
    z.object({ image: encodedImageSchema, ms: z.number().nonnegative() }),
  ),

  // files
  /**
   * Render the document's edit at full resolution and write it where the user chooses: the
   * same rendering as `stylemap render --project` of the saved document, byte for byte.
   */
  'file:export': channel(
    z.object({
      document: projectDocumentSchema,
      format: exportFormatSchema.default('original'),
      quality: z.number().int().min(1).max(100).default(92),
    }),
    fileSaved,
  ),
  /** Save a generated image (random/morph/raw output) where the user chooses. */
  'file:saveImage': channel(z.object({ image: encodedImageSchema, suggestedName: z.string().max(200).default('stylemap.png') }), fileSaved),

  // projects: one file holding original, references, masks and settings
  /** Save to the current project file, asking for one the first time. */
  'project:save': channel(z.object({ document: projectDocumentSchema }), projectSaved),
  'project:saveAs': channel(z.object({ document: projectDocumentSchema }), projectSaved),
  /** Open dialog; a corrupt file fails with E_PROJECT_CORRUPT and changes nothing. */
  'project:open': channel(empty, projectOpened),
  /** Forget the current project file (File > New); the next save asks for a name. */
  'project:new': channel(empty, z.object({})),

  'recent:list': channel(empty, z.object({ items: z.array(recentItemSchema) })),
  'recent:open': channel(
    z.object({ id: idSchema }),
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('image'), image: imageInfoSchema }),
      z.object({ kind: z.literal('project'), project: openedProjectSchema }),
    ]),
  ),
  'recent:clear': channel(empty, z.object({})),

  // autosave and crash recovery
  /** Store the document for recovery (the renderer calls this, debounced, while dirty). */
  'autosave:write': channel(z.object({ document: projectDocumentSchema }), z.object({ savedAt: z.string() })),
  /** At start: is there a document left from a session that did not end cleanly? */
  'autosave:check': channel(empty, z.object({ recovery: z.object({ savedAt: z.string(), name: z.string().nullable() }).nullable() })),
  'autosave:recover': channel(empty, z.object({ project: openedProjectSchema })),
  /** Drop the recovery copy (after a clean save, or when the user declines recovery). */
  'autosave:discard': channel(empty, z.object({})),

  // models
  'model:list': channel(empty, z.object({ models: z.array(modelInfoSchema) })),
  'model:select': channel(z.object({ id: z.string().min(1) }), z.object({ model: modelInfoSchema })),
  /** Folder dialog; the folder is validated (format, hashes, graphs) before it is listed. */
  'model:import': channel(empty, z.discriminatedUnion('canceled', [canceled, z.object({ canceled: z.literal(false), model: modelInfoSchema })])),

  /**
   * Bring an imported model folder made by an earlier version to today's graphs (its ModelInfo's
   * `upgrade` is `available`); progress comes as `download:progress` of the job `upgrade:ID`. The
   * folder is replaced only once the new one loads and computes what it did (E_UPGRADE_* else,
   * and the folder stays as it was). The active model is reloaded with the new graphs.
   */
  'model:upgrade': channel(z.object({ id: z.string().min(1) }), z.object({ model: modelInfoSchema })),

  'app:info': channel(empty, appInfoSchema),

  // model downloads and checkpoints imported by hand; progress comes as `download:progress`
  /** The released checkpoints Models › Add offers. */
  'download:catalog': channel(empty, z.object({ entries: z.array(catalogItemSchema) })),
  /**
   * Download a released checkpoint (resuming a `.part` an interruption left), import it into the
   * user's models and make it the active model. Answers when it is done; `canceled` after
   * `download:cancel` (while it downloads or imports; nothing is left). A web page instead of
   * the file fails with E_DOWNLOAD_NOT_CHECKPOINT.
   */
  'download:start': channel(
    z.object({ dataset: catalogDatasetSchema, keepCheckpoint: z.boolean().default(false) }),
    z.discriminatedUnion('canceled', [canceled, z.object({ canceled: z.literal(false), model: modelInfoSchema })]),
  ),
  'download:cancel': channel(z.object({ dataset: catalogDatasetSchema }), z.object({ canceled: z.boolean() })),
  /** File dialog for a .pt checkpoint, then import it like a download (the file itself is left alone). */
  'checkpoint:import': channel(empty, z.discriminatedUnion('canceled', [canceled, z.object({ canceled: z.literal(false), model: modelInfoSchema })])),
  /**
   * Stop the checkpoint import by hand that is running (chosen or dropped), while it is checked
   * or imported; nothing of it is left. checkpoint:import then answers canceled, and
   * checkpoint:uploadFinish fails with E_DOWNLOAD_CANCELED.
   */
  'checkpoint:cancel': channel(empty, z.object({ canceled: z.boolean() })),
  /** A dropped checkpoint arrives in pieces: begin (free-space check), chunks in order, finish (import). */
  'checkpoint:uploadBegin': channel(z.object({ name: z.string().min(1).max(260), size: z.number().int().positive() }), z.object({ uploadId: idSchema })),
  'checkpoint:uploadChunk': channel(
    z.object({ uploadId: idSchema, offset: z.number().int().nonnegative(), bytes: bytesSchema.refine((b) => b.length <= uploadChunkMaxBytes, { message: 'chunk too large' }) }),
    z.object({ received: z.number().int().nonnegative() }),
  ),
  'checkpoint:uploadFinish': channel(z.object({ uploadId: idSchema }), z.object({ model: modelInfoSchema })),
  'checkpoint:uploadCancel': channel(z.object({ uploadId: idSchema }), z.object({ canceled: z.boolean() })),
}

export type Channels = typeof channels
export type ChannelName = keyof Channels

// ---------------------------------------------------------------- events (main -> renderer)

export const menuCommandSchema = z.enum([
  'newProject',
  'open',
  'openReference',
  'openProject',
  'openRecent',
  'save',
  'saveAs',
  'export',
  'undo',
  'redo',
  'zoomIn',
  'zoomOut',
  'zoomFit',
  'zoom100',
  'models',
  'importCheckpoint',
  'shortcuts',
  'about',
])
export type MenuCommand = z.output<typeof menuCommandSchema>

export const events = {
  /** A menu item or accelerator; `recentId` comes with 'openRecent'. */
  'menu:command': z.object({ command: menuCommandSchema, recentId: idSchema.optional() }),
  /** The engine process died and was restarted; requests in flight failed with E_ENGINE_CRASHED (`engineFailureCodes.engineCrashed`). */
  'engine:restarted': z.object({ reason: z.string() }),
  /** Main asks for an autosave now (e.g. before quitting); answer with `autosave:write`. */
  'autosave:request': z.object({}),
  /** A download or a checkpoint import moved on (at most a few times a second per job). */
  'download:progress': downloadProgressSchema,
}

export type Events = typeof events
export type EventName = keyof Events

/** What `window.stylemap` is, in Electron (preload) and in the e2e bridge alike. */
export type StylemapApi = InvokeApi<Channels> & { on: EventApi<Events> }

/** Stable error codes the app layer adds (the engine's own codes pass through unchanged). */
export const appErrorCodes = {
  projectCorrupt: 'E_PROJECT_CORRUPT',
  projectVersion: 'E_PROJECT_VERSION',
  projectIo: 'E_PROJECT_IO',
  /** A project file over the size any project Stylemap Studio writes can open (projectMaxBytes). */
  projectTooLarge: 'E_PROJECT_TOO_LARGE',
  imageUnknown: 'E_IMAGE_UNKNOWN',
  imageTooLarge: 'E_IMAGE_TOO_LARGE',
  recentMissing: 'E_RECENT_MISSING',
  noRecovery: 'E_NO_RECOVERY',
  modelUnknown: 'E_MODEL_UNKNOWN',
  /** An imported model folder uses the id of a model shipped with the app. */
  modelIdTaken: 'E_MODEL_ID_TAKEN',
  exportIo: 'E_EXPORT_IO',
  /** The chosen file is a photo open in the editor and the user did not confirm replacing it. */
  wouldOverwriteOriginal: 'E_WOULD_OVERWRITE_ORIGINAL',
  /** The chosen photo is not a regular file (a folder, a device such as /dev/zero, a FIFO). */
  imageNotFile: 'E_IMAGE_NOT_FILE',
  /** The server answered an HTTP error (404, 403, 5xx after retries). */
  downloadHttp: 'E_DOWNLOAD_HTTP',
  /** The connection failed or broke off and retrying did not help; a `.part` is kept to resume. */
  downloadNetwork: 'E_DOWNLOAD_NETWORK',
  /** Not enough free disk space for the checkpoint and the model made from it. */
  downloadNoSpace: 'E_DOWNLOAD_NO_SPACE',
  /** The link gave a web page, text or a file that is not a StyleMapGAN checkpoint. */
  downloadNotCheckpoint: 'E_DOWNLOAD_NOT_CHECKPOINT',
  /** The user canceled the download (the app answers `canceled: true` instead). */
  downloadCanceled: 'E_DOWNLOAD_CANCELED',
  /** The same download is already running. */
  downloadBusy: 'E_DOWNLOAD_BUSY',
  /** A dropped checkpoint's upload id is unknown (finished, canceled) or its pieces came out of order. */
  uploadUnknown: 'E_UPLOAD_UNKNOWN',
} as const

/** Engine codes that reach the renderer unchanged (as `error.code` of a failed call) and that it can act on. */
export const engineFailureCodes = {
  /** The engine process died while the request was in flight; it restarts with the next request (see `engine:restarted`). */
  engineCrashed: 'E_ENGINE_CRASHED',
} as const

// Stable error codes of the engine. The UI, the CLI and the IPC layer act on `code`, never on
// message text, so a code once published keeps its meaning.

export const engineErrorCodes = {
  /** A command-line or API argument is malformed (bad number, unknown option, missing value). */
  badArgument: 'E_BAD_ARGUMENT',
  /** An image file does not exist or cannot be read. */
  imageMissing: 'E_IMAGE_MISSING',
  /** An image path names no regular file (a folder, a device such as /dev/zero, a FIFO). */
  imageNotFile: 'E_IMAGE_NOT_FILE',
  /** An image file is empty (zero bytes). */
  imageEmpty: 'E_IMAGE_EMPTY',
  /** The bytes are not an image sharp can decode (corrupt, truncated, another file type). */
  imageDecode: 'E_IMAGE_DECODE',
  /** The image has more pixels than the engine accepts (decompression-bomb guard). */
  imageTooLarge: 'E_IMAGE_TOO_LARGE',
  /** A model-resolution image was expected and the image has another size. */
  imageSize: 'E_IMAGE_SIZE',
  /** An image id is not (or no longer) held by the engine: open the image again. */
  imageUnknown: 'E_IMAGE_UNKNOWN',
  /** The crop square is not inside the image or its size is not positive. */
  cropOutOfBounds: 'E_CROP_OUT_OF_BOUNDS',
  /** A face was asked for (face framing, --face) and the image shows none the detector finds. */
  noFace: 'E_NO_FACE',
  /** A mask does not have the size it must have. */
  maskSize: 'E_MASK_SIZE',
  /** A stylemap handle is not (or no longer) held by the engine: encode again. */
  stylemapUnknown: 'E_STYLEMAP_UNKNOWN',
  /** An edit-state id is not (or no longer) held by the engine. */
  editUnknown: 'E_EDIT_UNKNOWN',
  /** The model folder or its model.json does not exist. */
  modelMissing: 'E_MODEL_MISSING',
  /** model.json is not valid JSON or does not follow the stylemap-onnx/1 schema. */
  modelManifest: 'E_MODEL_MANIFEST',
  /** A model file's sha256 differs from the manifest, or a named file is missing. */
  modelHash: 'E_MODEL_HASH',
  /** An ONNX graph cannot be loaded or its inputs/outputs do not match the manifest. */
  modelGraph: 'E_MODEL_GRAPH',
  /** A request needs a model and none is loaded. */
  modelNotLoaded: 'E_MODEL_NOT_LOADED',
  /** The model lacks the graph a feature needs (W+ without resizer/synthesis, random without mapping). */
  modelFeature: 'E_MODEL_FEATURE',
  /** No execution provider could start (not even cpu). */
  providerUnavailable: 'E_PROVIDER_UNAVAILABLE',
  /** Running a graph failed. */
  inference: 'E_INFERENCE',
  /** Export target is the input file and overwriting was not asked for. */
  exportOverwrite: 'E_EXPORT_OVERWRITE',
  /** Export format unknown or unsupported. */
  exportFormat: 'E_EXPORT_FORMAT',
  /** Writing the exported file failed (permissions, missing folder, disk full). */
  exportWrite: 'E_EXPORT_WRITE',
  /** A newer interactive request on the same lane replaced this one before it ran. */
  superseded: 'E_SUPERSEDED',
  /** The caller cancelled the request. */
  cancelled: 'E_CANCELLED',
  /** The engine process died while the request was in flight; the next request restarts it. */
  engineCrashed: 'E_ENGINE_CRASHED',
  /** The engine client was closed. */
  engineClosed: 'E_ENGINE_CLOSED',
  /** The engine process did not answer a request in time; it was stopped and starts again with the next request. */
  engineTimeout: 'E_ENGINE_TIMEOUT',
  /** No python with torch to run the checkpoint converter. */
  pythonMissing: 'E_PYTHON_MISSING',
  /** Anything unexpected; a bug. */
  internal: 'E_INTERNAL',
} as const

export type EngineErrorCode = (typeof engineErrorCodes)[keyof typeof engineErrorCodes]

/** An error the user can act on, with a stable `code`. */
export class EngineError extends Error {
  readonly code: string

  constructor(code: EngineErrorCode | `E_${string}`, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'EngineError'
    this.code = code
  }
}

export function isEngineError(value: unknown): value is EngineError {
  return value instanceof EngineError
}

/** Plain data form, the only shape that crosses a process or IPC boundary. */
export interface EngineErrorData {
  code: string
  message: string
}

/** Turns anything thrown into an EngineError; unknown errors become E_INTERNAL. */
export function toEngineError(value: unknown): EngineError {
  if (value instanceof EngineError) return value
  if (value && typeof value === 'object' && 'code' in value && 'message' in value) {
    const { code, message } = value as { code: unknown; message: unknown }
    if (typeof code === 'string' && code.startsWith('E_') && typeof message === 'string') return new EngineError(code as `E_${string}`, message)
  }
  const message = value instanceof Error ? value.message : String(value)
  return new EngineError(engineErrorCodes.internal, message, { cause: value })
}

export function errorData(value: unknown): EngineErrorData {
  const e = toEngineError(value)
  return { code: e.code, message: e.message }
}

// The project file (`.smproj`): one JSON file holding the original photo, the references
// (their original file bytes, so export keeps EXIF and ICC), every mask layer (as a
// grayscale PNG) and the settings. Images are keyed by content hash, so a photo used twice
// is stored once and damage is detected on open. Everything is validated before anything
// is handed back: a bad file fails with a stable code and changes nothing.
import { createHash } from 'node:crypto'
import sharp from 'sharp'
import { z } from 'zod'
import { appErrorCodes, cropSchema, projectReferenceSchema, projectSettingsSchema, type Mask, type ProjectDocument } from '../../src-shared/contract'
import { AppFailure } from './dispatch'

export const projectFormat = 'stylemap-project'
export const projectVersion = 1
export const projectExtension = 'smproj'
/**
 * The largest project file opened. A project is parsed as one JSON text, and V8 cannot hold
 * a string much over 512 MiB (buffer.constants.MAX_STRING_LENGTH), so a bigger file could
 * never open anyway; 512 MiB still holds a 40 MB photo and 16 references of 20 MB each in
 * base64 (~450 MB), far above a real project's few MB to tens of MB.
 */
export const projectMaxBytes = 512 * 2 ** 20
/**
 * The largest mask side in a project: the editor paints masks of at most this many pixels a
 * side (src-renderer's MASK_MAX_SIDE), so a file with a bigger one was not written by us,
 * and 16 such masks cost at most 64 MiB decoded.
 */
export const projectMaskMaxSide = 2048
/** The longest image name shown, in characters. */
const imageNameMaxLength = 120

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/)

const diskImageSchema = z.object({
  name: z.string().max(260),
  sha256: sha256Hex,
  /** the file's bytes, base64 */
  data: z.string().min(1),
})

const maskSide = z.number().int().positive().max(projectMaskMaxSide, `masks are at most ${projectMaskMaxSide} pixels a side`)

const diskMaskSchema = z.object({
  width: maskSide,
  height: maskSide,
  /** grayscale PNG, base64 */
  png: z.string().min(1),
})

const diskReferenceSchema = projectReferenceSchema.omit({ imageId: true, mask: true }).extend({
  image: sha256Hex,
  mask: diskMaskSchema,
})

const projectFileSchema = z.object({
  format: z.literal(projectFormat),
  version: z.literal(projectVersion),
  savedAt: z.string(),
  app: z.string(),
  images: z.record(sha256Hex, diskImageSchema),
  document: z.object({
    original: z.object({ image: sha256Hex, crop: cropSchema }),
    references: z.array(diskReferenceSchema).max(16),
    settings: projectSettingsSchema,
  }),
})

/** An image's file bytes and display name, as main holds it. */
export interface ImageFile {
  name: string
  bytes: Uint8Array
}

/** A parsed project: the images the document names, keyed by content hash; the document's imageIds are those keys. */
export interface ParsedProject {
  savedAt: string
  images: Map<string, ImageFile>
  document: ProjectDocument
}

function hashOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function corrupt(message: string, cause?: unknown): AppFailure {
  return new AppFailure(appErrorCodes.projectCorrupt, `This project file is damaged or not a Stylemap Studio project: ${message}`, { cause })
}

/** The refusal of a project file over projectMaxBytes (`bytes` is its size). */
export function projectTooLarge(bytes: number): AppFailure {
  return new AppFailure(
    appErrorCodes.projectTooLarge,
    `This project file is ${Math.ceil(bytes / 2 ** 20)} MiB; Stylemap Studio opens projects of up to ${projectMaxBytes / 2 ** 20} MiB.`,
  )
}

/**
 * What the UI shows for an image stored in a project: the file's base name only (a project
 * file is untrusted input, and its names could carry folders, control or bidi characters),
 * at most imageNameMaxLength characters, keeping the extension.
 */
export function imageDisplayName(stored: string): string {
  const base = stored.split(/[\\/]/).pop() ?? ''
  const printable = base.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').trim()
  if (!printable || printable === '.' || printable === '..') return 'image'
  const chars = [...printable]
  if (chars.length <= imageNameMaxLength) return printable
  const dot = printable.lastIndexOf('.')
  const ext = dot > 0 && printable.length - dot <= 10 ? printable.slice(dot) : ''
  return chars.slice(0, imageNameMaxLength - 1 - ext.length).join('') + '…' + ext
}

/** The mask as stored: a grayscale PNG, scaled down to projectMaskMaxSide when bigger (main scales masks to the photo anyway). */
async function maskToPng(mask: Mask): Promise<{ width: number; height: number; png: string }> {
  const scale = Math.min(1, projectMaskMaxSide / Math.max(mask.width, mask.height))
  const width = Math.max(1, Math.round(mask.width * scale))
  const height = Math.max(1, Math.round(mask.height * scale))
  let image = sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
  if (scale < 1) image = image.resize(width, height, { fit: 'fill' })
  const png = await image.png({ compressionLevel: 6 }).toBuffer()
  return { width, height, png: png.toString('base64') }
}

async function maskFromPng(entry: z.output<typeof diskMaskSchema>, where: string): Promise<Mask> {
  const png = Buffer.from(entry.png, 'base64')
  // The header says what decoding would allocate: compare it with the declared size first.
  let header: sharp.Metadata
  try {
    header = await sharp(png).metadata()
  } catch (error) {
    throw corrupt(`${where}: mask image cannot be read`, error)
  }
  if (header.format !== 'png' || header.width !== entry.width || header.height !== entry.height) {
    throw corrupt(`${where}: mask is a ${header.width}x${header.height} ${header.format} image, expected a ${entry.width}x${entry.height} PNG`)
  }
  try {
    const { data, info } = await sharp(png, { limitInputPixels: entry.width * entry.height })
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true })
    if (info.width !== entry.width || info.height !== entry.height || data.length !== entry.width * entry.height) {
      throw corrupt(`${where}: mask is ${info.width}x${info.height}, expected ${entry.width}x${entry.height}`)
    }
    return { width: entry.width, height: entry.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) }
  } catch (error) {
    if (error instanceof AppFailure) throw error
    throw corrupt(`${where}: mask image cannot be read`, error)
  }
}

/** Serialise a document; `imageOf` returns the bytes main holds for an imageId. */
export async function serializeProject(document: ProjectDocument, imageOf: (imageId: string) => ImageFile, app: string): Promise<Uint8Array> {
  const images: Record<string, z.input<typeof diskImageSchema>> = {}
  const keyOf = (imageId: string): string => {
    const file = imageOf(imageId)
    const key = hashOf(file.bytes)
    if (!images[key]) images[key] = { name: file.name, sha256: key, data: Buffer.from(file.bytes).toString('base64') }
    return key
  }
  const original = { image: keyOf(document.original.imageId), crop: document.original.crop }
  const references = []
  for (const reference of document.references) {
    const { imageId, mask, ...rest } = reference
    references.push({ ...rest, image: keyOf(imageId), mask: await maskToPng(mask) })
  }
  const file: z.input<typeof projectFileSchema> = {
    format: projectFormat,
    version: projectVersion,
    savedAt: new Date().toISOString(),
    app,
    images,
    document: { original, references, settings: document.settings },
  }
  return Buffer.from(JSON.stringify(file), 'utf8')
}

/**
 * Parse and fully validate a project file's bytes; throws E_PROJECT_CORRUPT /
 * E_PROJECT_VERSION / E_PROJECT_TOO_LARGE. Only the images the document names are decoded
 * and handed back; others in the file are dropped unread.
 */
export async function parseProject(bytes: Uint8Array): Promise<ParsedProject> {
  if (bytes.length === 0) throw corrupt('the file is empty')
  if (bytes.length > projectMaxBytes) throw projectTooLarge(bytes.length)
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'))
  } catch (error) {
    throw corrupt('the file is truncated or not valid JSON', error)
  }
  if (!json || typeof json !== 'object' || (json as { format?: unknown }).format !== projectFormat) {
    throw corrupt('the file has no Stylemap Studio project header')
  }
  const version = (json as { version?: unknown }).version
  if (typeof version === 'number' && Number.isInteger(version) && version > projectVersion) {
    throw new AppFailure(
      appErrorCodes.projectVersion,
      `This project was saved by a newer Stylemap Studio (project version ${version}); this version reads up to version ${projectVersion}.`,
    )
  }
  const parsed = projectFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw corrupt(`${issue.path.join('.') || 'file'}: ${issue.message}`)
  }
  const file = parsed.data

  const images = new Map<string, ImageFile>()
  const need = (key: string, where: string): string => {
    if (images.has(key)) return key
    const entry = Object.hasOwn(file.images, key) ? file.images[key] : undefined
    if (!entry) throw corrupt(`${where} names an image the file does not contain`)
    const name = imageDisplayName(entry.name)
    const data = Buffer.from(entry.data, 'base64')
    if (entry.sha256 !== key || hashOf(data) !== key) throw corrupt(`image "${name}" does not match its checksum`)
    images.set(key, { name, bytes: new Uint8Array(data.buffer, data.byteOffset, data.length) })
    return key
  }

  const { document } = file
  const original = { imageId: need(document.original.image, 'the original'), crop: document.original.crop }
  const ids = new Set<string>()
  const references = []
  for (const [index, reference] of document.references.entries()) {
    const where = `reference ${index + 1}`
    if (ids.has(reference.id)) throw corrupt(`${where} repeats the id ${reference.id}`)
    ids.add(reference.id)
    const { image, mask, ...rest } = reference
    references.push({ ...rest, imageId: need(image, where), mask: await maskFromPng(mask, where) })
  }
  return {
    savedAt: file.savedAt,
    images,
    document: {
      original,
      references,
      settings: document.settings,
    },
  }
}

/** Replace a document's imageIds (e.g. hash keys -> ids main handed out). */
export function remapImageIds(document: ProjectDocument, idOf: (imageId: string) => string): ProjectDocument {
  return {
    ...document,
    original: { ...document.original, imageId: idOf(document.original.imageId) },
    references: document.references.map((reference) => ({ ...reference, imageId: idOf(reference.imageId) })),
  }
}

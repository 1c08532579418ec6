// The project file (`.smproj`): one JSON file holding the original photo, the references
// (their original file bytes, so export keeps EXIF and ICC), every mask layer (as a
// grayscale PNG) and the settings. Images are keyed by content hash, so a photo used twice
// is stored once and damage is detected on open. Everything is validated before anything
// is handed back: a bad file fails with a stable code and changes nothing.
import { createHash } from 'node:crypto'
import sharp from 'sharp'
import { z } from 'zod'
import {
  appErrorCodes,
  cropSchema,
  projectReferenceSchema,
  projectSettingsSchema,
  type Mask,
  type ProjectDocument,
} from '../../src-shared/contract'
import { AppFailure } from './dispatch'

export const projectFormat = 'stylemap-project'
export const projectVersion = 1
export const projectExtension = 'smproj'

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/)

const diskImageSchema = z.object({
  name: z.string().max(260),
  sha256: sha256Hex,
  /** the file's bytes, base64 */
  data: z.string().min(1),
})

const diskMaskSchema = z.object({
  width: z.number().int().positive().max(16384),
  height: z.number().int().positive().max(16384),
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

/** A parsed project: images keyed by content hash; the document's imageIds are those keys. */
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

async function maskToPng(mask: Mask): Promise<string> {
  const png = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } })
    .png({ compressionLevel: 6 })
    .toBuffer()
  return png.toString('base64')
}

async function maskFromPng(entry: z.output<typeof diskMaskSchema>, where: string): Promise<Mask> {
  try {
    const { data, info } = await sharp(Buffer.from(entry.png, 'base64'))
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
    references.push({ ...rest, image: keyOf(imageId), mask: { width: mask.width, height: mask.height, png: await maskToPng(mask) } })
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

/** Parse and fully validate a project file's bytes; throws E_PROJECT_CORRUPT / E_PROJECT_VERSION. */
export async function parseProject(bytes: Uint8Array): Promise<ParsedProject> {
  if (bytes.length === 0) throw corrupt('the file is empty')
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
  for (const [key, entry] of Object.entries(file.images)) {
    const data = Buffer.from(entry.data, 'base64')
    if (entry.sha256 !== key || hashOf(data) !== key) throw corrupt(`image "${entry.name}" does not match its checksum`)
    images.set(key, { name: entry.name, bytes: new Uint8Array(data.buffer, data.byteOffset, data.length) })
  }
  const need = (key: string, where: string): string => {
    if (!images.has(key)) throw corrupt(`${where} names an image the file does not contain`)
    return key
  }

  const { document } = file
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
      original: { imageId: need(document.original.image, 'the original'), crop: document.original.crop },
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

// Writing images: PNG/JPEG/WebP with quality, ICC profile and EXIF of the source photo kept
// (orientation normalised, since the pixels are already upright), atomic temp + rename.
import { randomBytes } from 'node:crypto'
import { rename, unlink, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import sharp from 'sharp'
import type { ExportFormat, ExportResult, RawImage } from './api.js'
import { EngineError, engineErrorCodes } from './errors.js'
import { sameFile } from './files.js'
import { type DecodedImage, maxInputPixels } from './images.js'

export function formatFromPath(path: string): ExportFormat | null {
  switch (extname(path).toLowerCase()) {
    case '.png':
      return 'png'
    case '.jpg':
    case '.jpeg':
      return 'jpeg'
    case '.webp':
      return 'webp'
    default:
      return null
  }
}

export function formatFromSource(format: string | undefined): ExportFormat | null {
  return format === 'png' || format === 'jpeg' || format === 'webp' ? format : null
}

export interface WriteImageOptions {
  path: string
  format?: ExportFormat
  quality?: number
  /** The photo whose ICC profile and EXIF are kept; only used when sizes agree. */
  metadataFrom?: DecodedImage | null
  /** Files that must not be overwritten unless `overwriteInput` (the inputs of this edit). */
  inputPaths?: string[]
  overwriteInput?: boolean
}

/** Encodes `pixels` and writes them atomically to `path`. */
export async function writeImage(pixels: RawImage, options: WriteImageOptions): Promise<ExportResult> {
  const path = resolve(options.path)
  const format = options.format ?? formatFromPath(path) ?? formatFromSource(options.metadataFrom?.info.format) ?? 'png'
  if (format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new EngineError(engineErrorCodes.exportFormat, `unknown export format ${String(format)}`)
  const quality = options.quality ?? 92
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new EngineError(engineErrorCodes.badArgument, `quality must be a whole number 1..100, got ${quality}`)
  if (!options.overwriteInput) {
    for (const input of options.inputPaths ?? []) {
      if (await sameFile(path, input)) throw new EngineError(engineErrorCodes.exportOverwrite, `refusing to overwrite the input ${input} (choose another output path)`)
    }
  }
  const bytes = await encode(pixels, format, quality, options.metadataFrom ?? null)
  const dir = dirname(path)
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    await writeFile(temp, bytes, { flag: 'wx' })
    await rename(temp, path)
  } catch (e) {
    await unlink(temp).catch(() => undefined)
    const code = (e as NodeJS.ErrnoException).code
    throw new EngineError(engineErrorCodes.exportWrite, `cannot write ${path}: ${code === 'ENOENT' ? 'the folder does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code ?? e)}`)
  }
  return { path, format, bytes: bytes.byteLength, width: pixels.width, height: pixels.height }
}

/**
 * Encodes pixels. With a metadata source of the same size, the source file is decoded again
 * only as a carrier for its EXIF and ICC profile and our pixels replace all of its pixels.
 */
export async function encode(pixels: RawImage, format: ExportFormat, quality: number, source: DecodedImage | null): Promise<Buffer> {
  const raw = { width: pixels.width, height: pixels.height, channels: pixels.channels }
  const input = Buffer.from(pixels.data.buffer, pixels.data.byteOffset, pixels.data.byteLength)
  let p: sharp.Sharp
  const carrier = source?.sourceBytes && source.info.width === pixels.width && source.info.height === pixels.height && (source.info.hasExif || source.info.hasIccProfile)
  if (carrier && source?.sourceBytes) {
    p = sharp(source.sourceBytes, { limitInputPixels: maxInputPixels })
      .autoOrient()
      .composite([{ input, raw, blend: 'source', top: 0, left: 0 }])
    if (source.info.hasExif) p = p.keepExif()
    const rgbProfile = source.info.hasIccProfile && (source.info.space === 'srgb' || source.info.space === 'rgb' || source.info.space === 'rgb16') && source.info.bitDepth === 8
    if (rgbProfile) p = p.keepIccProfile()
    else p = p.toColourspace('srgb')
    if (pixels.channels !== 4) p = p.removeAlpha()
  } else {
    p = sharp(input, { raw, limitInputPixels: false })
  }
  switch (format) {
    case 'png':
      p = p.png({ compressionLevel: 6 })
      break
    case 'jpeg':
      p = p.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' })
      break
    case 'webp':
      p = quality === 100 ? p.webp({ lossless: true }) : p.webp({ quality })
      break
    default: {
      const never: never = format
      throw new EngineError(engineErrorCodes.exportFormat, `unknown export format ${String(never)}`)
    }
  }
  return p.toBuffer()
}

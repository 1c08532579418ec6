// Raw engine pixels -> bytes the renderer can show.
import sharp from 'sharp'
import type { RawImage } from '../engine/api'
import type { EncodedImage } from '../../src-shared/contract'

/**
 * PNG with light compression (zlib level 2 unless `compressionLevel` says otherwise): previews
 * are shown at once and never stored. The live preview passes 0 (stored, no deflate): on a
 * 1024 px preview that encodes in ~3 ms instead of ~45 ms and decodes faster in Chromium, for
 * about 3 MiB instead of 2.2-2.8 MiB over IPC.
 */
export async function rawToPng(image: RawImage, maxSize?: number, compressionLevel = 2): Promise<EncodedImage> {
  let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
  let width = image.width
  let height = image.height
  if (maxSize && Math.max(width, height) > maxSize) {
    const scale = maxSize / Math.max(width, height)
    width = Math.max(1, Math.round(width * scale))
    height = Math.max(1, Math.round(height * scale))
    pipeline = pipeline.resize(width, height, { fit: 'fill' })
  }
  const bytes = await pipeline.png({ compressionLevel }).toBuffer()
  return { mime: 'image/png', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), width, height }
}

// Test photos made with sharp: smooth gradients with detail, in the variants real photos come
// in, and photos around a real face (faces come from src-main/testing/utkface.ts).
import { crc32 } from 'node:zlib'
import sharp from 'sharp'
import type { Mask, RawImage } from '../api.js'

/** Upright RGB pixels of a w x h photo-like gradient with some texture (deterministic). */
export function gradientPixels(width: number, height: number, seed = 0): Buffer {
  const data = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3
      const ripple = Math.sin((x + seed * 17) / 9) * Math.cos((y - seed * 5) / 13)
      data[i] = Math.round((x / Math.max(1, width - 1)) * 200 + 25 + 20 * ripple)
      data[i + 1] = Math.round((y / Math.max(1, height - 1)) * 180 + 40 - 15 * ripple)
      data[i + 2] = Math.round(((x + y) / Math.max(1, width + height - 2)) * 150 + 60 + seed * 7) % 256
    }
  }
  return data
}

/** Deterministic noise: every byte of a width x height image with 3 or 4 channels from a small LCG. */
export function noiseImage(width: number, height: number, channels: 3 | 4, seed: number): RawImage {
  const data = new Uint8Array(width * height * channels)
  let s = seed
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0
    data[i] = s >>> 24
  }
  return { width, height, channels, data }
}

export async function gradientPng(width: number, height: number, seed = 0): Promise<Buffer> {
  return sharp(gradientPixels(width, height, seed), { raw: { width, height, channels: 3 } }).png().toBuffer()
}

/**
 * A JPEG whose stored pixels are the upright photo rotated 90 degrees counter-clockwise, with
 * EXIF orientation 6 (rotate 90 clockwise to display) and a copyright tag: upright it is width x height.
 */
export async function exifRotatedJpeg(width: number, height: number): Promise<Buffer> {
  const upright = sharp(gradientPixels(width, height), { raw: { width, height, channels: 3 } })
  const stored = await upright.rotate(-90).raw().toBuffer({ resolveWithObject: true })
  return sharp(stored.data, { raw: { width: stored.info.width, height: stored.info.height, channels: 3 } })
    .jpeg({ quality: 95 })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Orientation: '6', Copyright: 'Stylemap test photographer' } })
    .toBuffer()
}

/** A face (any size, e.g. a 64 px UTKFace face) on a plain width x height background: scaled to the shorter side, centred across, at the top. */
function faceOnCanvas(face: Buffer, width: number, height: number): sharp.Sharp {
  const side = Math.min(width, height)
  const left = (width - side) >> 1
  return sharp(face)
    .resize(side, side)
    .extend({ left, right: width - side - left, top: 0, bottom: height - side, background: '#8a7f70' })
}

/** A JPEG photo with a face in it, width x height, stored upright. */
export async function facePhoto(face: Buffer, width = 480, height = 360): Promise<Buffer> {
  return faceOnCanvas(face, width, height).jpeg({ quality: 92 }).toBuffer()
}

/**
 * A "phone photo": `facePhoto` stored sideways (turned 90 degrees counter-clockwise) with
 * EXIF orientation 6, so it is upright, width x height, only once orientation is applied.
 */
export async function sidewaysPhoto(face: Buffer, width = 480, height = 360): Promise<Buffer> {
  const upright = await faceOnCanvas(face, width, height).raw().toBuffer({ resolveWithObject: true })
  return sharp(upright.data, { raw: upright.info }).rotate(-90).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer()
}

export async function cmykJpeg(width: number, height: number): Promise<Buffer> {
  return sharp(gradientPixels(width, height), { raw: { width, height, channels: 3 } }).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer()
}

export async function png16(width: number, height: number): Promise<Buffer> {
  return sharp(gradientPixels(width, height), { raw: { width, height, channels: 3 } }).toColourspace('rgb16').png().toBuffer()
}

export async function grayscalePng(width: number, height: number): Promise<Buffer> {
  return sharp(gradientPixels(width, height), { raw: { width, height, channels: 3 } }).toColourspace('b-w').png().toBuffer()
}

/** RGBA with a left-to-right alpha ramp. */
export async function alphaPng(width: number, height: number): Promise<Buffer> {
  const rgb = gradientPixels(width, height)
  const rgba = Buffer.alloc(width * height * 4)
  for (let i = 0; i < width * height; i++) {
    rgb.copy(rgba, i * 4, i * 3, i * 3 + 3)
    rgba[i * 4 + 3] = Math.round(((i % width) / Math.max(1, width - 1)) * 255)
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } }).png().toBuffer()
}

/** A PNG tagged with the Display P3 profile. */
export async function p3Png(width: number, height: number): Promise<Buffer> {
  return sharp(gradientPixels(width, height), { raw: { width, height, channels: 3 } }).withIccProfile('p3').png().toBuffer()
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(data.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0)
  return Buffer.concat([head, data, crc])
}

/** A decompression bomb: a tiny PNG whose header claims width x height pixels. */
export function bombPng(width = 20_000, height = 20_000): Buffer {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 0 // grayscale
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), pngChunk('IEND', Buffer.alloc(0))])
}

/** A filled rectangle mask. */
export function rectMask(width: number, height: number, x0: number, y0: number, w: number, h: number): Mask {
  const data = new Uint8Array(width * height)
  for (let y = Math.max(0, y0); y < Math.min(height, y0 + h); y++) for (let x = Math.max(0, x0); x < Math.min(width, x0 + w); x++) data[y * width + x] = 255
  return { width, height, data }
}

export async function maskPng(mask: Mask): Promise<Buffer> {
  return sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: 1 } }).png().toBuffer()
}

/** Where a tilted face was put: its centre on the canvas, its size, and the turn (degrees, clockwise on screen). */
export interface Placement {
  cx: number
  cy: number
  size: number
  degrees: number
}

/** Where point (x, y) of the face image (its own pixels, `faceSize` square) lands on the canvas. */
export function placedPoint(p: Placement, faceSize: number, [x, y]: [number, number]): [number, number] {
  const s = p.size / faceSize
  const r = (p.degrees * Math.PI) / 180
  const u = (x - faceSize / 2) * s
  const v = (y - faceSize / 2) * s
  return [p.cx + Math.cos(r) * u - Math.sin(r) * v, p.cy + Math.sin(r) * u + Math.cos(r) * v]
}

/**
 * A photo of faces turned and scaled into a larger canvas (the gradient background): each face
 * is scaled to `size`, turned `degrees` clockwise about its centre and centred at (cx, cy); RGB PNG bytes.
 */
export async function tiltedFacesPhoto(faces: { image: Buffer; at: Placement }[], width: number, height: number, seed = 3): Promise<Buffer> {
  const layers: sharp.OverlayOptions[] = []
  for (const { image, at } of faces) {
    const turned = await sharp(image)
      .resize(at.size, at.size)
      .ensureAlpha()
      .rotate(at.degrees, { background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .png()
      .toBuffer({ resolveWithObject: true })
    layers.push({ input: turned.data, left: Math.round(at.cx - turned.info.width / 2), top: Math.round(at.cy - turned.info.height / 2) })
  }
  return sharp(gradientPixels(width, height, seed), { raw: { width, height, channels: 3 } })
    .composite(layers)
    .removeAlpha()
    .png()
    .toBuffer()
}

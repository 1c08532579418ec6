// Real photos for the app layer's tests: faces from the project's UTKFace tar (plain tar,
// read without unpacking) and, from those, a larger JPEG carrying an EXIF orientation.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { tarFiles } from '../../../models/testing/utkface'

export const facesTar = process.env.STYLEMAP_FACES_TAR ?? join(process.cwd(), '..', 'shared', 'data', 'utkface64', 'train.tar')

function findTar(): string {
  for (const candidate of [facesTar, '/work/shared/data/utkface64/train.tar']) if (existsSync(candidate)) return candidate
  throw new Error(`UTKFace tar not found (set STYLEMAP_FACES_TAR); looked at ${facesTar}`)
}

/** The first `count` JPEG faces of the tar (64 x 64), with their names. */
export function faces(count: number, skip = 0): Array<{ name: string; bytes: Buffer }> {
  const out: Array<{ name: string; bytes: Buffer }> = []
  let seen = 0
  for (const file of tarFiles(readFileSync(findTar()))) {
    if (out.length >= count) break
    if (!/\.jpe?g$/i.test(file.name)) continue
    if (seen++ >= skip) out.push({ name: file.name.split('/').pop() ?? file.name, bytes: Buffer.from(file.bytes) })
  }
  if (out.length < count) throw new Error(`only ${out.length} faces in ${facesTar}`)
  return out
}

/**
 * A "phone photo": a face upscaled onto a larger canvas, stored sideways with EXIF
 * orientation 6 so that it is only upright once orientation is applied.
 */
export async function sidewaysPhoto(face: Buffer, width = 480, height = 360): Promise<Buffer> {
  const upright = await sharp(face).resize(height, height).extend({ left: (width - height) >> 1, right: width - height - ((width - height) >> 1), background: '#8a7f70' }).toBuffer()
  // stored rotated 90 degrees counter-clockwise; orientation 6 tells viewers to turn it back
  return sharp(upright).rotate(-90).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer()
}

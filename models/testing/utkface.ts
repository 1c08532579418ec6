// Faces from the UTKFace tar, split exactly as models/smgan/data.py splits them, so tests
// measure the default model on faces it never saw in training.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

const repo = path.resolve(import.meta.dirname, '..', '..')
const candidates = [
  process.env.STYLEMAP_FACES_TAR,
  path.join(repo, '..', 'shared', 'data', 'utkface64', 'train.tar'),
  '/work/shared/data/utkface64/train.tar',
].filter((p): p is string => Boolean(p))

export function facesTarPath(): string | null {
  return candidates.find((p) => existsSync(p)) ?? null
}

/** Regular files of a plain (ustar) tar, in archive order. */
export function* tarFiles(tar: Buffer): Generator<{ name: string; bytes: Buffer }> {
  let offset = 0
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '')
    const name = field(0, 100)
    if (!name) return
    const prefix = field(345, 500)
    const size = parseInt(field(124, 136).trim() || '0', 8)
    const type = header[156]
    if (type === 0 || type === 0x30) {
      yield { name: prefix ? `${prefix}/${name}` : name, bytes: tar.subarray(offset + 512, offset + 512 + size) }
    }
    offset += 512 + Math.ceil(size / 512) * 512
  }
}

/** The same rule as data.held_out: sha256 of the base name, first 4 bytes < 5 % of 2^32. */
export function isHeldOut(name: string, fraction = 0.05): boolean {
  const digest = createHash('sha256').update(path.basename(name)).digest()
  return digest.readUInt32BE(0) < fraction * 2 ** 32
}

/** Held-out faces sorted by name, as the training code orders them. */
export function heldOutFaces(count: number): { name: string; bytes: Buffer }[] {
  const tarPath = facesTarPath()
  if (!tarPath) throw new Error('UTKFace tar not found; set STYLEMAP_FACES_TAR')
  const all = [...tarFiles(readFileSync(tarPath))].filter((f) => /\.jpe?g$/i.test(f.name) && isHeldOut(f.name))
  all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return all.slice(0, count).map((f) => ({ name: path.basename(f.name), bytes: Buffer.from(f.bytes) }))
}

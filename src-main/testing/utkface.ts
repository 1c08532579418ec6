// UTKFace faces for the tests (engine, app, CLI, packaging, end-to-end and model quality),
// read straight out of the project's shared data: `shared/data/<set>/train.tar` in the
// `shared/` folder that sits beside the repository, on a developer's machine and in CI
// alike, or under STYLEMAP_SHARED_DATA when that names the data folder somewhere else.
// Nothing is unpacked: the tars are plain ustar archives, read entry by entry.
import { createHash } from 'node:crypto'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The data sets: the same faces at 64 x 64 (what the bundled model was trained on) and 200 x 200. */
export type FaceSet = 'utkface64' | 'utkface200'

export interface Face {
  /** File name inside the tar, without folders (UTKFace's `age_gender_race_date.jpg.chip.jpg`). */
  name: string
  /** The JPEG as stored. */
  bytes: Buffer
}

const repoRoot = resolve(fileURLToPath(new URL('../../', import.meta.url)))

/** The shared data folder: STYLEMAP_SHARED_DATA, else `../shared/data` from the repository root. */
export const sharedDataDir = process.env.STYLEMAP_SHARED_DATA ? resolve(process.env.STYLEMAP_SHARED_DATA) : join(repoRoot, '..', 'shared', 'data')

/** Where the tar of `set` is expected (it may not exist: see `facesMissing`). */
export function facesTarPath(set: FaceSet = 'utkface64'): string {
  return join(sharedDataDir, set, 'train.tar')
}

/** Why the faces of `set` cannot be read here, in words for a test report; null when they can. */
export function facesMissing(set: FaceSet = 'utkface64'): string | null {
  const tar = facesTarPath(set)
  if (existsSync(tar)) return null
  const how = process.env.STYLEMAP_SHARED_DATA
    ? 'STYLEMAP_SHARED_DATA names a folder without it'
    : 'put a copy of shared/ beside the repository, or set STYLEMAP_SHARED_DATA to a data folder holding it'
  return `UTKFace faces (${set}) not found: no ${tar}; ${how}`
}

function openTar(set: FaceSet): number {
  const reason = facesMissing(set)
  if (reason) throw new Error(reason)
  return openSync(facesTarPath(set), 'r')
}

const isFaceFile = (name: string) => name.toLowerCase().endsWith('.jpg')

/**
 * The regular files of the tar in archive order, as names; `read()` loads one file's bytes.
 * Only what is read is loaded, so the first faces of the 130 MB set cost next to nothing.
 */
function* tarEntries(fd: number): Generator<{ name: string; read: () => Buffer }> {
  const header = Buffer.alloc(512)
  let offset = 0
  while (readSync(fd, header, 0, 512, offset) === 512) {
    const field = (from: number, to: number) => header.subarray(from, to).toString('utf8').replace(/\0.*$/s, '')
    const name = field(0, 100)
    if (!name) return // the zero blocks that end the archive
    const prefix = field(345, 500)
    const size = parseInt(field(124, 136).trim() || '0', 8)
    const type = header[156]
    const start = offset + 512
    if (type === 0 || type === 0x30) {
      yield {
        name: prefix ? `${prefix}/${name}` : name,
        read: () => {
          const bytes = Buffer.alloc(size)
          readSync(fd, bytes, 0, size, start)
          return bytes
        },
      }
    }
    offset = start + Math.ceil(size / 512) * 512
  }
}

/** Faces `skip` to `skip + count - 1` of `set`, in archive order (the tar is sorted by name). */
export function faces(count: number, skip = 0, set: FaceSet = 'utkface64'): Face[] {
  const out: Face[] = []
  const fd = openTar(set)
  try {
    let seen = 0
    for (const entry of tarEntries(fd)) {
      if (out.length >= count) break
      if (!isFaceFile(entry.name)) continue
      if (seen++ >= skip) out.push({ name: basename(entry.name), bytes: entry.read() })
    }
  } finally {
    closeSync(fd)
  }
  if (out.length < count) throw new Error(`only ${out.length} faces from number ${skip} on in ${facesTarPath(set)}, ${count} asked for`)
  return out
}

/** The rule of models/smgan/data.py `held_out`: sha256 of the base name, first 4 bytes < 5 % of 2^32. */
export function isHeldOut(name: string, fraction = 0.05): boolean {
  const digest = createHash('sha256').update(basename(name)).digest()
  return digest.readUInt32BE(0) < fraction * 2 ** 32
}

/**
 * The first `count` faces that training never saw, in the order the training code lists
 * them (sorted by name), so a test measures the bundled model on unseen faces.
 */
export function heldOutFaces(count: number, set: FaceSet = 'utkface64'): Face[] {
  const fd = openTar(set)
  try {
    const held = [...tarEntries(fd)].filter((entry) => isFaceFile(entry.name) && isHeldOut(entry.name))
    held.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const out = held.slice(0, count).map((entry) => ({ name: basename(entry.name), bytes: entry.read() }))
    if (out.length < count) throw new Error(`only ${out.length} held-out faces in ${facesTarPath(set)}, ${count} asked for`)
    return out
  } finally {
    closeSync(fd)
  }
}

// The files a user names (photos, masks, projects, output paths): reading only regular files,
// and telling whether two paths are one file. Plain Node, shared by the engine, the CLI and the app.
import { constants, type Stats } from 'node:fs'
import { type FileHandle, open, stat } from 'node:fs/promises'
import { resolve } from 'node:path'

/** The path names something that is not a regular file (a folder, a device, a FIFO, a socket). */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    /** What it is instead, in the user's words ("a folder"). */
    readonly what: string,
  ) {
    super(`${path} is ${what}, not a regular file`)
    this.name = 'NotRegularFileError'
  }
}

/** The regular file is larger than the caller accepts. */
export class FileTooLargeError extends Error {
  constructor(
    readonly path: string,
    readonly bytes: number,
  ) {
    super(`${path} is ${bytes} bytes`)
    this.name = 'FileTooLargeError'
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a named pipe (FIFO)'
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device'
  if (stats.isSocket()) return 'a socket'
  return 'not a regular file'
}

// without O_NONBLOCK, opening a FIFO nobody writes to waits forever (Windows has no FIFOs to guard)
const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)

/**
 * Reads a regular file whole. Anything else (`/dev/zero`, a FIFO, a folder, a socket) is refused
 * with NotRegularFileError before a byte is read, and a file over `maxBytes` with
 * FileTooLargeError. The check is made on the opened descriptor, so the path cannot be swapped
 * for a device between the check and the read; other failures are the fs error (ENOENT, EACCES).
 */
export async function readRegularFile(path: string, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  let handle: FileHandle
  try {
    handle = await open(path, openFlags)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EISDIR') throw new NotRegularFileError(path, 'a folder')
    if (code === 'ENXIO') throw new NotRegularFileError(path, 'a socket or a device')
    throw error
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new NotRegularFileError(path, kindOf(stats))
    if (stats.size > maxBytes) throw new FileTooLargeError(path, stats.size)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/**
 * True when both paths name one file: the same path, or the same device and inode. `stat`
 * follows symlinks, so a symlink and its target count, as do two hard links. A path that does
 * not exist is never the same as another.
 */
export async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true
  // bigint: a Windows file id can exceed 2^53, and two rounded ids could look equal
  const [statA, statB] = await Promise.all([stat(a, { bigint: true }).catch(() => null), stat(b, { bigint: true }).catch(() => null)])
  return !!statA && !!statB && statA.ino !== 0n && statA.dev === statB.dev && statA.ino === statB.ino
}

/** The first of `paths` that is the same file as `target`, or null. */
export async function sameFileAmong(target: string, paths: Iterable<string>): Promise<string | null> {
  for (const path of paths) if (await sameFile(target, path)) return path
  return null
}

// The parts of a zip archive a torch.save checkpoint needs: the central directory (names,
// sizes, where each record starts) and each record's data offset. torch writes records
// stored (uncompressed), so a tensor's bytes are read in place at their offset.
import { type FileHandle } from 'node:fs/promises'
import { formatError, truncatedError } from './errors.js'
import { readAt } from './fileBytes.js'

/** One record of the archive as its central directory lists it. */
export interface ZipEntry {
  readonly name: string
  /** 0 = stored, 8 = deflated. */
  readonly method: number
  readonly flags: number
  readonly compressedSize: number
  readonly size: number
  readonly localHeaderOffset: number
}

const sig = {
  local: 0x04034b50,
  central: 0x02014b50,
  end: 0x06054b50,
  zip64End: 0x06064b50,
  zip64Locator: 0x07064b50,
}
const endRecordSize = 22
const maxComment = 0xffff
/** torch's central directory holds one short entry per tensor storage: far below this. */
const maxCentralDirectory = 256 << 20

function u64(view: DataView, at: number): number {
  const value = view.getBigUint64(at, true)
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw formatError('zip field too large')
  return Number(value)
}

const viewOf = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)

interface Directory {
  entries: number
  size: number
  offset: number
}

async function findDirectory(file: FileHandle, fileSize: number): Promise<Directory> {
  if (fileSize < endRecordSize) throw truncatedError('the zip archive ends before its end record')
  const tailLength = Math.min(fileSize, endRecordSize + maxComment)
  const tailStart = fileSize - tailLength
  const tail = await readAt(file, tailStart, tailLength, 'the zip end record')
  const view = viewOf(tail)
  let end = -1
  for (let i = tailLength - endRecordSize; i >= 0; i--) {
    if (view.getUint32(i, true) === sig.end && i + endRecordSize + view.getUint16(i + 20, true) <= tailLength) {
      end = i
      break
    }
  }
  // a zip whose end record is missing was cut off: an interrupted download or copy
  if (end < 0) throw truncatedError('the zip archive has no end record (the file was cut off)')
  let dir: Directory = { entries: view.getUint16(end + 10, true), size: view.getUint32(end + 12, true), offset: view.getUint32(end + 16, true) }
  const locator = end - 20
  if (locator >= 0 && view.getUint32(locator, true) === sig.zip64Locator) {
    const recordAt = u64(view, locator + 8)
    const record = viewOf(await readAt(file, recordAt, 56, 'the zip64 end record'))
    if (record.getUint32(0, true) !== sig.zip64End) throw formatError('the zip64 end record is missing where its locator points')
    dir = { entries: u64(record, 32), size: u64(record, 40), offset: u64(record, 48) }
  }
  const endAt = tailStart + end
  if (dir.offset + dir.size > endAt) throw formatError('the zip central directory overlaps its end record')
  if (dir.size > maxCentralDirectory) throw formatError(`the zip central directory is too large (${dir.size} bytes)`)
  return dir
}

/** Reads the central directory: every record by name, in archive order. */
export async function readZipDirectory(file: FileHandle, fileSize: number): Promise<Map<string, ZipEntry>> {
  const dir = await findDirectory(file, fileSize)
  const bytes = await readAt(file, dir.offset, dir.size, 'the zip central directory')
  const view = viewOf(bytes)
  const names = new TextDecoder('utf-8')
  const entries = new Map<string, ZipEntry>()
  let at = 0
  for (let i = 0; i < dir.entries; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== sig.central) throw formatError(`zip central directory entry ${i} is malformed`)
    const flags = view.getUint16(at + 8, true)
    const method = view.getUint16(at + 10, true)
    let compressedSize = view.getUint32(at + 20, true)
    let size = view.getUint32(at + 24, true)
    const nameLength = view.getUint16(at + 28, true)
    const extraLength = view.getUint16(at + 30, true)
    const commentLength = view.getUint16(at + 32, true)
    let localHeaderOffset = view.getUint32(at + 42, true)
    const nameAt = at + 46
    const extraAt = nameAt + nameLength
    const next = extraAt + extraLength + commentLength
    if (next > bytes.length) throw formatError(`zip central directory entry ${i} runs past the directory`)
    const name = names.decode(bytes.subarray(nameAt, nameAt + nameLength))
    // zip64: the fields that overflowed 32 bits are in the 0x0001 extra field, in this order
    for (let e = extraAt; e + 4 <= extraAt + extraLength;) {
      const id = view.getUint16(e, true)
      const length = view.getUint16(e + 2, true)
      if (id === 0x0001) {
        let f = e + 4
        const take = (): number => {
          if (f + 8 > e + 4 + length) throw formatError(`zip64 extra field of ${name} is too short`)
          const value = u64(view, f)
          f += 8
          return value
        }
        if (size === 0xffffffff) size = take()
        if (compressedSize === 0xffffffff) compressedSize = take()
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take()
      }
      e += 4 + length
    }
    if (entries.has(name)) throw formatError(`the zip archive holds ${name} twice`)
    entries.set(name, { name, method, flags, compressedSize, size, localHeaderOffset })
    at = next
  }
  return entries
}

/** Where a record's bytes start in the file (after its local header), checked against the file size. */
export async function zipEntryDataOffset(file: FileHandle, fileSize: number, entry: ZipEntry): Promise<number> {
  const header = viewOf(await readAt(file, entry.localHeaderOffset, 30, `the zip header of ${entry.name}`))
  if (header.getUint32(0, true) !== sig.local) throw formatError(`the zip header of ${entry.name} is missing`)
  if (entry.flags & 1) throw formatError(`${entry.name} is encrypted`)
  const dataAt = entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true)
  if (dataAt + entry.compressedSize > fileSize) throw truncatedError(`the file ends inside ${entry.name} (the archive was cut off)`)
  return dataAt
}

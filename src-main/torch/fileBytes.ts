// Positioned reads from an open file: the reader takes the few bytes it needs from a
// checkpoint of gigabytes and never the whole file.
import { readSync } from 'node:fs'
import { type FileHandle } from 'node:fs/promises'
import { truncatedError } from './errors.js'
import { type PickleInput } from './pickle.js'

/** Exactly `length` bytes at `position` in a fresh (aligned) buffer; E_CHECKPOINT_TRUNCATED past the end. */
export async function readAt(file: FileHandle, position: number, length: number, what: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(new ArrayBuffer(length))
  let done = 0
  while (done < length) {
    const { bytesRead } = await file.read(bytes, done, length - done, position + done)
    if (bytesRead === 0) throw truncatedError(`the file ends inside ${what} (wanted ${length} bytes at byte ${position})`)
    done += bytesRead
  }
  return bytes
}

const chunkSize = 1 << 20

/**
 * A pickle read straight from the file in 1 MiB chunks. Synchronous because the unpickler is a
 * synchronous loop; a legacy checkpoint's pickles are small (metadata only), the tensor bytes
 * after them are never read through this.
 */
export class FileInput implements PickleInput {
  private chunk = new Uint8Array(0)
  private chunkStart = 0
  constructor(
    private readonly fd: number,
    private readonly fileSize: number,
    public position: number,
    private readonly what: string,
  ) {}

  private fill(length: number): void {
    if (this.position + length > this.fileSize)
      throw truncatedError(`the file ends inside ${this.what} (wanted ${length} bytes at byte ${this.position} of ${this.fileSize})`)
    const size = Math.min(Math.max(length, chunkSize), this.fileSize - this.position)
    const chunk = new Uint8Array(size)
    let done = 0
    while (done < size) {
      const n = readSync(this.fd, chunk, done, size - done, this.position + done)
      if (n === 0) throw truncatedError(`the file ends inside ${this.what} (at byte ${this.position + done})`)
      done += n
    }
    this.chunk = chunk
    this.chunkStart = this.position
  }

  private ensure(length: number): number {
    let offset = this.position - this.chunkStart
    if (offset < 0 || offset + length > this.chunk.length) {
      this.fill(length)
      offset = 0
    }
    return offset
  }

  readByte(): number {
    const offset = this.ensure(1)
    this.position++
    return this.chunk[offset]
  }

  read(length: number): Uint8Array {
    const offset = this.ensure(length)
    this.position += length
    return this.chunk.subarray(offset, offset + length)
  }
}

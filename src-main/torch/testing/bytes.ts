// Byte-building helpers for tests that hand-write pickles and checkpoint files.

/** Bytes from opcode letters/strings (as Latin-1), byte values and byte arrays. */
export function p(...parts: (string | number | number[] | Uint8Array)[]): Uint8Array {
  const out: number[] = []
  for (const part of parts) {
    if (typeof part === 'number') out.push(part)
    else if (typeof part === 'string') for (const ch of part) out.push(ch.charCodeAt(0))
    else for (const b of part) out.push(b)
  }
  return Uint8Array.from(out)
}

export const u16 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff]
export const u32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]
export const u64 = (n: number): number[] => [...u32(n % 2 ** 32), ...u32(Math.floor(n / 2 ** 32))]
export const PROTO2 = [0x80, 2]
export const unicode = (s: string): number[] => {
  const bytes = [...new TextEncoder().encode(s)]
  return [0x58, ...u32(bytes.length), ...bytes]
}
export const global = (module: string, name: string): string => `c${module}\n${name}\n`
export const int = (n: number): number[] => [0x4a, ...u32(n >>> 0)]

/** A zip archive of stored records (no compression, no zip64), as torch writes small files. */
export function storedZip(records: [string, Uint8Array][]): Uint8Array {
  const parts: Uint8Array[] = []
  const central: Uint8Array[] = []
  let offset = 0
  for (const [name, data] of records) {
    const nameBytes = new TextEncoder().encode(name)
    // crc is not checked by the reader; 0 keeps the helper small
    const sizes = [...u32(0), ...u32(data.length), ...u32(data.length), ...u16(nameBytes.length)]
    const header = p(u32(0x04034b50), u16(20), u16(0), u16(0), u16(0), u16(0), sizes, u16(0), nameBytes)
    central.push(p(u32(0x02014b50), u16(20), u16(20), u16(0), u16(0), u16(0), u16(0), sizes, u16(0), u16(0), u16(0), u16(0), u32(0), u32(offset), nameBytes))
    parts.push(header, data)
    offset += header.length + data.length
  }
  const centralSize = central.reduce((n, c) => n + c.length, 0)
  const end = p(u32(0x06054b50), u16(0), u16(0), u16(records.length), u16(records.length), u32(centralSize), u32(offset), u16(0))
  return Buffer.concat([...parts, ...central, end])
}

// The little of protobuf's wire format it takes to write a small ONNX graph by hand (the
// provider probe's model, the tests' graphs) and to read one field by field (halfOutputs.ts).

/** A protobuf varint (non-negative integers). */
export function varint(value: number): number[] {
  const out: number[] = []
  let v = value
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80)
    v = Math.floor(v / 128)
  }
  out.push(v)
  return out
}

/** A field: a number is written as a varint, bytes or a string as length-delimited. */
export function field(num: number, payload: number[] | string | number): number[] {
  if (typeof payload === 'number') return [...varint((num << 3) | 0), ...varint(payload)]
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload, 'utf8')] : payload
  return [...varint((num << 3) | 2), ...varint(bytes.length), ...bytes]
}

/** A length-delimited field of `chunks`, without copying them into numbers (a graph holds its weights when they are not external: megabytes). */
export function lengthDelimited(num: number, chunks: Uint8Array[]): Uint8Array {
  const length = chunks.reduce((sum, c) => sum + c.length, 0)
  return Buffer.concat([Uint8Array.from([...varint((num << 3) | 2), ...varint(length)]), ...chunks])
}

/** One field of a protobuf message: its number, wire type and bytes (the whole field, tag included). */
export interface Field {
  num: number
  wire: number
  /** the field's bytes, tag included */
  raw: Uint8Array
  /** the payload of a length-delimited field (wire type 2) */
  payload?: Uint8Array
  /** the value of a varint field (wire type 0) */
  value?: number
}

function readVarint(bytes: Uint8Array, at: number): { value: number; next: number } {
  let value = 0
  let scale = 1
  let i = at
  for (;;) {
    if (i >= bytes.length) throw new Error('not a protobuf message: a varint runs past the end')
    const b = bytes[i++]
    value += (b & 0x7f) * scale
    if (b < 0x80) return { value, next: i }
    scale *= 128
    if (scale > 2 ** 63) throw new Error('not a protobuf message: a varint over 64 bits')
  }
}

/** The fields of a protobuf message, in order. Throws on bytes that are not one. */
export function messageFields(bytes: Uint8Array): Field[] {
  const out: Field[] = []
  let at = 0
  while (at < bytes.length) {
    const start = at
    const tag = readVarint(bytes, at)
    at = tag.next
    const wire = tag.value % 8
    const num = Math.floor(tag.value / 8)
    if (num === 0) throw new Error('not a protobuf message: a field numbered 0')
    let payload: Uint8Array | undefined
    let value: number | undefined
    if (wire === 0) {
      const v = readVarint(bytes, at)
      value = v.value
      at = v.next
    } else if (wire === 1) at += 8
    else if (wire === 5) at += 4
    else if (wire === 2) {
      const len = readVarint(bytes, at)
      payload = bytes.subarray(len.next, len.next + len.value)
      at = len.next + len.value
    } else throw new Error(`not a protobuf message: wire type ${wire}`)
    if (at > bytes.length) throw new Error('not a protobuf message: a field runs past the end')
    out.push({ num, wire, raw: bytes.subarray(start, at), payload, value })
  }
  return out
}

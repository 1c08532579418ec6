// The little of protobuf's wire format it takes to write a small ONNX graph by hand: the
// provider probe's model and the tests' deliberately wrong graphs.

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

// Turns a tensor's stored bytes (little-endian, any torch dtype the reader knows) into a
// contiguous Float32Array, honouring the tensor's stride and storage offset.
import { formatError } from './errors.js'
import { type TorchDtype, dtypeSize } from './values.js'

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >> 10) & 0x1f
  const fraction = h & 0x3ff
  if (exponent === 0) return sign * fraction * 2 ** -24
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15)
}

/** The `count` elements in `bytes` as float32 values (exact for every dtype up to float32). */
export function decodeElements(bytes: Uint8Array, dtype: TorchDtype, count: number): Float32Array {
  const size = dtypeSize[dtype]
  if (bytes.byteLength < count * size) throw formatError(`expected ${count * size} bytes of ${dtype}, got ${bytes.byteLength}`)
  if (dtype === 'float32' && littleEndianHost && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, count)
  const view = new DataView(bytes.buffer, bytes.byteOffset, count * size)
  const out = new Float32Array(count)
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true)
      break
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true)
      break
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true))
      break
    case 'bfloat16':
      for (let i = 0; i < count; i++) {
        u32[0] = view.getUint16(2 * i, true) << 16
        out[i] = f32[0]
      }
      break
    case 'int64':
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true))
      break
    case 'int32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true)
      break
    case 'int16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true)
      break
    case 'int8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i)
      break
    case 'uint8':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i)
      break
    case 'bool':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i) ? 1 : 0
      break
    case 'complex64':
    case 'complex128':
      throw formatError(`${dtype} tensors cannot be read as real numbers`)
    default: {
      const never: never = dtype
      throw formatError(`unknown dtype ${String(never)}`)
    }
  }
  return out
}

/** Number of elements of a shape; E_CHECKPOINT_FORMAT when it is not a sane array length. */
export function elementCount(shape: readonly number[]): number {
  let n = 1
  for (const d of shape) n *= d
  if (!Number.isSafeInteger(n) || n > 0x7fffffff) throw formatError(`tensor of shape [${shape.join(', ')}] is too large`)
  return n
}

/** Offset (in elements, past storageOffset) of the last element a strided tensor touches. */
export function lastElement(shape: readonly number[], stride: readonly number[]): number {
  let last = 0
  for (let i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i]
  return last
}

/**
 * Gathers a strided tensor from `span`, the storage elements starting at its first one, into
 * row-major order.
 */
export function gather(span: Float32Array, shape: readonly number[], stride: readonly number[], numel: number): Float32Array {
  const rank = shape.length
  let contiguous = true
  for (let i = rank - 1, expected = 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expected) contiguous = false
    expected *= shape[i]
  }
  if (contiguous) return span.length === numel ? span : span.slice(0, numel)
  const out = new Float32Array(numel)
  const index = new Array<number>(rank).fill(0)
  let source = 0
  for (let o = 0; o < numel; o++) {
    out[o] = span[source]
    // odometer over the indices, last dimension fastest
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        source += stride[d]
        break
      }
      source -= (shape[d] - 1) * stride[d]
      index[d] = 0
    }
  }
  return out
}

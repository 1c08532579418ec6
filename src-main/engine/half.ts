// IEEE half precision for the engine's kept tensors: a 256 px reference crop's style pyramid is
// 123 MB as float32 and 61 MB as halves. Written out rather than through @petamoriken/float16's
// Float16Array, whose element access goes through a Proxy (Float16Array.from took 4.6 s for a
// pyramid's 30 M values here); the library stays the oracle in half.test.ts.

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** The half nearest to `v` (ties to even), as its 16 bits; overflow gives infinity, NaN stays NaN. */
export function halfBits(v: number): number {
  f32[0] = v
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  const mantissa = x & 0x7fffff
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0)
  const e = exponent - 112 // rebias 127 -> 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    // a subnormal half (or zero): m * 2^-24 with m = (1.mantissa) * 2^(e - 14 + 23 - 23)
    if (e < -10) return sign
    const full = mantissa | 0x800000
    const shift = 14 - e
    const m = full >>> shift
    const rest = full & ((1 << shift) - 1)
    const half = 1 << (shift - 1)
    return sign | (rest > half || (rest === half && m & 1) ? m + 1 : m)
  }
  const bits = (e << 10) | (mantissa >>> 13)
  const rest = mantissa & 0x1fff
  // a carry out of the mantissa moves to the next exponent, and past the largest to infinity
  return sign | (rest > 0x1000 || (rest === 0x1000 && bits & 1) ? bits + 1 : bits)
}

function halfValue(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exponent = (h >>> 10) & 0x1f
  const mantissa = h & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}

/** Every half's value, indexed by its bits: reading a half tensor is one lookup per value. */
export const HALF_VALUES: Float32Array = (() => {
  const table = new Float32Array(65536)
  for (let h = 0; h < 65536; h++) table[h] = halfValue(h)
  return table
})()

/**
 * halfBits of the float32 whose bits are `x`, with the common case (a normal half) on the bits:
 * round to nearest, ties to even, without a branch. Adding just under half a half's step plus
 * the kept mantissa's last bit carries into the kept bits exactly when the value rounds up; a
 * carry out of the mantissa moves to the next exponent, and past the largest half to infinity.
 */
export function bitsToHalf(x: number): number {
  const exponent = (x >>> 23) & 0xff
  if (exponent <= 112 || exponent >= 143) {
    // zero, a subnormal half, past the largest half, infinity or NaN
    u32[0] = x
    return halfBits(f32[0])
  }
  const rounded = (x & 0x7fffffff) + 0xfff + ((x >>> 13) & 1)
  return ((x >>> 16) & 0x8000) | ((rounded >>> 13) - (112 << 10))
}

/** The half nearest to `v` rounded to float32 first (as a Cast from float32 rounds it), as its 16 bits: bitsToHalf's fast path. */
export function nearestHalf(v: number): number {
  f32[0] = v
  return bitsToHalf(u32[0])
}

/** A float32 tensor as halves (a 256 px pyramid's 30 M values: 95-142 ms, against 333-389 through halfBits). */
export function toHalf(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length)
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length)
  for (let i = 0; i < bits.length; i++) out[i] = bitsToHalf(bits[i])
  return out
}

/** Halves back as float32 (exact: every half is a float32). */
export function fromHalf(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length)
  for (let i = 0; i < halves.length; i++) out[i] = HALF_VALUES[halves[i]]
  return out
}

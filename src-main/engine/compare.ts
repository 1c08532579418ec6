// How far one float tensor is from another, the one measure the converters, the importer and
// their tests compare graph outputs by.

/**
 * max |actual - expected| / max |expected|: the error relative to the expected output's own
 * scale (the plain max difference when `expected` is all zeros). Infinity when the lengths
 * differ or a difference is NaN, so a broken output never passes a tolerance.
 */
export function relativeError(actual: Float32Array, expected: Float32Array): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY
  let diff = 0
  let scale = 0
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i])
    if (!(d <= diff)) diff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d
    scale = Math.max(scale, Math.abs(expected[i]))
  }
  return scale > 0 ? diff / scale : diff
}

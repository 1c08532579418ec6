// An 8-bit coverage bitmap (0 = keep the photo, 255 = take from the reference) in the
// photo's coordinates at the mask's working scale. Pure TypeScript so it tests in Node.
import { clampRect, type Rect } from './rect'

export interface MaskBitmap {
  readonly width: number
  readonly height: number
  readonly data: Uint8Array
}

export type BrushMode = 'paint' | 'erase'

export interface BrushTip {
  /** radius in mask pixels */
  radius: number
  /** 0 = fully soft edge, 1 = hard edge */
  hardness: number
  mode: BrushMode
}

export function createMask(width: number, height: number): MaskBitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`mask size must be positive integers, got ${width}x${height}`)
  }
  return { width, height, data: new Uint8Array(width * height) }
}

export function cloneMask(mask: MaskBitmap): MaskBitmap {
  return { width: mask.width, height: mask.height, data: mask.data.slice() }
}

/** Coverage of a dab at distance d from its centre: flat core, smooth falloff to the rim. */
function dabCoverage(d: number, radius: number, hardness: number): number {
  if (d >= radius) return 0
  const core = radius * Math.min(1, Math.max(0, hardness))
  if (d <= core) return 1
  const t = (d - core) / (radius - core)
  // smoothstep falloff: no visible ring where the core ends
  return 1 - t * t * (3 - 2 * t)
}

/** Stamp one round dab; returns the rectangle it touched (null when fully outside). */
export function stampDab(mask: MaskBitmap, cx: number, cy: number, tip: BrushTip): Rect | null {
  const r = Math.max(0.5, tip.radius)
  const rect = clampRect({ x: cx - r, y: cy - r, width: 2 * r, height: 2 * r }, mask.width, mask.height)
  if (!rect) return null
  const { data, width } = mask
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const dy = y + 0.5 - cy
    const row = y * width
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const dx = x + 0.5 - cx
      const c = dabCoverage(Math.sqrt(dx * dx + dy * dy), r, tip.hardness)
      if (c <= 0) continue
      const v = Math.round(c * 255)
      const i = row + x
      // max/min (not additive) so overlapping dabs of one stroke do not build up seams
      if (tip.mode === 'paint') {
        if (v > data[i]) data[i] = v
      } else {
        const keep = 255 - v
        if (keep < data[i]) data[i] = keep
      }
    }
  }
  return rect
}

/** Stamp dabs along a segment, spaced a quarter radius apart; returns the union rectangle. */
export function strokeSegment(
  mask: MaskBitmap,
  from: { x: number; y: number },
  to: { x: number; y: number },
  tip: BrushTip,
): Rect | null {
  const dx = to.x - from.x
  const dy = to.y - from.y
  const length = Math.hypot(dx, dy)
  const spacing = Math.max(0.5, tip.radius * 0.25)
  const steps = Math.max(1, Math.ceil(length / spacing))
  let dirty: Rect | null = null
  for (let s = 0; s <= steps; s++) {
    const t = s / steps
    const r = stampDab(mask, from.x + dx * t, from.y + dy * t, tip)
    if (r) dirty = dirty ? unionInline(dirty, r) : r
  }
  return dirty
}

function unionInline(a: Rect, b: Rect): Rect {
  const x0 = Math.min(a.x, b.x)
  const y0 = Math.min(a.y, b.y)
  const x1 = Math.max(a.x + a.width, b.x + b.width)
  const y1 = Math.max(a.y + a.height, b.y + b.height)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

/** Copy the pixels of a rectangle out of a bitmap (row-major, rect.width per row). */
export function readRect(mask: MaskBitmap, rect: Rect): Uint8Array {
  const out = new Uint8Array(rect.width * rect.height)
  for (let y = 0; y < rect.height; y++) {
    const start = (rect.y + y) * mask.width + rect.x
    out.set(mask.data.subarray(start, start + rect.width), y * rect.width)
  }
  return out
}

/** Same as readRect, but from a raw buffer with the mask's row length (a pre-stroke copy). */
export function readRectFrom(data: Uint8Array, maskWidth: number, rect: Rect): Uint8Array {
  return readRect({ width: maskWidth, height: data.length / maskWidth, data }, rect)
}

export function writeRect(mask: MaskBitmap, rect: Rect, pixels: Uint8Array): void {
  if (pixels.length !== rect.width * rect.height) {
    throw new RangeError(`pixel count ${pixels.length} does not match ${rect.width}x${rect.height}`)
  }
  for (let y = 0; y < rect.height; y++) {
    mask.data.set(pixels.subarray(y * rect.width, (y + 1) * rect.width), (rect.y + y) * mask.width + rect.x)
  }
}

/** Bounding box of non-zero pixels, or null for an empty mask. */
export function coverageBounds(mask: MaskBitmap): Rect | null {
  const { width, height, data } = mask
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < height; y++) {
    const row = y * width
    for (let x = 0; x < width; x++) {
      if (data[row + x] !== 0) {
        if (x < x0) x0 = x
        if (x > x1) x1 = x
        if (y < y0) y0 = y
        y1 = y
      }
    }
  }
  if (x1 < 0) return null
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 }
}

export function invertMask(mask: MaskBitmap): void {
  const d = mask.data
  for (let i = 0; i < d.length; i++) d[i] = 255 - d[i]
}

export function isMaskEmpty(mask: MaskBitmap): boolean {
  const d = mask.data
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) return false
  return true
}

/**
 * Area-average a square region of the mask (in mask pixels, may reach past the border,
 * outside counts as 0) down or up to `size` x `size`: what the engine gets for a crop.
 */
export function sampleSquare(
  mask: MaskBitmap,
  region: { x: number; y: number; size: number },
  size: number,
  shift: { dx: number; dy: number } = { dx: 0, dy: 0 },
): Uint8Array {
  const out = new Uint8Array(size * size)
  const cell = region.size / size
  // supersample each output cell on a small grid: exact enough, bounded cost for any ratio
  const n = Math.max(1, Math.min(8, Math.ceil(cell)))
  const { width, height, data } = mask
  for (let oy = 0; oy < size; oy++) {
    for (let ox = 0; ox < size; ox++) {
      let sum = 0
      for (let sy = 0; sy < n; sy++) {
        const my = Math.floor(region.y + (oy + (sy + 0.5) / n) * cell - shift.dy)
        if (my < 0 || my >= height) continue
        for (let sx = 0; sx < n; sx++) {
          const mx = Math.floor(region.x + (ox + (sx + 0.5) / n) * cell - shift.dx)
          if (mx < 0 || mx >= width) continue
          sum += data[my * width + mx]
        }
      }
      out[oy * size + ox] = Math.round(sum / (n * n))
    }
  }
  return out
}

/** An area-averaged copy at most `maxSide` pixels on its long side (the mask itself when smaller). */
export function downsampleMask(mask: MaskBitmap, maxSide: number): MaskBitmap {
  const scale = maxSide / Math.max(mask.width, mask.height)
  if (scale >= 1) return { width: mask.width, height: mask.height, data: mask.data.slice() }
  const width = Math.max(1, Math.round(mask.width * scale))
  const height = Math.max(1, Math.round(mask.height * scale))
  const out = new Uint8Array(width * height)
  const sx = mask.width / width
  const sy = mask.height / height
  const { data } = mask
  for (let oy = 0; oy < height; oy++) {
    const y0 = Math.floor(oy * sy)
    const y1 = Math.max(y0 + 1, Math.floor((oy + 1) * sy))
    for (let ox = 0; ox < width; ox++) {
      const x0 = Math.floor(ox * sx)
      const x1 = Math.max(x0 + 1, Math.floor((ox + 1) * sx))
      let sum = 0
      for (let y = y0; y < y1; y++) {
        const row = y * mask.width
        for (let x = x0; x < x1; x++) sum += data[row + x]
      }
      out[oy * width + ox] = Math.round(sum / ((y1 - y0) * (x1 - x0)))
    }
  }
  return { width, height, data: out }
}

/** An integer pixel rectangle; width/height 0 means empty. */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export function isEmptyRect(rect: Rect | null | undefined): boolean {
  return !rect || rect.width <= 0 || rect.height <= 0
}

/** Smallest rectangle holding both; an empty side is ignored. */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (isEmptyRect(a)) return isEmptyRect(b) ? null : { ...b! }
  if (isEmptyRect(b)) return { ...a! }
  const x0 = Math.min(a!.x, b!.x)
  const y0 = Math.min(a!.y, b!.y)
  const x1 = Math.max(a!.x + a!.width, b!.x + b!.width)
  const y1 = Math.max(a!.y + a!.height, b!.y + b!.height)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

/** Clip to [0,width) x [0,height), rounding outward to whole pixels; null when nothing is left. */
export function clampRect(rect: Rect, width: number, height: number): Rect | null {
  const x0 = Math.max(0, Math.floor(rect.x))
  const y0 = Math.max(0, Math.floor(rect.y))
  const x1 = Math.min(width, Math.ceil(rect.x + rect.width))
  const y1 = Math.min(height, Math.ceil(rect.y + rect.height))
  if (x1 <= x0 || y1 <= y0) return null
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

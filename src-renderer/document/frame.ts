// The crop frame's geometry. A crop without `angle` is an axis-aligned square inside the photo;
// with `angle` (degrees, clockwise on screen, about the square's centre) it is a turned frame
// that may reach past the photo's edges (the engine mirrors the photo there) as long as its
// centre stays on the photo. Pure functions: the store clamps with them, the canvas draws with them.
import type { Crop } from '../../src-shared/contract'

export interface Point {
  x: number
  y: number
}

/** The smallest frame a gesture can leave, in photo pixels. */
export const FRAME_MIN_SIZE = 8
/**
 * A turned frame is at most this many times the photo's long side, and at most FRAME_MAX_SIDE
 * (the engine's checkCrop refuses larger ones): past that the photo would be mirrored more than
 * once over, and no face fills so little of a photo.
 */
export const FRAME_MAX_SCALE = 2
export const FRAME_MAX_SIDE = 16384
/** A turned frame within this many degrees of upright snaps upright. */
export const ANGLE_SNAP_DEGREES = 1.5

/** Whether the crop is a turned frame (it carries an angle, 0 included). */
export function isFrame(crop: Crop): boolean {
  return crop.angle !== undefined
}

/** The frame's centre on the photo. */
export function frameCentre(crop: Crop): Point {
  return { x: crop.x + crop.size / 2, y: crop.y + crop.size / 2 }
}

/** Degrees in (-180, 180]. */
export function normalizeAngle(degrees: number): number {
  let a = degrees % 360
  if (a > 180) a -= 360
  if (a <= -180) a += 360
  return a === 0 ? 0 : a // no -0
}

/** The angle a released gesture reports: to 0.1 degree, upright within ±ANGLE_SNAP_DEGREES. */
export function snapAngle(degrees: number): number {
  const a = normalizeAngle(degrees)
  if (Math.abs(a) <= ANGLE_SNAP_DEGREES) return 0
  return normalizeAngle(Math.round(a * 10) / 10)
}

/**
 * The crop a frame drawn at `centre` with side `size` and turned by `angle` stands for: whole
 * pixels, the angle snapped (snapAngle). Without an angle it is a plain crop.
 */
export function cropAt(centre: Point, size: number, angle?: number): Crop {
  const side = Math.max(1, Math.round(size))
  // + 0: no -0 in a crop
  const x = Math.round(centre.x - side / 2) + 0
  const y = Math.round(centre.y - side / 2) + 0
  return angle === undefined ? { x, y, size: side } : { x, y, size: side, angle: snapAngle(angle) }
}

/**
 * Where frame point (u, v) lies on the photo: u to the frame's right, v down it, both in
 * 0..size (the Crop contract of src-main/engine/api.ts).
 */
export function framePoint(crop: Crop, u: number, v: number): Point {
  const r = ((crop.angle ?? 0) * Math.PI) / 180
  const c = frameCentre(crop)
  const du = u - crop.size / 2
  const dv = v - crop.size / 2
  return { x: c.x + Math.cos(r) * du - Math.sin(r) * dv, y: c.y + Math.sin(r) * du + Math.cos(r) * dv }
}

/** The inverse of framePoint: where a photo point lies in the frame's own (u, v). */
export function toFrame(crop: Crop, p: Point): Point {
  const r = ((crop.angle ?? 0) * Math.PI) / 180
  const c = frameCentre(crop)
  const dx = p.x - c.x
  const dy = p.y - c.y
  return { x: crop.size / 2 + Math.cos(r) * dx + Math.sin(r) * dy, y: crop.size / 2 - Math.sin(r) * dx + Math.cos(r) * dy }
}

/**
 * A photo-space vector (a drag) along the frame's own axes: x to the frame's right, y down it.
 * A layer's offset is measured so (EditLayer in src-main/engine/api.ts).
 */
export function alongFrame(crop: Crop, v: Point): Point {
  const r = ((crop.angle ?? 0) * Math.PI) / 180
  return { x: Math.cos(r) * v.x + Math.sin(r) * v.y, y: -Math.sin(r) * v.x + Math.cos(r) * v.y }
}

/** The inverse of alongFrame: a vector along the frame's axes as a photo-space vector. */
export function acrossPhoto(crop: Crop, v: Point): Point {
  const r = ((crop.angle ?? 0) * Math.PI) / 180
  return { x: Math.cos(r) * v.x - Math.sin(r) * v.y, y: Math.sin(r) * v.x + Math.cos(r) * v.y }
}

/** The frame's corners on the photo: top-left, top-right, bottom-right, bottom-left (of the frame). */
export function frameCorners(crop: Crop): [Point, Point, Point, Point] {
  const s = crop.size
  return [framePoint(crop, 0, 0), framePoint(crop, s, 0), framePoint(crop, s, s), framePoint(crop, 0, s)]
}

/**
 * Whether the frame reaches past a width x height photo: the engine mirrors the photo into
 * those parts (a plain crop never does). A hundredth of a pixel is allowed for the rounding
 * of a turned frame's corners.
 */
export function reachesPastPhoto(crop: Crop, width: number, height: number): boolean {
  const e = 0.01
  return frameCorners(crop).some((c) => c.x < -e || c.y < -e || c.x > width + e || c.y > height + e)
}

/**
 * Keep a crop valid for a width x height photo, in whole pixels. A plain crop stays a square
 * inside the photo, at least minSize and at most the short side. A turned frame keeps its
 * angle (normalised) and may reach past the edges, but its centre stays on the photo and its
 * size between minSize and FRAME_MAX_SCALE times the long side.
 */
export function clampCrop(crop: Crop, width: number, height: number, minSize = FRAME_MIN_SIZE): Crop {
  if (crop.angle === undefined) {
    const maxSize = Math.max(1, Math.min(width, height))
    const size = Math.round(Math.min(maxSize, Math.max(Math.min(minSize, maxSize), crop.size)))
    const x = Math.round(Math.min(width - size, Math.max(0, crop.x)))
    const y = Math.round(Math.min(height - size, Math.max(0, crop.y)))
    return { x, y, size }
  }
  const maxSize = Math.max(1, Math.min(FRAME_MAX_SIDE, Math.floor(FRAME_MAX_SCALE * Math.max(width, height))))
  const size = Math.round(Math.min(maxSize, Math.max(Math.min(minSize, maxSize), crop.size)))
  const centre = frameCentre(crop)
  // the centre is x + size / 2: clamp the corner so that the centre lands in [0, width] x [0, height]
  const x = Math.round(Math.min(width - size / 2, Math.max(-size / 2, centre.x - size / 2))) + 0
  const y = Math.round(Math.min(height - size / 2, Math.max(-size / 2, centre.y - size / 2))) + 0
  return { x, y, size, angle: normalizeAngle(crop.angle) }
}

/**
 * The crop turned by `degrees` about its centre, to 0.1 degree (a plain crop becomes a frame).
 * No snapping: small steps from the keyboard must be able to leave upright.
 */
export function turnedBy(crop: Crop, degrees: number): Crop {
  return { ...crop, angle: normalizeAngle(Math.round(((crop.angle ?? 0) + degrees) * 10) / 10) }
}

/** The same crop: corner, size and angle (a plain crop and an upright frame differ). */
export function sameCrop(a: Crop, b: Crop): boolean {
  return a.x === b.x && a.y === b.y && a.size === b.size && a.angle === b.angle
}

// Faces found in a photo (the engine's `image:faces`), and the choices the editor makes with
// them: which frame opening snaps to, which face the current crop frames, which box a click hits.
import type { Channels, Crop } from '../../src-shared/contract'
import type { ResponseOf } from '../../src-shared/ipc'
import { sameCrop, type Point } from '../document/frame'

/** One face: box [x, y, width, height], score, five landmarks and, for face-aligning models, its frame. */
export type Face = ResponseOf<Channels, 'image:faces'>['faces'][number]

function area(face: Face): number {
  return face.box[2] * face.box[3]
}

/**
 * The frame a photo opens with: the largest face's, when the model aligns faces and a face
 * with a frame was found; null means the default framing.
 */
export function openingCrop(faces: readonly Face[], alignsFaces: boolean): Crop | null {
  if (!alignsFaces) return null
  let best: Face | null = null
  for (const face of faces) if (face.crop && (!best || area(face) > area(best))) best = face
  return best?.crop ?? null
}

/** The face whose frame the crop is (after the store's clamping), or -1. */
export function chosenFace(faces: readonly Face[], crop: Crop, clamp: (crop: Crop) => Crop = (c) => c): number {
  return faces.findIndex((face) => face.crop !== undefined && sameCrop(clamp(face.crop), crop))
}

/** Whether a photo point lies in a face's box. */
export function inBox(face: Face, p: Point): boolean {
  const [x, y, w, h] = face.box
  return p.x >= x && p.x <= x + w && p.y >= y && p.y <= y + h
}

/** The face (with a frame) whose box holds the point, the smallest where boxes overlap; -1 when none. */
export function faceAt(faces: readonly Face[], p: Point): number {
  let hit = -1
  faces.forEach((face, i) => {
    if (face.crop && inBox(face, p) && (hit < 0 || area(face) < area(faces[hit]))) hit = i
  })
  return hit
}

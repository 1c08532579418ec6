// The guides drawn in the crop frame of a face model: where the model wants the eyes (and the
// mouth) of the face it edits. Pure geometry in fractions of the frame, in the frame's own
// axes (x right, y down), so the canvas draws them turned with the frame.
import type { ModelInfo } from '../../src-shared/contract'

/** Where a face model without landmarks is assumed to want the eyes, as a fraction of the frame's height. */
export const DEFAULT_EYE_LINE = 0.42

export interface GuideLine {
  label: string
  /** height in the frame, 0..1 from its top */
  y: number
  /** horizontal extent in the frame, 0..1 from its left */
  from: number
  to: number
}

export interface FaceGuides {
  lines: GuideLine[]
  /** the places of single landmarks (the eyes), 0..1 of the frame */
  marks: { x: number; y: number }[]
}

/**
 * The guides for the active model: for a model that says where it wants the five landmarks
 * (`faceLandmarks`: left eye, right eye, nose tip, left and right mouth corner), an eye line
 * through the eyes with a mark on each, and a shorter mouth line through the mouth corners;
 * for another face model the eye line at DEFAULT_EYE_LINE; none for other domains.
 */
export function faceGuides(model: Pick<ModelInfo, 'domain' | 'faceLandmarks'> | null): FaceGuides {
  if (!model || model.domain !== 'face') return { lines: [], marks: [] }
  const points = model.faceLandmarks
  if (!points || points.length !== 5) return { lines: [{ label: 'eye line', y: DEFAULT_EYE_LINE, from: 0, to: 1 }], marks: [] }
  const [leftEye, rightEye, , leftMouth, rightMouth] = points
  const clamp = (v: number) => Math.min(1, Math.max(0, v))
  const eyesY = (leftEye[1] + rightEye[1]) / 2
  const mouthY = (leftMouth[1] + rightMouth[1]) / 2
  // the mouth line reaches half a mouth's width beyond each corner: long enough to read, short
  // enough not to look like a second eye line
  const mouthWidth = Math.abs(rightMouth[0] - leftMouth[0])
  const mouthFrom = Math.min(leftMouth[0], rightMouth[0]) - mouthWidth / 2
  const mouthTo = Math.max(leftMouth[0], rightMouth[0]) + mouthWidth / 2
  return {
    lines: [
      { label: 'eyes', y: clamp(eyesY), from: 0, to: 1 },
      { label: 'mouth', y: clamp(mouthY), from: clamp(mouthFrom), to: clamp(mouthTo) },
    ],
    marks: [leftEye, rightEye].map(([x, y]) => ({ x: clamp(x), y: clamp(y) })),
  }
}

// Face detection with five landmarks. (Being written: see the detector task.)
import type { Face, RawImage } from '../api.js'

export type DetectedFace = Omit<Face, 'crop'>

/** The faces in an image, largest first, in the image's pixels. */
export async function detectFaces(image: RawImage): Promise<DetectedFace[]> {
  void image
  throw new Error('face detection is not written yet')
}

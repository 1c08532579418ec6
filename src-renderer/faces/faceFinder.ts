// Asks the engine for an image's faces once per image and model, and keeps what it found where
// the canvas and the face picker read it (UiStore.faces). Faces are no part of the document.
import type { UiStore } from '../ui/uiStore'
import type { Face } from './faces'

export type DetectFaces = (imageId: string) => Promise<{ faces: Face[] }>

export class FaceFinder {
  private readonly pending = new Map<string, Promise<Face[]>>()
  /** bumps when what was found no longer holds (another model frames faces differently) */
  private generation = 0

  constructor(
    private readonly ui: UiStore,
    private readonly detect: DetectFaces,
  ) {}

  /**
   * The image's faces, largest first. Asked once per image and model: a failure is kept too, so
   * a view that asks whenever it redraws does not ask the engine again and again.
   */
  find(imageId: string): Promise<Face[]> {
    let entry = this.pending.get(imageId)
    if (!entry) {
      const generation = this.generation
      entry = this.detect(imageId).then(({ faces }) => {
        if (generation === this.generation) this.ui.set({ faces: { ...this.ui.faces, [imageId]: faces } })
        return faces
      })
      // the caller that cares reports the failure; the others must not see it unhandled
      entry.catch(() => undefined)
      this.pending.set(imageId, entry)
    }
    return entry
  }

  /** What is known now, without asking (undefined: not asked yet, or not answered). */
  known(imageId: string): Face[] | undefined {
    return this.ui.faces[imageId]
  }

  /** Forget an image (released by the document). */
  forget(imageId: string): void {
    this.pending.delete(imageId)
    if (imageId in this.ui.faces) {
      const { [imageId]: _gone, ...rest } = this.ui.faces
      void _gone
      this.ui.set({ faces: rest })
    }
  }

  /** Forget everything: the frames belong to the model that was active when they were found. */
  clear(): void {
    this.generation++
    this.pending.clear()
    this.ui.set({ faces: {} })
  }
}

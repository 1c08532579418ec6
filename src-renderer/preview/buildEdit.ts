// The edit request for the engine, built from the document (the same one for the live
// preview and the export).
import type { EditInput } from '../../src-shared/contract'
import type { EditorDocument } from '../document/editorDocument'
import { downsampleMask, isMaskEmpty } from '../mask/maskBitmap'

export interface BuildEditOptions {
  /** the active model cannot mix in W+: fall back to W */
  wplusAvailable: boolean
  /**
   * Send masks at most this long on their long side (main scales them to the photo). The
   * live preview uses a smaller copy: it travels on every brush move; export sends all.
   */
  maskMaxSide?: number
}

/** null when there is no photo yet. Hidden layers and empty masks are left out. */
export function buildEdit(doc: EditorDocument, options: BuildEditOptions = { wplusAvailable: true }): EditInput | null {
  if (!doc.original) return null
  const space = doc.settings.space === 'wplus' && !options.wplusAvailable ? 'w' : doc.settings.space
  return {
    original: { imageId: doc.original.imageId, crop: { ...doc.original.crop } },
    layers: doc.references
      .filter((l) => l.visible && !isMaskEmpty(l.mask))
      .map((l) => ({
        reference: { imageId: l.imageId, crop: { ...l.crop } },
        // a copy: painting continues while the request is on its way
        mask: downsampleMask(l.mask, options.maskMaxSide ?? Infinity),
        strength: l.strength,
        offset: { dx: l.offset.dx, dy: l.offset.dy },
      })),
    space,
    ...(space === 'wplus' && doc.settings.coarseStrength !== undefined ? { coarseStrength: doc.settings.coarseStrength } : {}),
    ...(space === 'wplus' && doc.settings.fineStrength !== undefined ? { fineStrength: doc.settings.fineStrength } : {}),
    feather: doc.settings.feather,
    detail: doc.settings.detail,
  }
}

/** Whether an edit changes anything (at least one layer with paint). */
export function editHasLayers(edit: EditInput | null): boolean {
  return !!edit && edit.layers.length > 0
}

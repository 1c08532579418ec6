// The edit a project document stands for. Main's export and `stylemap render --project` both
// take it from here, so a saved project renders to the same bytes wherever it is rendered.
import type { Edit, ProjectDocument } from './contract'

/** Hidden layers and layers with an unpainted mask are left out; W+ falls back to W where the model has no W+. */
export function editFromProject(document: ProjectDocument, options: { wplusAvailable: boolean }): Edit {
  const { settings } = document
  const space = settings.space === 'wplus' && !options.wplusAvailable ? 'w' : settings.space
  return {
    original: { imageId: document.original.imageId, crop: { ...document.original.crop } },
    layers: document.references
      .filter((reference) => reference.visible && reference.mask.data.some((v) => v !== 0))
      .map((reference) => ({
        reference: { imageId: reference.imageId, crop: { ...reference.crop } },
        mask: reference.mask,
        strength: reference.strength,
        offset: { ...reference.offset },
      })),
    space,
    ...(space === 'wplus' && settings.coarseStrength !== undefined ? { coarseStrength: settings.coarseStrength } : {}),
    ...(space === 'wplus' && settings.fineStrength !== undefined ? { fineStrength: settings.fineStrength } : {}),
    feather: settings.feather,
    detail: settings.detail,
  }
}

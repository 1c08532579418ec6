import { describe, expect, it } from 'vitest'
import { projectDocumentSchema } from './contract'
import { editFromProject } from './edit'

const mask = (on: boolean) => ({ width: 2, height: 2, data: new Uint8Array(4).fill(on ? 255 : 0) })

function document(settings: Record<string, unknown>) {
  return projectDocumentSchema.parse({
    original: { imageId: 'img:a', crop: { x: 0, y: 0, size: 2 } },
    references: [
      { id: 'shown', imageId: 'img:b', crop: { x: 0, y: 0, size: 2 }, color: '#ff0000', mask: mask(true), offset: { dx: -3, dy: 4 }, strength: 0.5 },
      { id: 'hidden', imageId: 'img:c', crop: { x: 0, y: 0, size: 2 }, color: '#00ff00', visible: false, mask: mask(true) },
      { id: 'unpainted', imageId: 'img:d', crop: { x: 0, y: 0, size: 2 }, color: '#0000ff', mask: mask(false) },
    ],
    settings,
  })
}

describe('editFromProject', () => {
  it('takes the visible, painted layers with their offset and strength, and the settings', () => {
    const edit = editFromProject(document({ space: 'wplus', fineStrength: 0.25, feather: 5, detail: false }), { wplusAvailable: true })
    expect(edit.layers.map((l) => l.reference.imageId)).toEqual(['img:b'])
    expect(edit.layers[0]).toMatchObject({ strength: 0.5, offset: { dx: -3, dy: 4 } })
    expect(edit).toMatchObject({ space: 'wplus', fineStrength: 0.25, feather: 5, detail: false })
    expect(edit).not.toHaveProperty('coarseStrength')
  })

  it('falls back to W without the coarse/fine strengths where the model has no W+', () => {
    const edit = editFromProject(document({ space: 'wplus', coarseStrength: 0.5 }), { wplusAvailable: false })
    expect(edit.space).toBe('w')
    expect(edit).not.toHaveProperty('coarseStrength')
  })

  it('opens a project saved before detail transfer with detail on', () => {
    expect(editFromProject(document({ space: 'w', feather: 8 }), { wplusAvailable: true }).detail).toBe(true)
  })
})

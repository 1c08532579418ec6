import { describe, expect, it } from 'vitest'
import { EditorStore } from '../document/editorStore'
import { buildEdit, editHasLayers } from './buildEdit'

describe('buildEdit', () => {
  it('leaves out hidden layers and empty masks, copies masks, honours W+ availability', () => {
    const store = new EditorStore()
    expect(buildEdit(store.doc)).toBeNull()
    store.loadPhoto({ imageId: 'p', name: 'p.png', width: 100, height: 80, format: 'png', byteLength: 1 }, { x: 10, y: 0, size: 80 })
    const a = store.addReference({ imageId: 'a', name: 'a.png', width: 64, height: 64, format: 'png', byteLength: 1 }, { x: 0, y: 0, size: 64 })
    const b = store.addReference({ imageId: 'b', name: 'b.png', width: 64, height: 64, format: 'png', byteLength: 1 }, { x: 0, y: 0, size: 64 })
    store.addReference({ imageId: 'c', name: 'c.png', width: 64, height: 64, format: 'png', byteLength: 1 }, { x: 0, y: 0, size: 64 })
    expect(editHasLayers(buildEdit(store.doc))).toBe(false)
    for (const id of [a.id, b.id]) {
      store.beginStroke(id, 'paint')
      store.strokeTo({ x: 50, y: 40 })
      store.endStroke()
    }
    store.setLayerProps(b.id, { visible: false })
    store.setLayerProps(a.id, { strength: 0.4, offset: { dx: 3, dy: -2 } })
    store.setSettings({ coarseStrength: 0.2 })
    const edit = buildEdit(store.doc)!
    expect(edit.layers).toHaveLength(1)
    expect(edit.layers[0]).toMatchObject({ reference: { imageId: 'a' }, strength: 0.4, offset: { dx: 3, dy: -2 } })
    expect(edit.layers[0].mask.data).not.toBe(a.mask.data)
    expect(edit.layers[0].mask.data[40 * 100 + 50]).toBeGreaterThan(0)
    expect(edit).toMatchObject({ space: 'wplus', coarseStrength: 0.2 })
    const wOnly = buildEdit(store.doc, { wplusAvailable: false })!
    expect(wOnly.space).toBe('w')
    expect(wOnly.coarseStrength).toBeUndefined()
  })
})

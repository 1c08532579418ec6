import { describe, expect, it } from 'vitest'
import type { ImageInfo } from '../../src-shared/contract'
import { testModelInfo } from '../testing/models'
import { EditorStore } from '../document/editorStore'
import { UiStore } from '../ui/uiStore'
import { ActionManager } from './actionManager'
import { editorActionTable, type EditorContext } from './editorActions'
import { shortcutFor } from './shortcuts'

const photo: ImageInfo = { imageId: 'p', name: 'portrait.jpg', width: 480, height: 360, format: 'jpeg', byteLength: 1 }
const ref: ImageInfo = { imageId: 'r', name: 'ref.png', width: 200, height: 300, format: 'png', byteLength: 1 }

const faceModel = testModelInfo()

function setup() {
  const store = new EditorStore()
  const ui = new UiStore()
  ui.set({ models: [faceModel] })
  // a photo and a reference as opening leaves them: snapped to their faces, turned
  store.loadPhoto(photo, { x: 150, y: 40, size: 200, angle: 12.5 })
  const layer = store.addReference(ref, { x: 40, y: 60, size: 120, angle: -7 })
  const errors: string[] = []
  // the crop actions use the store and the model only
  const actions = new ActionManager({ store, ui } as unknown as EditorContext, editorActionTable, (e) => errors.push(e.message))
  return { store, layer, actions, errors }
}

describe('crop.reset (Reset frame)', () => {
  it('with the crop tool, puts the photo back on the largest centred square, unturned; one undo step', async () => {
    const { store, actions, errors } = setup()
    await actions.dispatch('tool.set', { tool: 'crop' })
    await actions.dispatch('crop.reset')
    expect(store.doc.original!.crop).toEqual({ x: 60, y: 0, size: 360 })
    expect(store.historyInfo().undoLabel).toBe('Reset frame')
    await actions.dispatch('edit.undo')
    expect(store.doc.original!.crop).toEqual({ x: 150, y: 40, size: 200, angle: 12.5 })
    expect(errors).toEqual([])
  })

  it('while a reference crop is placed, resets that reference (a tall one framed high for a face model)', async () => {
    const { store, layer, actions } = setup()
    await actions.dispatch('layer.editCrop', { layerId: layer.id })
    await actions.dispatch('crop.reset')
    expect(layer.crop).toEqual({ x: 0, y: 25, size: 200 })
    expect(store.doc.original!.crop).toEqual({ x: 150, y: 40, size: 200, angle: 12.5 })
  })

  it('does nothing while painting: a stray key leaves the crop alone', async () => {
    const { store, actions } = setup()
    const steps = store.historyInfo().steps
    await actions.dispatch('crop.reset')
    expect(store.doc.original!.crop).toEqual({ x: 150, y: 40, size: 200, angle: 12.5 })
    expect(store.historyInfo().steps).toBe(steps)
  })

  it('is the R key', () => {
    const key = { ctrlKey: false, metaKey: false, shiftKey: false, altKey: false }
    expect(shortcutFor({ ...key, key: 'r' })?.name).toBe('crop.reset')
    // Ctrl+R still adds a reference
    expect(shortcutFor({ ...key, key: 'r', ctrlKey: true })?.name).toBe('file.openReference')
  })
})

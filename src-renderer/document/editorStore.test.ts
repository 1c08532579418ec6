import { describe, expect, it } from 'vitest'
import { projectDocumentSchema, type ImageInfo } from '../../src-shared/contract'
import { isMaskEmpty } from '../mask/maskBitmap'
import { EditorStore } from './editorStore'

const photo: ImageInfo = { imageId: 'p', name: 'me.jpg', width: 4000, height: 3000, format: 'jpeg', byteLength: 1 }
const ref: ImageInfo = { imageId: 'r', name: 'ref.jpg', width: 800, height: 800, format: 'jpeg', byteLength: 1 }

function setup() {
  const store = new EditorStore()
  store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
  const layer = store.addReference(ref, { x: 0, y: 0, size: 800 })
  return { store, layer }
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i])

function paint(store: EditorStore, layerId: string, points: [number, number][], mode: 'paint' | 'erase' = 'paint') {
  store.beginStroke(layerId, mode)
  for (const [x, y] of points) store.strokeTo({ x, y })
  store.endStroke()
}

describe('EditorStore', () => {
  it('keeps masks at a capped working size in photo coordinates', () => {
    const { layer } = setup()
    expect(layer.mask.width).toBe(2048)
    expect(layer.mask.height).toBe(1536)
  })

  it('a stroke is one undo step storing only its dirty rectangle', () => {
    const { store, layer } = setup()
    const before = store.historyInfo().steps
    const bytesBefore = store.historyInfo().bytes
    paint(store, layer.id, [
      [1000, 1000],
      [1200, 1050],
      [1400, 1100],
    ])
    const info = store.historyInfo()
    expect(info.steps).toBe(before + 1)
    expect(info.undoLabel).toBe('Brush stroke')
    // ~420x150 photo px at scale 0.512 -> far less than the 3 MB whole mask, twice
    expect(info.bytes - bytesBefore).toBeLessThan(2 * 260 * 120)
    const painted = layer.mask.data.slice()
    expect(isMaskEmpty(layer.mask)).toBe(false)
    store.history.undo()
    expect(isMaskEmpty(layer.mask)).toBe(true)
    store.history.redo()
    expect(same(layer.mask.data, painted)).toBe(true)
  })

  it('undoes an erase back to the painted mask', () => {
    const { store, layer } = setup()
    paint(store, layer.id, [[2000, 1500]])
    const painted = layer.mask.data.slice()
    store.setBrush({ size: 120, hardness: 1 })
    paint(store, layer.id, [[2000, 1500]], 'erase')
    expect(isMaskEmpty(layer.mask)).toBe(true)
    store.history.undo()
    expect(same(layer.mask.data, painted)).toBe(true)
  })

  it('remove, reorder, clear and invert are undoable', () => {
    const { store, layer } = setup()
    const second = store.addReference({ ...ref, imageId: 'r2' }, { x: 0, y: 0, size: 800 })
    expect(second.color).not.toBe(layer.color)
    paint(store, layer.id, [[1000, 1000]])
    store.moveReference(second.id, 0)
    expect(store.doc.references.map((l) => l.id)).toEqual([second.id, layer.id])
    store.clearMask(layer.id)
    expect(isMaskEmpty(layer.mask)).toBe(true)
    store.invertMask(layer.id)
    expect(layer.mask.data.every((v) => v === 255)).toBe(true)
    store.removeReference(layer.id)
    expect(store.doc.references.map((l) => l.id)).toEqual([second.id])
    store.history.undo() // remove
    store.history.undo() // invert
    expect(isMaskEmpty(layer.mask)).toBe(true)
    store.history.undo() // clear
    expect(isMaskEmpty(layer.mask)).toBe(false)
    store.history.undo() // reorder
    expect(store.doc.references.map((l) => l.id)).toEqual([layer.id, second.id])
  })

  it('a slider drag is one step; settings and crop are steps', () => {
    const { store, layer } = setup()
    const start = store.historyInfo().steps
    for (const s of [0.9, 0.8, 0.7, 0.5]) store.setLayerProps(layer.id, { strength: s }, `strength:${layer.id}`)
    expect(store.historyInfo().steps).toBe(start + 1)
    store.history.undo()
    expect(layer.strength).toBe(1)
    store.setSettings({ space: 'w' })
    store.setOriginalCrop({ x: 900, y: 100, size: 5000 })
    // clamped inside the photo, kept square
    expect(store.doc.original!.crop).toEqual({ x: 900, y: 0, size: 3000 })
    store.history.undo()
    store.history.undo()
    expect(store.doc.settings.space).toBe('wplus')
    expect(store.doc.original!.crop).toEqual({ x: 500, y: 0, size: 3000 })
  })

  it('round-trips through the project document', () => {
    const { store, layer } = setup()
    paint(store, layer.id, [[1000, 1000]])
    store.setLayerProps(layer.id, { offset: { dx: 12, dy: -4 } })
    const saved = store.toProjectDocument()!
    const other = new EditorStore()
    other.loadProject(saved, [photo, ref], 'x.smproj')
    expect(same(other.doc.references[0].mask.data, layer.mask.data)).toBe(true)
    expect(other.doc.references[0].offset).toEqual({ dx: 12, dy: -4 })
    expect(other.historyInfo().canUndo).toBe(false)
    expect(other.dirty).toBe(false)
  })

  it('keeps a turned frame: angle stored, centre kept on the photo, undone back to the plain crop', () => {
    const { store, layer } = setup()
    store.setOriginalCrop({ x: -600, y: 2200, size: 1600, angle: 25 })
    // reaches past the left and bottom edges; its centre (200, 3000) is on the photo
    expect(store.doc.original!.crop).toEqual({ x: -600, y: 2200, size: 1600, angle: 25 })
    expect(store.historyInfo().undoLabel).toBe('Move crop frame')
    store.setOriginalCrop({ x: -900, y: 2200, size: 1600, angle: 25 })
    // centre (-100, 3000) -> (0, 3000)
    expect(store.doc.original!.crop).toEqual({ x: -800, y: 2200, size: 1600, angle: 25 })
    // turning only is a change too
    store.setLayerProps(layer.id, { crop: { x: 0, y: 0, size: 800, angle: -12.5 } })
    expect(layer.crop).toEqual({ x: 0, y: 0, size: 800, angle: -12.5 })
    store.history.undo()
    expect(layer.crop).toEqual({ x: 0, y: 0, size: 800 })
    store.history.undo()
    store.history.undo()
    expect(store.doc.original!.crop).toEqual({ x: 500, y: 0, size: 3000 })
  })

  it('saves the angle with the project; a project without angles opens with plain crops', () => {
    const { store, layer } = setup()
    store.setOriginalCrop({ x: 1000, y: 400, size: 1800, angle: 24.9 })
    store.setLayerProps(layer.id, { crop: { x: 100, y: 50, size: 600, angle: -3.2 } })
    // what main gets and stores: the contract's schema, through JSON as a project file holds it
    const wire = (doc: unknown) => projectDocumentSchema.parse(JSON.parse(JSON.stringify(doc, (_k, v) => (v instanceof Uint8Array ? [...v] : v)), (k, v) => (k === 'data' ? new Uint8Array(v) : v)))
    const saved = wire(store.toProjectDocument())
    expect(saved.original.crop).toEqual({ x: 1000, y: 400, size: 1800, angle: 24.9 })
    const other = new EditorStore()
    other.loadProject(saved, [photo, ref], 'turned.smproj')
    expect(other.doc.original!.crop).toEqual({ x: 1000, y: 400, size: 1800, angle: 24.9 })
    expect(other.doc.references[0].crop).toEqual({ x: 100, y: 50, size: 600, angle: -3.2 })

    // an older project: crops without angle stay plain squares inside the photo
    const older = wire({ ...saved, original: { ...saved.original, crop: { x: 500, y: 0, size: 3000 } }, references: saved.references.map((r) => ({ ...r, crop: { x: 0, y: 0, size: 800 } })) })
    other.loadProject(older, [photo, ref], 'old.smproj')
    expect(other.doc.original!.crop).toEqual({ x: 500, y: 0, size: 3000 })
    expect('angle' in other.doc.original!.crop).toBe(false)
    other.setOriginalCrop({ x: 3000, y: 0, size: 3000 })
    expect(other.doc.original!.crop).toEqual({ x: 1000, y: 0, size: 3000 })
  })

  it('names the image whose crop is placed: the photo with the crop tool, a reference while its crop is placed', () => {
    const { store, layer } = setup()
    expect(store.placingCrop).toBe(false)
    expect(store.croppedTarget()).toEqual({ imageId: 'p', crop: { x: 500, y: 0, size: 3000 }, layerId: null })
    store.setTool('crop')
    expect(store.placingCrop).toBe(true)
    store.setTool('brush')
    store.editCrop(layer.id)
    expect(store.placingCrop).toBe(true)
    expect(store.croppedTarget()).toEqual({ imageId: 'r', crop: { x: 0, y: 0, size: 800 }, layerId: layer.id })
  })

  it('resets the crop being placed to the default square, unturned, in one undo step', () => {
    const { store, layer } = setup()
    // a face-snapped, turned frame on the photo; then the user moves it once more
    store.setOriginalCrop({ x: 1000, y: 400, size: 1800, angle: 24.9 })
    store.setOriginalCrop({ x: 1100, y: 400, size: 1800, angle: 24.9 })
    const steps = store.historyInfo().steps
    store.resetFrame()
    // 4000 x 3000: the largest centred square
    expect(store.doc.original!.crop).toEqual({ x: 500, y: 0, size: 3000 })
    expect('angle' in store.doc.original!.crop).toBe(false)
    expect(store.historyInfo().steps).toBe(steps + 1)
    expect(store.historyInfo().undoLabel).toBe('Reset frame')
    // already there: no step
    store.resetFrame()
    expect(store.historyInfo().steps).toBe(steps + 1)
    store.history.undo()
    expect(store.doc.original!.crop).toEqual({ x: 1100, y: 400, size: 1800, angle: 24.9 })
    store.history.redo()
    expect(store.doc.original!.crop).toEqual({ x: 500, y: 0, size: 3000 })

    // a reference whose crop is placed resets its own crop; the photo's stays
    store.setLayerProps(layer.id, { crop: { x: 100, y: 50, size: 600, angle: -3.2 } })
    store.editCrop(layer.id)
    store.resetFrame()
    expect(layer.crop).toEqual({ x: 0, y: 0, size: 800 })
    expect(store.doc.original!.crop).toEqual({ x: 500, y: 0, size: 3000 })
    store.history.undo()
    expect(layer.crop).toEqual({ x: 100, y: 50, size: 600, angle: -3.2 })
  })

  it('resets to the default framing of the model: a face model frames a tall photo high', () => {
    const store = new EditorStore()
    const tall: ImageInfo = { ...photo, width: 3000, height: 4000 }
    store.loadPhoto(tall, { x: 200, y: 900, size: 1500, angle: -8 })
    store.resetFrame('face')
    expect(store.doc.original!.crop).toEqual({ x: 0, y: 250, size: 3000 })
    store.resetFrame()
    expect(store.doc.original!.crop).toEqual({ x: 0, y: 500, size: 3000 })
  })
})

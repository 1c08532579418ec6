import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ImageInfo, ModelInfo } from '../../src-shared/contract'
import { EditorStore } from '../document/editorStore'
import { CodedError } from '../engine/api'
import { UiStore } from '../ui/uiStore'
import { CropPreparer, type PrepareRequest } from './cropPreparer'

const photo: ImageInfo = { imageId: 'p', name: 'me.jpg', width: 4000, height: 3000, format: 'jpeg', byteLength: 1 }
const ref: ImageInfo = { imageId: 'r', name: 'ref.jpg', width: 800, height: 800, format: 'jpeg', byteLength: 1 }
const model = (id: string) => ({ id, name: id, active: true }) as unknown as ModelInfo

function setup(answer: (request: PrepareRequest) => Promise<{ complete: boolean }> = async () => ({ encoded: 1, ms: 1, complete: true })) {
  const store = new EditorStore()
  const ui = new UiStore()
  const asked: PrepareRequest[] = []
  const preparer = new CropPreparer(store, ui, (request) => {
    asked.push(request)
    return answer(request)
  }, 400)
  preparer.start()
  return { store, ui, asked, preparer }
}

beforeEach(() => {
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('CropPreparer', () => {
  it('asks once the photo crop and the references have stayed put, and not again while they do', async () => {
    const { store, ui, asked, preparer } = setup()
    ui.set({ models: [model('m1')] })
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    await vi.advanceTimersByTimeAsync(200)
    // the frame is dragged on: the wait starts over
    store.setOriginalCrop({ x: 400, y: 0, size: 3000 }, 'drag')
    await vi.advanceTimersByTimeAsync(300)
    expect(asked).toEqual([])
    await vi.advanceTimersByTimeAsync(100)
    expect(asked).toEqual([{ original: { imageId: 'p', crop: { x: 400, y: 0, size: 3000 } }, references: [] }])
    const layer = store.addReference(ref, { x: 0, y: 0, size: 800 })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked[1]).toEqual({ original: { imageId: 'p', crop: { x: 400, y: 0, size: 3000 } }, references: [{ imageId: 'r', crop: { x: 0, y: 0, size: 800 } }] })
    // painting changes the document, not the crops: nothing more is asked
    store.beginStroke(layer.id, 'paint')
    store.strokeTo({ x: 100, y: 100 })
    store.endStroke()
    await vi.advanceTimersByTimeAsync(1000)
    expect(asked).toHaveLength(2)
    // another model encodes differently: the same crops are asked for again
    ui.set({ models: [model('m2')] })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(3)
    // and so does a restarted engine, which holds nothing
    preparer.forget()
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(4)
    expect(asked[3]).toEqual(asked[2])
  })

  it('waits for the model to be known, and leaves hidden references out', async () => {
    const { store, ui, asked } = setup()
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    const layer = store.addReference(ref, { x: 0, y: 0, size: 800 })
    store.setLayerProps(layer.id, { visible: false })
    await vi.advanceTimersByTimeAsync(1000)
    expect(asked).toEqual([])
    ui.set({ models: [model('m1')] })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toEqual([{ original: { imageId: 'p', crop: { x: 500, y: 0, size: 3000 } }, references: [] }])
  })

  it('shows that it is preparing until the engine answers', async () => {
    let finish: () => void = () => undefined
    const { store, ui } = setup(() => new Promise((resolve) => (finish = () => resolve({ complete: true }))))
    ui.set({ models: [model('m1')] })
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    expect(ui.preparing).toBe(false)
    await vi.advanceTimersByTimeAsync(400)
    expect(ui.preparing).toBe(true)
    finish()
    await vi.advanceTimersByTimeAsync(0)
    expect(ui.preparing).toBe(false)
  })

  it('keeps one request on its way: crops moved meanwhile are asked for once it answers, as they are then', async () => {
    const answers: (() => void)[] = []
    const { store, ui, asked } = setup(() => new Promise((resolve) => answers.push(() => resolve({ complete: true }))))
    ui.set({ models: [model('m1')] })
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(1)
    // the frame is moved and left three times while the engine works on the first
    for (const x of [400, 300, 200]) {
      store.setOriginalCrop({ x, y: 0, size: 3000 })
      await vi.advanceTimersByTimeAsync(500)
    }
    expect(asked).toHaveLength(1)
    answers[0]()
    await vi.advanceTimersByTimeAsync(400)
    expect(asked.map((r) => r.original.crop.x)).toEqual([500, 200])
    expect(ui.preparing).toBe(true)
    answers[1]()
    await vi.advanceTimersByTimeAsync(1000)
    expect(asked).toHaveLength(2)
    expect(ui.preparing).toBe(false)
  })

  it('asks again for crops the engine stopped short of, and never while a preview renders', async () => {
    const answers: ((complete: boolean) => void)[] = []
    const { store, ui, asked } = setup(() => new Promise((resolve) => answers.push((complete) => resolve({ complete }))))
    ui.set({ models: [model('m1')] })
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    store.addReference(ref, { x: 0, y: 0, size: 800 })
    // a preview renders: nothing is asked, however long the crops stay put
    ui.set({ previewBusy: true })
    await vi.advanceTimersByTimeAsync(2000)
    expect(asked).toEqual([])
    expect(ui.preparing).toBe(false)
    ui.set({ previewBusy: false })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(1)
    // the engine gave way to a render asked for meanwhile: still preparing, and the same crops are asked for again once settled and idle
    ui.set({ previewBusy: true })
    answers[0](false)
    await vi.advanceTimersByTimeAsync(1000)
    expect(ui.preparing).toBe(true)
    expect(asked).toHaveLength(1)
    ui.set({ previewBusy: false })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(2)
    expect(asked[1]).toEqual(asked[0])
    answers[1](true)
    await vi.advanceTimersByTimeAsync(2000)
    expect(asked).toHaveLength(2)
    expect(ui.preparing).toBe(false)
  })

  it('stops showing that it prepares when the editor is emptied', async () => {
    const { store, ui, asked } = setup(async () => ({ encoded: 0, ms: 1, complete: false }))
    ui.set({ models: [model('m1')] })
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(1)
    expect(ui.preparing).toBe(true)
    ui.set({ previewBusy: true })
    store.reset()
    await vi.advanceTimersByTimeAsync(0)
    expect(ui.preparing).toBe(false)
    ui.set({ previewBusy: false })
    await vi.advanceTimersByTimeAsync(2000)
    expect(asked).toHaveLength(1)
  })

  it('reports a failure once, and says nothing for an image the document has let go of', async () => {
    let reject: (error: Error) => void = () => undefined
    const { store, ui, asked } = setup(() => new Promise((_, no) => (reject = no)))
    ui.set({ models: [model('m1')] })
    store.loadPhoto(photo, { x: 500, y: 0, size: 3000 })
    await vi.advanceTimersByTimeAsync(400)
    reject(new CodedError('E_INFERENCE', 'encoder failed'))
    await vi.advanceTimersByTimeAsync(0)
    expect(store.errors.map((e) => e.code)).toEqual(['E_INFERENCE'])
    // the report changes the store: that alone must not ask again
    await vi.advanceTimersByTimeAsync(2000)
    expect(asked).toHaveLength(1)
    expect(ui.preparing).toBe(false)
    // the photo is replaced while its request is on its way: the engine no longer knows it
    store.setOriginalCrop({ x: 0, y: 0, size: 3000 })
    await vi.advanceTimersByTimeAsync(400)
    expect(asked).toHaveLength(2)
    store.loadPhoto({ ...photo, imageId: 'q' }, { x: 0, y: 0, size: 3000 })
    reject(new CodedError('E_IMAGE_UNKNOWN', 'No open image has the id p'))
    await vi.advanceTimersByTimeAsync(0)
    expect(store.errors.map((e) => e.code)).toEqual(['E_INFERENCE'])
    // the new photo is asked for in its turn
    await vi.advanceTimersByTimeAsync(400)
    expect(asked[2].original.imageId).toBe('q')
  })
})

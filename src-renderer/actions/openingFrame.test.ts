import { describe, expect, it } from 'vitest'
import type { ImageInfo } from '../../src-shared/contract'
import { testModelInfo } from '../testing/models'
import { EditorStore } from '../document/editorStore'
import { CodedError } from '../engine/api'
import { FaceFinder } from '../faces/faceFinder'
import type { Face } from '../faces/faces'
import { UiStore } from '../ui/uiStore'
import { openingFrame } from './editorActions'

const image: ImageInfo = { imageId: 'img', name: 'party.jpg', width: 1100, height: 900, format: 'jpeg', byteLength: 1 }

const model = (alignsFaces: boolean) => testModelInfo({ alignsFaces })

const face = (box: Face['box'], crop: Face['crop']): Face => ({ box, score: 0.95, landmarks: [], crop })

function setup(alignsFaces: boolean, answer: Face[] | Error) {
  const store = new EditorStore()
  const ui = new UiStore()
  ui.set({ models: [model(alignsFaces)] })
  const asked: string[] = []
  const faces = new FaceFinder(ui, async (imageId) => {
    asked.push(imageId)
    if (answer instanceof Error) throw answer
    return { faces: answer }
  })
  return { ctx: { store, ui, faces }, asked }
}

describe('openingFrame', () => {
  it("opens on the largest face's frame, kept valid for the photo", async () => {
    const { ctx } = setup(true, [face([100, 100, 50, 60], { x: 60, y: 60, size: 130, angle: 3 }), face([500, 300, 200, 240], { x: 1000, y: 250, size: 420, angle: 24.87 })])
    // the big face's frame has its centre (1210, 460) off the photo: brought to the edge
    expect(await openingFrame(ctx, image)).toEqual({ crop: { x: 890, y: 250, size: 420, angle: 24.87 }, noFace: null })
    expect(ctx.ui.task).toBeNull()
  })

  it('without a face: the default framing and a plain message', async () => {
    const { ctx } = setup(true, [])
    expect(await openingFrame(ctx, image)).toEqual({ crop: { x: 100, y: 0, size: 900 }, noFace: 'No face found in party.jpg — frame it by hand' })
  })

  it('a failing detection is reported and opening goes on with the default framing', async () => {
    const { ctx } = setup(true, new CodedError('E_FACES', 'face detection is not written yet'))
    expect(await openingFrame(ctx, image)).toEqual({ crop: { x: 100, y: 0, size: 900 }, noFace: null })
    expect(ctx.store.errors.map((e) => [e.code, e.message])).toEqual([['E_FACES', 'face detection is not written yet']])
  })

  it('a model that does not align faces keeps manual framing: no detection asked', async () => {
    const { ctx, asked } = setup(false, [face([0, 0, 10, 10], { x: 0, y: 0, size: 20, angle: 1 })])
    expect(await openingFrame(ctx, image)).toEqual({ crop: { x: 100, y: 0, size: 900 }, noFace: null })
    expect(asked).toEqual([])
  })
})

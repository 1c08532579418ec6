import { describe, expect, it } from 'vitest'
import type { ImageInfo } from '../../src-shared/contract'
import { EditorStore } from '../document/editorStore'
import { ImageHolds } from './imageHolds'

const image = (imageId: string): ImageInfo => ({ imageId, name: `${imageId}.jpg`, width: 800, height: 600, format: 'jpeg', byteLength: 1 })
const crop = { x: 0, y: 0, size: 600 }

/** A store wired to holds as the editor wires them; `released` lists every image:release sent. */
function setup() {
  const store = new EditorStore()
  const released: string[] = []
  const holds = new ImageHolds(
    () => store.imagesInUse(),
    (id) => released.push(id),
  )
  store.subscribe(() => holds.collect())
  // what the actions do: main hands over an image (one hold), the store takes it in, the hold is counted
  const openPhoto = (id: string) => {
    store.loadPhoto(image(id), crop)
    holds.took([id])
  }
  const addReference = (id: string) => {
    const layer = store.addReference(image(id), crop)
    holds.took([id])
    return layer
  }
  return { store, holds, released, openPhoto, addReference }
}

describe('image holds', () => {
  it('keeps a removed reference held while undo can bring it back, and releases it once it cannot', () => {
    const { store, holds, released, openPhoto, addReference } = setup()
    openPhoto('photo')
    const layer = addReference('ref')
    store.removeReference(layer.id)
    expect(released).toEqual([])
    store.history.undo()
    expect(store.doc.references).toHaveLength(1)
    store.history.redo()
    // a new document: nothing can show either image again
    openPhoto('next')
    expect(released.sort()).toEqual(['photo', 'ref'])
    expect(holds.held()).toEqual(new Map([['next', 1]]))
  })

  it('releases a reference whose adding was undone once a new step drops the redo', () => {
    const { store, released, openPhoto, addReference } = setup()
    openPhoto('photo')
    addReference('ref')
    store.history.undo()
    expect(released).toEqual([])
    store.setSettings({ feather: 3 })
    expect(released).toEqual(['ref'])
  })

  it('releases once per hold: the same image as photo and as two references', () => {
    const { store, released, openPhoto, addReference } = setup()
    openPhoto('same')
    addReference('same')
    const second = addReference('same')
    store.removeReference(second.id)
    expect(released).toEqual([])
    store.reset()
    expect(released).toEqual(['same', 'same', 'same'])
  })

  it('reopening the photo the document shows keeps it held, and releases both holds later', () => {
    const { store, released, openPhoto } = setup()
    openPhoto('photo')
    openPhoto('photo')
    expect(released).toEqual([])
    store.reset()
    expect(released).toEqual(['photo', 'photo'])
  })

  it('releases at once an image that never made it into the document', () => {
    const { holds, released, openPhoto } = setup()
    openPhoto('photo')
    // e.g. its display copy failed to load: the action counts the hold all the same
    holds.took(['broken'])
    expect(released).toEqual(['broken'])
  })

  it('does not touch an image main handed over but the action has not counted yet', () => {
    const { store, released, openPhoto } = setup()
    openPhoto('photo')
    // 'incoming' is on its way (its display copy loads); other changes happen meanwhile
    store.setSettings({ feather: 5 })
    store.reset()
    expect(released).toEqual(['photo'])
  })
})

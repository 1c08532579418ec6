import { afterEach, describe, expect, it, vi } from 'vitest'
import type { ImageInfo } from '../../src-shared/contract'
import { EditorStore } from '../document/editorStore'
import { createEditorServices } from '../ui/editorServices'
import type { DisplayImage } from './imageCache'
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

})

/**
 * The editor's services as the window builds them, over a stand-in bridge: `image:open` hands
 * over the next queued image (one hold in main), `image:release` is recorded. A display copy
 * loads (or fails) when the test says so.
 */
function editor() {
  const opens: ImageInfo[] = []
  const released: string[] = []
  const ok = <T>(value: T) => Promise.resolve({ ok: true, value })
  vi.stubGlobal('window', {
    stylemap: {
      'image:open': () => ok({ canceled: false, image: opens.shift() }),
      'image:release': ({ imageId }: { imageId: string }) => (released.push(imageId), ok({})),
      'project:new': () => ok({}),
      'recent:list': () => ok({ items: [] }),
    },
  })
  const services = createEditorServices()
  const loading: { imageId: string; resolve: (image: DisplayImage) => void; reject: (error: Error) => void }[] = []
  services.images.get = (imageId) => new Promise((resolve, reject) => loading.push({ imageId, resolve, reject }))
  services.images.release = () => undefined
  /** Ends the display copy's load the document is waiting on. */
  const settle = async (imageId: string, outcome: 'loads' | 'fails') => {
    await vi.waitFor(() => expect(loading.map((l) => l.imageId)).toContain(imageId))
    const [load] = loading.splice(
      loading.findIndex((l) => l.imageId === imageId),
      1,
    )
    if (outcome === 'loads') load.resolve({ url: 'blob:display', element: {} as HTMLImageElement, width: 800, height: 600, fullWidth: 800, fullHeight: 600 })
    else load.reject(new Error('the display copy could not be decoded'))
  }
  return { ...services, opens, released, loading, settle }
}

describe('image holds, through the actions', () => {
  afterEach(() => vi.unstubAllGlobals())

  it('an image on its way keeps the hold main just gave, whatever happens to the document meanwhile', async () => {
    const e = editor()
    e.opens.push(image('photo'))
    const first = e.actions.dispatch('file.open')
    await e.settle('photo', 'loads')
    await first
    // the same file again: main names it by its content, so it is one image with a second hold
    e.opens.push(image('photo'))
    const again = e.actions.dispatch('file.open')
    await vi.waitFor(() => expect(e.loading).toHaveLength(1))
    // while its display copy loads, the user starts a new project: the hold the document had goes
    await e.actions.dispatch('project.new')
    expect(e.store.doc.original).toBeNull()
    expect(e.released).toEqual(['photo'])
    // the second opening lands on the hold it came with: main still has the image
    await e.settle('photo', 'loads')
    await again
    expect(e.store.doc.original?.imageId).toBe('photo')
    expect(e.released).toEqual(['photo'])
    expect(e.holds.held()).toEqual(new Map([['photo', 1]]))
    expect(e.store.errors).toEqual([])
  })

  it('a photo whose display copy cannot load: its hold goes at once, the document stays as it was', async () => {
    const e = editor()
    e.opens.push(image('photo'), image('broken'))
    const first = e.actions.dispatch('file.open')
    await e.settle('photo', 'loads')
    await first
    const second = e.actions.dispatch('file.open')
    await e.settle('broken', 'fails')
    await second
    expect(e.store.doc.original?.imageId).toBe('photo')
    expect(e.store.errors.map((error) => error.message)).toEqual(['the display copy could not be decoded'])
    expect(e.released).toEqual(['broken'])
    expect(e.holds.held()).toEqual(new Map([['photo', 1]]))
  })
})

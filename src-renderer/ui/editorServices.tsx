// The editor's long-lived objects, created once per window and shared through context.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react'
import { createEditorActions, type EditorActions, type EditorContext } from '../actions/editorActions'
import { EditorStore } from '../document/editorStore'
import { call } from '../engine/api'
import { ImageCache } from '../engine/imageCache'
import { ImageHolds } from '../engine/imageHolds'
import { FaceFinder } from '../faces/faceFinder'
import { CropPreparer } from '../preview/cropPreparer'
import { LivePreview } from '../preview/livePreview'
import { UiStore } from './uiStore'

export interface EditorServices {
  store: EditorStore
  ui: UiStore
  images: ImageCache
  holds: ImageHolds
  faces: FaceFinder
  preview: LivePreview
  /** readies the photo's and references' crops for the first stroke */
  preparer: CropPreparer
  context: EditorContext
  actions: EditorActions
}

export function createEditorServices(): EditorServices {
  const store = new EditorStore()
  const ui = new UiStore()
  const images = new ImageCache()
  const faces = new FaceFinder(ui, (imageId) => call('image:faces', { imageId }))
  const holds = new ImageHolds(
    () => store.imagesInUse(),
    (imageId) => {
      images.release(imageId)
      faces.forget(imageId)
      // nothing the user could act on: at worst main keeps the image a while longer
      void call('image:release', { imageId }).catch(() => undefined)
    },
  )
  // a replaced document, a cleared history or an undo step that fell off the end may be the
  // last thing that named an image
  store.subscribe(() => holds.collect())
  const preview = new LivePreview(store, ui)
  const preparer = new CropPreparer(store, ui, (request) => call('engine:prepare', request))
  const context: EditorContext = { store, ui, images, holds, faces, preview, view: null }
  return { store, ui, images, holds, faces, preview, preparer, context, actions: createEditorActions(context) }
}

const ServicesContext = createContext<EditorServices | null>(null)

export function EditorServicesProvider({ services, children }: { services: EditorServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>
}

export function useEditor(): EditorServices {
  const services = useContext(ServicesContext)
  if (!services) throw new Error('useEditor outside EditorServicesProvider')
  return services
}

/** Re-render on any document or UI change; returns the services. */
export function useEditorState(): EditorServices {
  const services = useEditor()
  useSyncExternalStore(services.store.subscribe, services.store.getVersion)
  useSyncExternalStore(services.ui.subscribe, services.ui.getVersion)
  return services
}

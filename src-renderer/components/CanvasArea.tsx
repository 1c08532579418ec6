// The fabric canvas host: mounts the controller once, handles drag-and-drop of photos.
import { useEffect, useRef, useState, type DragEvent } from 'react'
import { CanvasController } from '../canvas/canvasController'
import { isCheckpointName } from '../models/downloads'
import { useEditor, useEditorState } from '../ui/editorServices'
import { CompareView } from './CompareView'
import { FacePicker } from './FacePicker'

export function CanvasArea() {
  const services = useEditor()
  const { store, ui } = useEditorState()
  const hostRef = useRef<HTMLDivElement>(null)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const controllerRef = useRef<CanvasController | null>(null)
  const [dragOver, setDragOver] = useState(false)
  const [viewport, setViewport] = useState('')

  useEffect(() => {
    const host = hostRef.current
    const element = canvasRef.current
    if (!host || !element) return
    const controller = new CanvasController(element, host, services.store, services.ui, services.images, services.faces, services.actions, () => services.preview.mixDragStart())
    controllerRef.current = controller
    services.context.view = controller
    const update = () => setViewport(controller.canvas.viewportTransform.map((v) => v.toFixed(4)).join(','))
    const off = controller.canvas.on('after:render', update)
    return () => {
      off()
      services.context.view = null
      controllerRef.current = null
      controller.dispose()
    }
  }, [services])

  const onDrop = async (e: DragEvent) => {
    e.preventDefault()
    setDragOver(false)
    const file = e.dataTransfer.files[0]
    if (!file) return
    if (isCheckpointName(file.name)) {
      await services.actions.dispatch('model.importDroppedCheckpoint', { file })
      return
    }
    const bytes = new Uint8Array(await file.arrayBuffer())
    const purpose = store.doc.original && e.shiftKey ? 'reference' : 'original'
    await services.actions.dispatch('file.importDropped', { name: file.name, bytes, purpose })
  }

  const photo = store.doc.original
  return (
    <section
      className={`canvas-area${dragOver ? ' drag-over' : ''}`}
      aria-label="Photo canvas"
      data-viewport={viewport}
      data-tool={store.tool}
      onDragOver={(e) => {
        e.preventDefault()
        setDragOver(true)
      }}
      onDragLeave={() => setDragOver(false)}
      onDrop={(e) => void onDrop(e)}
    >
      <div className="canvas-host" ref={hostRef}>
        <canvas ref={canvasRef} aria-label="Editing canvas" />
      </div>
      {photo && <FacePicker viewport={viewport} />}
      {!photo && (
        <div className="empty-state">
          <h1>Stylemap Studio</h1>
          <p>Open a photo to start: File › Open, the Open button, or drop a photo here.</p>
          <button type="button" className="primary" onClick={() => void services.actions.dispatch('file.open')}>
            Open photo…
          </button>
        </div>
      )}
      {store.target.kind === 'reference' && (
        <div className="canvas-banner" role="status">
          Placing the crop frame on {store.doc.references.find((l) => l.id === (store.target as { layerId: string }).layerId)?.name}
          <button type="button" onClick={() => void services.actions.dispatch('layer.editCrop', { layerId: null })}>
            Done
          </button>
        </div>
      )}
      {ui.previewBusy && (
        <div className="busy" role="progressbar" aria-label="Rendering preview" aria-busy="true">
          <span className="spinner" /> Rendering…
        </div>
      )}
      {ui.holdCompare && <div className="canvas-banner subtle">Original</div>}
      {ui.compareOpen && <CompareView />}
    </section>
  )
}

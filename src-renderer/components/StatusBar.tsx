// Engine and document status along the bottom.
import { reachesPastPhoto } from '../document/frame'
import { useEditorState } from '../ui/editorServices'

export function StatusBar() {
  const { store, ui } = useEditorState()
  const info = ui.appInfo
  const photo = store.doc.original ? store.doc.images[store.doc.original.imageId] : null
  const crop = store.doc.original?.crop
  // the crop shown on the canvas: the photo's, or the reference's being placed
  const framed = store.croppedTarget()
  const framedImage = framed ? store.doc.images[framed.imageId] : null
  const mirrored = framed && framedImage ? reachesPastPhoto(framed.crop, framedImage.width, framedImage.height) : false
  return (
    <footer className="statusbar" aria-label="Status bar">
      <span aria-label="Execution provider">Device: {info?.executionProvider ?? '…'}</span>
      <span aria-label="Active model">Model: {ui.activeModel?.name ?? '…'}</span>
      <span aria-label="Last render time">Last render: {ui.lastRenderMs === null ? '—' : `${Math.round(ui.lastRenderMs)} ms${ui.preview?.draft ? ' (draft)' : ''}`}</span>
      {photo && (
        <span aria-label="Photo size">
          {photo.name} · {photo.width} × {photo.height}
          {crop ? ` · crop ${crop.size}px at ${crop.x},${crop.y}${crop.angle === undefined ? '' : ` turned ${crop.angle}°`}` : ''}
        </span>
      )}
      {mirrored && (
        <span
          aria-label="Frame hint"
          className="hint"
          title="The frame reaches past the edge of the image. The model sees the image mirrored in the hatched part; only the image's own pixels are edited, and it keeps its size."
        >
          mirrored past the edge
        </span>
      )}
      <span aria-label="Project">
        {store.projectName ?? 'Untitled'}
        {store.dirty ? ' •' : ''}
      </span>
      <span className="spacer" />
      {(ui.task || ui.previewBusy || ui.preparing) && (
        <span role="status" aria-label="Busy">
          <span className="spinner small" /> {ui.task ?? (ui.previewBusy ? 'Rendering preview…' : 'Preparing crops…')}
        </span>
      )}
      {ui.notice && !ui.task && (
        <span role="status" aria-label="Notice">
          {ui.notice}
        </span>
      )}
    </footer>
  )
}

// The face picker: while the crop frame is placed on an image with two or more faces, a box
// around each, the chosen one marked. Clicking a box (on the canvas, see CanvasController) or
// its number frames that face.
import { clampCrop } from '../document/frame'
import { chosenFace } from '../faces/faces'
import { useEditorState } from '../ui/editorServices'

/** `viewport` is fabric's view transform as CanvasArea publishes it ("a,b,c,d,e,f"). */
export function FacePicker({ viewport }: { viewport: string }) {
  const { store, ui, actions } = useEditorState()
  const framed = store.croppedTarget()
  if (!framed || !store.placingCrop || !ui.activeModel?.alignsFaces || !viewport) return null
  const { imageId, crop } = framed
  const faces = ui.faces[imageId]
  if (!faces || faces.length < 2) return null
  const info = store.doc.images[imageId]
  const chosen = chosenFace(faces, crop, (c) => clampCrop(c, info.width, info.height))
  const [zoom, , , , dx, dy] = viewport.split(',').map(Number)
  return (
    <div className="face-picker" role="group" aria-label="Faces">
      {faces.map((face, i) => {
        const [x, y, w, h] = face.box
        const style = { left: x * zoom + dx, top: y * zoom + dy, width: w * zoom, height: h * zoom }
        const label = `Face ${i + 1} of ${faces.length}`
        return (
          <div key={i} className={`face-box${i === chosen ? ' chosen' : ''}`} style={style} data-face={i} aria-label={label} role="img">
            <button
              type="button"
              className="face-tag"
              aria-label={`Frame face ${i + 1}`}
              aria-pressed={i === chosen}
              disabled={!face.crop}
              onClick={() => void actions.dispatch('crop.pickFace', { index: i })}
            >
              {i + 1}
            </button>
          </div>
        )
      })}
    </div>
  )
}

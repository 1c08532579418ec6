// Before/after over the preview's region (the crop square, or a turned frame's bounding box):
// the photo there (before) and the preview (after).
import { useEffect, useState } from 'react'
import { ReactCompareSlider, ReactCompareSliderImage } from 'react-compare-slider'
import { useEditor, useEditorState } from '../ui/editorServices'

export function CompareView() {
  const services = useEditor()
  const { store, ui, images } = useEditorState()
  const [before, setBefore] = useState<string | null>(null)
  const [position, setPosition] = useState(50)
  const frame = ui.preview
  const original = store.doc.original

  // the "before" is cut from the display copy at the preview's size and region
  useEffect(() => {
    let live = true
    if (!frame || !original) {
      setBefore(null)
      return
    }
    void images.get(original.imageId).then((display) => {
      if (!live) return
      const s = display.width / display.fullWidth
      const canvas = document.createElement('canvas')
      canvas.width = frame.width
      canvas.height = frame.height
      const ctx = canvas.getContext('2d')
      if (!ctx) return
      ctx.imageSmoothingQuality = 'high'
      const { x, y, width, height } = frame.region
      ctx.drawImage(display.element, x * s, y * s, width * s, height * s, 0, 0, frame.width, frame.height)
      setBefore(canvas.toDataURL('image/png'))
    })
    return () => {
      live = false
    }
  }, [frame, original, images])

  return (
    <div className="compare" role="region" aria-label="Before and after">
      <div className="compare-head">
        <span>Before / after ({Math.round(position)}%)</span>
        <button type="button" onClick={() => void services.actions.dispatch('compare.toggle')}>
          Close
        </button>
      </div>
      {frame && before ? (
        <ReactCompareSlider
          className="compare-slider"
          aria-label="Before and after slider"
          onPositionChange={setPosition}
          itemOne={<ReactCompareSliderImage src={before} alt="Before" />}
          itemTwo={<ReactCompareSliderImage src={frame.pastedUrl} alt="After" />}
        />
      ) : (
        <p className="muted">Paint a mask on a reference layer to see a result here.</p>
      )}
    </div>
  )
}

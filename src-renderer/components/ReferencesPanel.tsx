// Reference photos, one mask layer each: select, show/hide, strength, crop, order, clear,
// invert, remove.
import { useEffect, useState } from 'react'
import type { ReferenceLayer } from '../document/editorDocument'
import { useEditor, useEditorState } from '../ui/editorServices'
import { useGestureKey } from '../ui/useGestureKey'

function Thumbnail({ layer }: { layer: ReferenceLayer }) {
  const { images, store } = useEditor()
  const [url, setUrl] = useState<string | null>(null)
  const info = store.doc.images[layer.imageId]
  useEffect(() => {
    let live = true
    void images.get(layer.imageId).then((d) => live && setUrl(d.url)).catch(() => undefined)
    return () => {
      live = false
    }
  }, [images, layer.imageId])
  // show the crop region of the reference, like the model sees it
  const scale = 48 / layer.crop.size
  return (
    <div className="thumb" style={{ borderColor: layer.color }}>
      {url && info && (
        <img
          src={url}
          alt={`${layer.name} thumbnail`}
          style={{
            width: info.width * scale,
            height: info.height * scale,
            transform: `translate(${-layer.crop.x * scale}px, ${-layer.crop.y * scale}px)`,
          }}
        />
      )}
    </div>
  )
}

function StrengthSlider({ layer }: { layer: ReferenceLayer }) {
  const { actions, preview } = useEditor()
  const gesture = useGestureKey(`strength:${layer.id}`)
  return (
    <label className="inline small" onClick={(e) => e.stopPropagation()}>
      Strength
      <input
        type="range"
        aria-label={`Strength of ${layer.name}`}
        min={0}
        max={1}
        step={0.05}
        value={layer.strength}
        onPointerDown={() => {
          gesture.start()
          preview.mixDragStart()
        }}
        onFocus={gesture.start}
        onChange={(e) => void actions.dispatch('layer.set', { layerId: layer.id, patch: { strength: Number(e.target.value) }, mergeKey: gesture.key() })}
      />
      <output>{layer.strength.toFixed(2)}</output>
    </label>
  )
}

export function ReferencesPanel() {
  const { store, actions } = useEditorState()
  const layers = store.doc.references
  const hasPhoto = !!store.doc.original
  return (
    <section className="panel" aria-label="References">
      <div className="panel-head">
        <h2>References</h2>
        <button type="button" aria-label="Add reference photo" disabled={!hasPhoto} onClick={() => void actions.dispatch('file.openReference')}>
          + Add
        </button>
      </div>
      {layers.length === 0 && <p className="muted">{hasPhoto ? 'Add a reference photo, then paint where it should show.' : 'Open a photo first.'}</p>}
      <ul className="layers" role="listbox" aria-label="Reference layers">
        {layers.map((layer, index) => {
          const active = layer.id === store.activeLayerId
          return (
            <li
              key={layer.id}
              role="option"
              aria-selected={active}
              aria-label={layer.name}
              className={`layer${active ? ' active' : ''}`}
              onClick={() => void actions.dispatch('layer.select', { layerId: layer.id })}
            >
              <div className="layer-row">
                <Thumbnail layer={layer} />
                <div className="layer-main">
                  <div className="layer-title">
                    <span className="swatch" style={{ background: layer.color }} />
                    <span className="name" title={layer.name}>
                      {layer.name}
                    </span>
                  </div>
                  <StrengthSlider layer={layer} />
                  <div className="small muted" aria-label={`Crop of ${layer.name}`}>
                    Crop {layer.crop.size}px at {layer.crop.x},{layer.crop.y}
                    {layer.crop.angle === undefined ? '' : ` turned ${layer.crop.angle}°`}
                  </div>
                  {(layer.offset.dx !== 0 || layer.offset.dy !== 0) && (
                    <div className="small muted" aria-label={`Offset of ${layer.name}`}>
                      Offset {layer.offset.dx}, {layer.offset.dy} px{' '}
                      <button type="button" className="link" onClick={() => void actions.dispatch('layer.set', { layerId: layer.id, patch: { offset: { dx: 0, dy: 0 } } })}>
                        reset
                      </button>
                    </div>
                  )}
                </div>
              </div>
              <div className="layer-actions" onClick={(e) => e.stopPropagation()}>
                <button
                  type="button"
                  aria-label={layer.visible ? `Hide ${layer.name}` : `Show ${layer.name}`}
                  aria-pressed={!layer.visible}
                  onClick={() => void actions.dispatch('layer.set', { layerId: layer.id, patch: { visible: !layer.visible } })}
                >
                  {layer.visible ? 'Hide' : 'Show'}
                </button>
                <button type="button" aria-label={`Crop ${layer.name}`} onClick={() => void actions.dispatch('layer.editCrop', { layerId: layer.id })}>
                  Crop
                </button>
                <button type="button" aria-label={`Clear mask of ${layer.name}`} onClick={() => void actions.dispatch('mask.clear', { layerId: layer.id })}>
                  Clear
                </button>
                <button type="button" aria-label={`Invert mask of ${layer.name}`} onClick={() => void actions.dispatch('mask.invert', { layerId: layer.id })}>
                  Invert
                </button>
                <button type="button" aria-label={`Move ${layer.name} up`} disabled={index === 0} onClick={() => void actions.dispatch('layer.move', { layerId: layer.id, toIndex: index - 1 })}>
                  ↑
                </button>
                <button
                  type="button"
                  aria-label={`Move ${layer.name} down`}
                  disabled={index === layers.length - 1}
                  onClick={() => void actions.dispatch('layer.move', { layerId: layer.id, toIndex: index + 1 })}
                >
                  ↓
                </button>
                <button type="button" className="danger" aria-label={`Remove ${layer.name}`} onClick={() => void actions.dispatch('layer.remove', { layerId: layer.id })}>
                  ✕
                </button>
              </div>
            </li>
          )
        })}
      </ul>
    </section>
  )
}

// Random generation through the mapping network, and a W morph between the photo and a reference.
import { useState } from 'react'
import { useEditorState } from '../ui/editorServices'
import { Dialog } from './Dialog'

export function GenerateDialog() {
  const { store, ui, actions } = useEditorState()
  const [seed, setSeed] = useState(1)
  const [truncation, setTruncation] = useState(0.7)
  const [t, setT] = useState(0.5)
  const canRandom = ui.activeModel?.capabilities.random ?? true
  const layer = store.activeLayer()
  return (
    <Dialog title="Random & morph" wide>
      <div className="generate">
        <section aria-label="Random generation">
          <h3>Random</h3>
          {!canRandom && <p className="muted">This model has no mapping network.</p>}
          <label className="row">
            Seed
            <input type="number" aria-label="Seed" min={0} value={seed} onChange={(e) => setSeed(Math.max(0, Math.floor(Number(e.target.value) || 0)))} />
            <button type="button" onClick={() => setSeed(Math.floor(Math.random() * 1e6))}>
              Shuffle
            </button>
          </label>
          <label className="row">
            Truncation ψ
            <input type="range" aria-label="Truncation" min={0} max={1.5} step={0.05} value={truncation} onChange={(e) => setTruncation(Number(e.target.value))} />
            <output>{truncation.toFixed(2)}</output>
          </label>
          <button type="button" className="primary" disabled={!canRandom || !!ui.task} onClick={() => void actions.dispatch('generate.random', { seed, truncation })}>
            Generate
          </button>
        </section>
        <section aria-label="Morph">
          <h3>Morph</h3>
          <p className="small muted">{layer ? `From the photo's crop to ${layer.name}` : 'Needs a photo and a selected reference.'}</p>
          <label className="row">
            t
            <input type="range" aria-label="Morph amount" min={0} max={1} step={0.05} value={t} onChange={(e) => setT(Number(e.target.value))} />
            <output>{t.toFixed(2)}</output>
          </label>
          <button type="button" className="primary" disabled={!layer || !!ui.task} onClick={() => void actions.dispatch('generate.morph', { t })}>
            Morph
          </button>
        </section>
        <section aria-label="Generated image" className="generated">
          {ui.generated ? (
            <>
              <img src={ui.generated.url} alt="Generated image" />
              <p className="small muted">{ui.generated.label}</p>
              <div className="row">
                <button type="button" onClick={() => void actions.dispatch('generate.save')}>
                  Save image…
                </button>
                <button type="button" onClick={() => void actions.dispatch('generate.useAsReference')}>
                  {store.doc.original ? 'Use as reference' : 'Edit this image'}
                </button>
              </div>
            </>
          ) : (
            <p className="muted">Nothing generated yet.</p>
          )}
        </section>
      </div>
    </Dialog>
  )
}

// Mixing space, paste-back feather and detail, and the advanced coarse/fine strengths.
import { useEditorState } from '../ui/editorServices'
import { useGestureKey } from '../ui/useGestureKey'

export function SettingsPanel() {
  const { store, ui, actions, preview } = useEditorState()
  const s = store.doc.settings
  const wplus = ui.activeModel?.capabilities.wplus ?? true
  const feather = useGestureKey('feather')
  const coarse = useGestureKey('coarseStrength')
  const fine = useGestureKey('fineStrength')
  const set = (patch: Parameters<typeof store.setSettings>[0], mergeKey?: string) => void actions.dispatch('settings.set', { patch, mergeKey })
  return (
    <section className="panel" aria-label="Edit settings">
      <h2>Mixing</h2>
      <div className="segmented" role="radiogroup" aria-label="Mixing space">
        <button type="button" role="radio" aria-checked={s.space === 'w'} className={s.space === 'w' ? 'active' : ''} onClick={() => set({ space: 'w' })}>
          W (smooth)
        </button>
        <button
          type="button"
          role="radio"
          aria-checked={s.space === 'wplus'}
          disabled={!wplus}
          className={s.space === 'wplus' ? 'active' : ''}
          onClick={() => set({ space: 'wplus' })}
          title={wplus ? 'Follows the brush closely' : 'This model has no resizer/synthesis graphs: W+ is not available'}
        >
          W+ (sharp)
        </button>
      </div>
      <label className="row">
        Edge feather
        <input
          type="range"
          aria-label="Edge feather"
          min={0}
          max={64}
          step={1}
          value={s.feather}
          onPointerDown={feather.start}
          onFocus={feather.start}
          onChange={(e) => set({ feather: Number(e.target.value) }, feather.key())}
        />
        <output>{s.feather}px</output>
      </label>
      <label className="row" title="Adds the fine detail the model cannot draw at this size: from the reference where it shows, from the photo elsewhere">
        <input type="checkbox" aria-label="Detail" checked={s.detail} onChange={(e) => set({ detail: e.target.checked })} />
        Detail from the photos
      </label>
      <details className="advanced">
        <summary>Advanced</summary>
        <p className="small muted">Separate strengths for coarse (shape) and fine (texture) styles, W+ only.</p>
        {(['coarseStrength', 'fineStrength'] as const).map((key) => {
          const value = s[key]
          const label = key === 'coarseStrength' ? 'Coarse strength' : 'Fine strength'
          const gesture = key === 'coarseStrength' ? coarse : fine
          return (
            <div className="row" key={key}>
              <label className="inline">
                <input
                  type="checkbox"
                  aria-label={`Override ${label.toLowerCase()}`}
                  checked={value !== undefined}
                  disabled={s.space !== 'wplus'}
                  onChange={(e) => set({ [key]: e.target.checked ? 1 : undefined })}
                />
                {label}
              </label>
              <input
                type="range"
                aria-label={label}
                min={0}
                max={1}
                step={0.05}
                disabled={value === undefined || s.space !== 'wplus'}
                value={value ?? 1}
                onPointerDown={() => {
                  gesture.start()
                  preview.mixDragStart()
                }}
                onFocus={gesture.start}
                onChange={(e) => set({ [key]: Number(e.target.value) }, gesture.key())}
              />
              <output>{value === undefined ? 'layer' : value.toFixed(2)}</output>
            </div>
          )
        })}
      </details>
    </section>
  )
}

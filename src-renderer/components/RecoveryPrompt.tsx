import { useEditorState } from '../ui/editorServices'

export function RecoveryPrompt() {
  const { ui, actions } = useEditorState()
  const r = ui.recovery
  if (!r) return null
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-label="Recover unsaved work">
        <h2>Recover unsaved work?</h2>
        <p>
          Stylemap Studio did not close cleanly. Unsaved work{r.name ? ` on ${r.name}` : ''} from {new Date(r.savedAt).toLocaleString()} can be restored.
        </p>
        <div className="dialog-actions">
          <button type="button" onClick={() => void actions.dispatch('recovery.discard')}>
            Discard
          </button>
          <button type="button" className="primary" onClick={() => void actions.dispatch('recovery.accept')}>
            Recover
          </button>
        </div>
      </div>
    </div>
  )
}

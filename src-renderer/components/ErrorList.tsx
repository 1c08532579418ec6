// Errors as readable messages with the engine's code; dismissible, never blocking.
import { useEditorState } from '../ui/editorServices'

export function ErrorList() {
  const { store, actions } = useEditorState()
  if (store.errors.length === 0) return null
  return (
    <div className="errors">
      {store.errors.map((e) => (
        <div key={e.id} role="alert" className="error">
          <strong className="code">{e.code}</strong>
          <span>{e.message}</span>
          <button type="button" aria-label="Dismiss error" onClick={() => void actions.dispatch('error.dismiss', { id: e.id })}>
            ✕
          </button>
        </div>
      ))}
    </div>
  )
}

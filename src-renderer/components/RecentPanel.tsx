import { useEditorState } from '../ui/editorServices'

export function RecentPanel() {
  const { ui, actions } = useEditorState()
  if (ui.recents.length === 0) return null
  return (
    <section className="panel" aria-label="Recent files">
      <div className="panel-head">
        <h2>Recent</h2>
        <button type="button" aria-label="Clear recent files" onClick={() => void actions.dispatch('recent.clear')}>
          Clear
        </button>
      </div>
      <ul className="recents">
        {ui.recents.slice(0, 8).map((r) => (
          <li key={r.id}>
            <button type="button" className="link" title={r.location} onClick={() => void actions.dispatch('file.openRecent', { id: r.id })}>
              {r.kind === 'project' ? '▣' : '▢'} {r.name}
            </button>
          </li>
        ))}
      </ul>
    </section>
  )
}

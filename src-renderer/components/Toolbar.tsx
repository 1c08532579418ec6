// The top toolbar: file commands, undo/redo, tools, brush, zoom, preview and panels.
import { keysFor, withKeys } from '../actions/shortcuts'
import type { Tool } from '../document/editorStore'
import { useEditorState } from '../ui/editorServices'

const tools: { tool: Tool; label: string }[] = [
  { tool: 'brush', label: 'Brush' },
  { tool: 'eraser', label: 'Eraser' },
  { tool: 'crop', label: 'Crop' },
  { tool: 'offset', label: 'Offset' },
  { tool: 'pan', label: 'Pan' },
]

export function Toolbar() {
  const { store, ui, actions } = useEditorState()
  const history = store.historyInfo()
  const hasPhoto = !!store.doc.original
  const settings = store.doc.settings
  return (
    <header className="toolbar" role="toolbar" aria-label="Main toolbar">
      <div className="group">
        <button type="button" onClick={() => void actions.dispatch('file.open')} title={withKeys('Open photo', 'file.open')}>
          Open
        </button>
        <button type="button" aria-label="Add reference" disabled={!hasPhoto} onClick={() => void actions.dispatch('file.openReference')} title={withKeys('Add reference', 'file.openReference')}>
          + Reference
        </button>
        <button type="button" onClick={() => void actions.dispatch('project.open')} title={withKeys('Open project', 'project.open')}>
          Open project
        </button>
        <button type="button" disabled={!hasPhoto} onClick={() => void actions.dispatch('project.save')} title={withKeys('Save project', 'project.save')}>
          Save
        </button>
        <button type="button" disabled={!hasPhoto} onClick={() => void actions.dispatch('dialog.open', { dialog: 'export' })} title={withKeys('Export', 'dialog.open', { dialog: 'export' })}>
          Export
        </button>
      </div>
      <div className="group">
        <button type="button" aria-label="Undo" disabled={!history.canUndo} title={withKeys(`Undo ${history.undoLabel ?? ''}`, 'edit.undo')} onClick={() => void actions.dispatch('edit.undo')}>
          ↶
        </button>
        <button type="button" aria-label="Redo" disabled={!history.canRedo} title={withKeys(`Redo ${history.redoLabel ?? ''}`, 'edit.redo')} onClick={() => void actions.dispatch('edit.redo')}>
          ↷
        </button>
      </div>
      <div className="group" role="radiogroup" aria-label="Tool">
        {tools.map((t) => (
          <button
            key={t.tool}
            type="button"
            role="radio"
            aria-checked={store.tool === t.tool}
            className={store.tool === t.tool ? 'active' : ''}
            title={withKeys(t.label, 'tool.set', { tool: t.tool })}
            onClick={() => void actions.dispatch('tool.set', { tool: t.tool })}
          >
            {t.label}
          </button>
        ))}
      </div>
      {store.placingCrop && hasPhoto && (
        <div className="group">
          <button type="button" title={withKeys('Reset frame: the default square, unturned', 'crop.reset')} onClick={() => void actions.dispatch('crop.reset')}>
            Reset frame
          </button>
        </div>
      )}
      <div className="group">
        <label className="inline">
          Size
          <input
            type="range"
            aria-label="Brush size"
            min={1}
            max={400}
            value={Math.min(400, store.brush.size)}
            onChange={(e) => void actions.dispatch('brush.set', { size: Number(e.target.value) })}
          />
          <output aria-label="Brush size value">{store.brush.size}px</output>
        </label>
        <label className="inline">
          Hardness
          <input
            type="range"
            aria-label="Brush hardness"
            min={0}
            max={1}
            step={0.1}
            value={store.brush.hardness}
            onChange={(e) => void actions.dispatch('brush.set', { hardness: Number(e.target.value) })}
          />
        </label>
      </div>
      <div className="group">
        <button type="button" aria-label="Zoom out" title={withKeys('Zoom out', 'view.zoomOut')} onClick={() => void actions.dispatch('view.zoomOut')}>
          −
        </button>
        <output className="zoom" aria-label="Zoom level">
          {hasPhoto ? `${Math.round(ui.zoom * 100)}%` : '—'}
        </output>
        <button type="button" aria-label="Zoom in" title={withKeys('Zoom in', 'view.zoomIn')} onClick={() => void actions.dispatch('view.zoomIn')}>
          +
        </button>
        <button type="button" onClick={() => void actions.dispatch('view.fit')} title={withKeys('Fit', 'view.fit')}>
          Fit
        </button>
        <button type="button" onClick={() => void actions.dispatch('view.actual')} title={withKeys('Actual size', 'view.actual')}>
          100%
        </button>
      </div>
      <div className="group">
        <label className="inline">
          <input
            type="checkbox"
            aria-label="Live preview"
            checked={settings.livePreview}
            onChange={(e) => void actions.dispatch('settings.set', { patch: { livePreview: e.target.checked } })}
          />
          Live
        </label>
        <label className="inline" title={withKeys('Show the mask colours', 'view.toggleMasks')}>
          <input type="checkbox" aria-label="Show masks" checked={ui.showMasks} onChange={() => void actions.dispatch('view.toggleMasks')} />
          Masks
        </label>
        <button type="button" disabled={!hasPhoto} onClick={() => void actions.dispatch('preview.render')} title={withKeys('Render now', 'preview.render')}>
          Render
        </button>
        <button
          type="button"
          aria-pressed={ui.compareOpen}
          disabled={!hasPhoto}
          onClick={() => void actions.dispatch('compare.toggle')}
          title={`${withKeys('Before / after', 'compare.toggle')}; ${keysFor('compare.hold', { on: true })}: see the original`}
        >
          Compare
        </button>
      </div>
      <div className="group end">
        <button type="button" onClick={() => void actions.dispatch('dialog.open', { dialog: 'generate' })}>
          Random/morph
        </button>
        <button type="button" title={withKeys('Models', 'dialog.open', { dialog: 'models' })} onClick={() => void actions.dispatch('dialog.open', { dialog: 'models' })}>
          Models
        </button>
        <button type="button" aria-label="Keyboard shortcuts" title={withKeys('Keyboard shortcuts', 'dialog.open', { dialog: 'shortcuts' })} onClick={() => void actions.dispatch('dialog.open', { dialog: 'shortcuts' })}>
          ?
        </button>
      </div>
    </header>
  )
}

// A plain modal panel with a title; Esc and the close button dismiss it.
import type { ReactNode } from 'react'
import { useEditor } from '../ui/editorServices'

export function Dialog({ title, children, wide }: { title: string; children: ReactNode; wide?: boolean }) {
  const { actions } = useEditor()
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && void actions.dispatch('dialog.close')}>
      <div className={`dialog${wide ? ' wide' : ''}`} role="dialog" aria-modal="true" aria-label={title}>
        <div className="dialog-head">
          <h2>{title}</h2>
          <button type="button" aria-label="Close" onClick={() => void actions.dispatch('dialog.close')}>
            ✕
          </button>
        </div>
        {children}
      </div>
    </div>
  )
}

// Export the edit at full resolution: format and quality; main asks where.
import { useState } from 'react'
import type { ExportFormat } from '../../src-shared/contract'
import { useEditorState } from '../ui/editorServices'
import { Dialog } from './Dialog'

export function ExportDialog() {
  const { store, ui, actions } = useEditorState()
  const [format, setFormat] = useState<ExportFormat>('original')
  const [quality, setQuality] = useState(92)
  const photo = store.doc.original ? store.doc.images[store.doc.original.imageId] : null
  const lossy = format === 'jpeg' || format === 'webp' || (format === 'original' && photo?.format !== 'png')
  return (
    <Dialog title="Export">
      <p className="muted">
        The whole photo at full resolution{photo ? ` (${photo.width} × ${photo.height})` : ''}; pixels outside the masks stay exactly as they were.
      </p>
      <label className="row">
        Format
        <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
          <option value="original">Same as the photo{photo ? ` (${photo.format.toUpperCase()})` : ''}</option>
          <option value="png">PNG</option>
          <option value="jpeg">JPEG</option>
          <option value="webp">WebP</option>
        </select>
      </label>
      <label className="row">
        Quality
        <input type="range" aria-label="Quality" min={1} max={100} value={quality} disabled={!lossy} onChange={(e) => setQuality(Number(e.target.value))} />
        <output>{quality}</output>
      </label>
      <div className="dialog-actions">
        <button type="button" onClick={() => void actions.dispatch('dialog.close')}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={!photo || !!ui.task} onClick={() => void actions.dispatch('file.export', { format, quality })}>
          {ui.task ? 'Exporting…' : 'Export…'}
        </button>
      </div>
    </Dialog>
  )
}

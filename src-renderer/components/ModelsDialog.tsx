// The model picker: bundled and imported models, info and licence, import (a model folder or a
// checkpoint), the released checkpoints to download (Models › Add), device report.
import { useEffect } from 'react'
import { useEditorState } from '../ui/editorServices'
import { checkpointJob, upgradeJob } from '../../src-shared/contract'
import { downloadState, loadCatalog } from '../models/downloads'
import { AddModels, JobStatus } from './AddModels'
import { Dialog } from './Dialog'

export function ModelsDialog() {
  const { ui, actions } = useEditorState()
  const info = ui.appInfo
  useEffect(() => {
    void loadCatalog(ui)
  }, [ui])
  return (
    <Dialog title="Models" wide>
      <ul className="models" aria-label="Available models">
        {ui.models.map((m) => (
          <li key={m.id} className={m.active ? 'active' : ''} aria-label={m.name}>
            <div className="model-head">
              <strong>{m.name}</strong>
              {m.active ? (
                <span className="badge">In use</span>
              ) : (
                <button type="button" onClick={() => void actions.dispatch('model.select', { id: m.id })}>
                  Use this model
                </button>
              )}
            </div>
            <dl className="facts">
              <dt>Resolution</dt>
              <dd>
                {m.resolution} px, stylemap {m.stylemap.channels}×{m.stylemap.size}×{m.stylemap.size}
              </dd>
              <dt>Domain</dt>
              <dd>{m.domain ?? '—'}</dd>
              <dt>Licence</dt>
              <dd>{m.license}</dd>
              <dt>Source</dt>
              <dd>{m.source}</dd>
              <dt>Features</dt>
              <dd>
                W{m.capabilities.wplus ? ', W+' : ''}
                {m.capabilities.random ? ', random generation' : ''} · {m.builtIn ? 'bundled' : 'imported'}
              </dd>
            </dl>
            {m.upgrade === 'available' && (
              <div className="model-upgrade">
                <p>Imported by an earlier version of Stylemap Studio. Updating it gives it today's graphs, which edit faster; its weights stay as they are.</p>
                <button type="button" aria-label={`Update ${m.name}`} disabled={downloadState(ui, upgradeJob(m.id)).running} onClick={() => void actions.dispatch('model.upgrade', { id: m.id })}>
                  Update
                </button>
              </div>
            )}
            {m.upgrade === 'early' && (
              <p className="model-upgrade">Imported by an early version of Stylemap Studio, whose files cannot be updated: import its checkpoint again to edit faster.</p>
            )}
            <JobStatus job={upgradeJob(m.id)} label={`Update of ${m.name}`} />
          </li>
        ))}
      </ul>
      <div className="dialog-actions">
        <button type="button" onClick={() => void actions.dispatch('model.importCheckpoint')} disabled={ui.downloads[checkpointJob]?.running}>
          Import checkpoint…
        </button>
        <button type="button" onClick={() => void actions.dispatch('model.import')}>
          Import model folder…
        </button>
      </div>
      <JobStatus job={checkpointJob} label="Checkpoint import" onCancel={() => void actions.dispatch('model.cancelImport')} />
      <AddModels />
      {info && (
        <section aria-label="Execution providers">
          <h3>Device</h3>
          <p>
            In use: <strong>{info.executionProvider ?? 'none'}</strong>
          </p>
          <ul className="providers">
            {info.providers.map((p) => (
              <li key={p.name}>
                {p.name}: {p.status}
                {p.reason ? ` — ${p.reason}` : ''}
              </li>
            ))}
          </ul>
        </section>
      )}
    </Dialog>
  )
}

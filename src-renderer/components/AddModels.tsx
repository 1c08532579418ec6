// Models › Add: the checkpoints the StyleMapGAN authors released, each with its data set,
// resolution, licence, source and size, a Download button, and while it runs its progress
// (percentage and MB) with Cancel; what went wrong in plain words.
import { formatBytes } from '../../src-shared/catalog'
import { downloadState, overallFraction, progressText } from '../models/downloads'
import { useEditorState } from '../ui/editorServices'

/** A job's progress bar and line, Cancel while it runs (downloads or imports; when `onCancel` is given), or its error. */
export function JobStatus({ job, label, onCancel }: { job: string; label: string; onCancel?: () => void }) {
  const { ui } = useEditorState()
  const state = downloadState(ui, job)
  if (state.running) {
    const fraction = overallFraction(state.progress)
    return (
      <div className="download-status" role="status" aria-label={`${label} progress`}>
        <progress aria-label={label} max={1} value={fraction ?? undefined} style={{ width: '100%' }} />
        <span>{progressText(state.progress)}</span>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    )
  }
  if (state.error) {
    return (
      <p role="alert" aria-label={`${label} failed`}>
        {state.error.message} <small>({state.error.code})</small>
      </p>
    )
  }
  return null
}

export function AddModels() {
  const { ui, actions } = useEditorState()
  return (
    <section aria-label="Add a model">
      <h3>Add a model</h3>
      <p>
        The checkpoints the StyleMapGAN authors released. Each is downloaded, converted into a model here, and becomes the model in use. If a download gives
        a web page instead of the file, open its link in a browser and import the file you get with Import checkpoint… (or drop the .pt on the window).
      </p>
      <ul className="models" aria-label="Released checkpoints">
        {ui.catalog.map((entry) => {
          const state = downloadState(ui, entry.dataset)
          return (
            <li key={entry.dataset} aria-label={entry.title}>
              <div className="model-head">
                <strong>{entry.title}</strong>
                {entry.installed ? (
                  <span className="badge">Installed</span>
                ) : (
                  !state.running && (
                    <button type="button" aria-label={`Download ${entry.title}`} onClick={() => void actions.dispatch('model.download', { dataset: entry.dataset })}>
                      Download
                    </button>
                  )
                )}
              </div>
              <dl className="facts">
                <dt>Data set</dt>
                <dd>{entry.dataset}</dd>
                <dt>Resolution</dt>
                <dd>
                  {entry.resolution} px, stylemap {entry.stylemapSize}×{entry.stylemapSize}
                </dd>
                <dt>Licence</dt>
                <dd>{entry.license} (non-commercial use only)</dd>
                <dt>Source</dt>
                <dd>
                  {entry.repository} ({entry.fileName})
                </dd>
                <dt>Size</dt>
                <dd>about {formatBytes(entry.approxBytes)} to download</dd>
              </dl>
              <JobStatus job={entry.dataset} label={`Download of ${entry.title}`} onCancel={() => void actions.dispatch('model.cancelDownload', { dataset: entry.dataset })} />
            </li>
          )
        })}
      </ul>
    </section>
  )
}

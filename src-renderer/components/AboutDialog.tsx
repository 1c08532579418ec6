import { useEditorState } from '../ui/editorServices'
import { Dialog } from './Dialog'

export function AboutDialog() {
  const { ui } = useEditorState()
  const info = ui.appInfo
  return (
    <Dialog title="About Stylemap Studio">
      <p>
        {info ? `${info.name} ${info.version} · ${info.platform} ${info.arch}` : 'Stylemap Studio'}: local, layered editing of your own photos with
        StyleMapGAN (Kim et al., CVPR 2021).
      </p>
      <h3>Model licences</h3>
      <ul>
        {ui.models.map((m) => (
          <li key={m.id}>
            {m.name}: {m.license} ({m.source})
          </li>
        ))}
      </ul>
    </Dialog>
  )
}

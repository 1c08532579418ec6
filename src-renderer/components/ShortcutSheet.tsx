import { shortcutSheet } from '../actions/shortcuts'
import { Dialog } from './Dialog'

export function ShortcutSheet() {
  return (
    <Dialog title="Keyboard shortcuts" wide>
      <div className="shortcut-grid">
        {shortcutSheet.map((g) => (
          <section key={g.group}>
            <h3>{g.group}</h3>
            <table>
              <tbody>
                {g.rows.map(({ keys, what }) => (
                  <tr key={what}>
                    <td>
                      <kbd>{keys}</kbd>
                    </td>
                    <td>{what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ))}
      </div>
    </Dialog>
  )
}

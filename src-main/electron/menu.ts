// The application menu as data. Every item the editor acts on sends one `menu:command`
// event, so the menu, the keyboard shortcut and the tests all reach the same renderer action.
// Only electron *types* are imported: the template is unit-tested without Electron.
import type { MenuItemConstructorOptions } from 'electron'
import type { MenuCommand } from '../../src-shared/contract'
import { menuAccelerator } from '../../src-shared/shortcuts'

export interface RecentMenuEntry {
  id: string
  /** What the user sees: the file name. */
  label: string
}

export interface MenuContext {
  platform: NodeJS.Platform
  appName: string
  recent: readonly RecentMenuEntry[]
  /** Delivers a command to the focused editor window. */
  send: (command: MenuCommand, recentId?: string) => void
  /** Dev builds get a Toggle DevTools item; packaged builds do not. */
  devTools: boolean
}

/** The full menu bar for this platform. */
export function buildMenuTemplate(context: MenuContext): MenuItemConstructorOptions[] {
  const { platform, appName, recent, send } = context
  const isMac = platform === 'darwin'
  // The id is the command name, so tests can find an item with Menu.getMenuItemById(command).
  // The accelerator comes from the shortcut table (src-shared/shortcuts.ts). A key the editor
  // handles itself is shown but not registered, so one key press never runs an action twice.
  const command = (label: string, name: MenuCommand): MenuItemConstructorOptions => {
    const key = menuAccelerator(name)
    return {
      id: name,
      label,
      ...(key ? { accelerator: key.accelerator, ...(key.registered ? {} : { registerAccelerator: false }) } : {}),
      click: () => send(name),
    }
  }

  const recentItems: MenuItemConstructorOptions[] =
    recent.length === 0
      ? [{ label: 'No Recent Files', enabled: false }]
      : recent.map((entry) => ({ label: entry.label, click: () => send('openRecent', entry.id) }))

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      command('New Project', 'newProject'),
      command('Open Photo…', 'open'),
      command('Open Reference…', 'openReference'),
      command('Open Project…', 'openProject'),
      { label: 'Open Recent', submenu: recentItems },
      { type: 'separator' },
      command('Save Project', 'save'),
      command('Save Project As…', 'saveAs'),
      command('Export Image…', 'export'),
      ...(isMac ? [] : ([{ type: 'separator' }, { role: 'quit' }] as MenuItemConstructorOptions[])),
    ],
  }

  // Undo/redo go to the editor's history (strokes, layers, settings), not to text fields:
  // the renderer routes them to a focused text input itself.
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      command('Undo', 'undo'),
      command('Redo', 'redo'),
      { type: 'separator' },
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  }

  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      command('Zoom In', 'zoomIn'),
      command('Zoom Out', 'zoomOut'),
      command('Fit to Window', 'zoomFit'),
      command('Actual Size (100%)', 'zoom100'),
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(context.devTools ? ([{ type: 'separator' }, { role: 'toggleDevTools' }] as MenuItemConstructorOptions[]) : []),
    ],
  }

  // The models panel, and a released checkpoint (.pt) turned into a model; its progress and
  // Cancel show in the models panel, which the import opens.
  const models: MenuItemConstructorOptions = {
    label: '&Models',
    submenu: [command('Models…', 'models'), { type: 'separator' }, command('Import Checkpoint…', 'importCheckpoint')],
  }

  const help: MenuItemConstructorOptions = {
    label: '&Help',
    role: 'help',
    // On macOS About lives in the app menu; elsewhere at the end of Help.
    submenu: [
      command('Keyboard Shortcuts', 'shortcuts'),
      ...(isMac ? [] : ([{ type: 'separator' }, command(`About ${appName} and Model Licences`, 'about')] as MenuItemConstructorOptions[])),
    ],
  }

  const appMenu: MenuItemConstructorOptions[] = isMac
    ? [
        {
          label: appName,
          submenu: [
            command(`About ${appName} and Model Licences`, 'about'),
            { type: 'separator' },
            { role: 'services' },
            { type: 'separator' },
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            { type: 'separator' },
            { role: 'quit' },
          ],
        },
      ]
    : []

  const windowMenu: MenuItemConstructorOptions[] = isMac ? [{ role: 'windowMenu' }] : []

  return [...appMenu, file, edit, view, models, ...windowMenu, help]
}

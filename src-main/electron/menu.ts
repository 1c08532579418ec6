// The application menu as data. Every item the editor acts on sends one `menu:command`
// event, so the menu, the keyboard shortcut and the tests all reach the same renderer action.
// Only electron *types* are imported: the template is unit-tested without Electron.
import type { MenuItemConstructorOptions } from 'electron'
import type { MenuCommand } from '../../src-shared/contract'

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

/** One line of doc: the full menu bar for this platform. */
export function buildMenuTemplate(context: MenuContext): MenuItemConstructorOptions[] {
  const { platform, appName, recent, send } = context
  const isMac = platform === 'darwin'
  // The id is the command name, so tests can find an item with Menu.getMenuItemById(command).
  const command = (label: string, name: MenuCommand, accelerator?: string): MenuItemConstructorOptions => ({
    id: name,
    label,
    ...(accelerator ? { accelerator } : {}),
    click: () => send(name),
  })

  const recentItems: MenuItemConstructorOptions[] =
    recent.length === 0
      ? [{ label: 'No Recent Files', enabled: false }]
      : recent.map((entry) => ({ label: entry.label, click: () => send('openRecent', entry.id) }))

  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      command('New Project', 'newProject', 'CmdOrCtrl+N'),
      command('Open Photo…', 'open', 'CmdOrCtrl+O'),
      command('Open Reference…', 'openReference', 'CmdOrCtrl+Shift+O'),
      command('Open Project…', 'openProject', 'CmdOrCtrl+Alt+O'),
      { label: 'Open Recent', submenu: recentItems },
      { type: 'separator' },
      command('Save Project', 'save', 'CmdOrCtrl+S'),
      command('Save Project As…', 'saveAs', 'CmdOrCtrl+Shift+S'),
      command('Export Image…', 'export', 'CmdOrCtrl+E'),
      { type: 'separator' },
      command('Models…', 'models', 'CmdOrCtrl+M'),
      ...(isMac ? [] : ([{ type: 'separator' }, { role: 'quit' }] as MenuItemConstructorOptions[])),
    ],
  }

  // Undo/redo go to the editor's history (strokes, layers, settings), not to text fields:
  // the renderer routes them to a focused text input itself.
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [
      command('Undo', 'undo', 'CmdOrCtrl+Z'),
      command('Redo', 'redo', isMac ? 'Cmd+Shift+Z' : 'Ctrl+Shift+Z'),
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
      command('Zoom In', 'zoomIn', 'CmdOrCtrl+='),
      command('Zoom Out', 'zoomOut', 'CmdOrCtrl+-'),
      command('Fit to Window', 'zoomFit', 'CmdOrCtrl+0'),
      command('Actual Size (100%)', 'zoom100', 'CmdOrCtrl+1'),
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(context.devTools ? ([{ type: 'separator' }, { role: 'toggleDevTools' }] as MenuItemConstructorOptions[]) : []),
    ],
  }

  const help: MenuItemConstructorOptions = {
    label: '&Help',
    role: 'help',
    // On macOS About lives in the app menu; elsewhere at the end of Help.
    submenu: [
      command('Keyboard Shortcuts', 'shortcuts', 'CmdOrCtrl+/'),
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

  return [...appMenu, file, edit, view, ...windowMenu, help]
}

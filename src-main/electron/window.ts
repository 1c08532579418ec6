// The editor window: locked-down web preferences, remembered bounds, and the renderer
// loaded from app:// (or the dev server in development).
import { BrowserWindow, screen } from 'electron'
import { fitToDisplays, loadWindowState, minWindowSize, saveWindowState, type WindowState } from './windowState'

export interface EditorWindowOptions {
  title: string
  preload: string
  icon: string
  /** app://stylemap/index.html, or the dev server's URL */
  url: string
  stateFile: string
  devTools: boolean
}

/** Creates, positions and loads the editor window. */
export async function createEditorWindow(options: EditorWindowOptions): Promise<BrowserWindow> {
  const saved = await loadWindowState(options.stateFile)
  const state = fitToDisplays(
    saved,
    screen.getAllDisplays().map((d) => d.workArea),
  )
  const window = new BrowserWindow({
    title: options.title,
    icon: options.icon,
    width: state.width,
    height: state.height,
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : { center: true }),
    minWidth: minWindowSize.width,
    minHeight: minWindowSize.height,
    show: false,
    backgroundColor: '#14182a',
    autoHideMenuBar: false,
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.devTools,
    },
  })
  if (state.maximized) window.maximize()
  window.once('ready-to-show', () => window.show())
  rememberBounds(window, options.stateFile)
  await window.loadURL(options.url)
  return window
}

/** Saves the window's normal (un-maximised) bounds shortly after each move/resize and on close. */
function rememberBounds(window: BrowserWindow, file: string): void {
  let timer: NodeJS.Timeout | null = null
  const snapshot = (): WindowState => {
    const bounds = window.getNormalBounds()
    return { version: 1, x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height, maximized: window.isMaximized() }
  }
  const save = (state: WindowState) => {
    saveWindowState(file, state).catch((error: unknown) => console.warn(`window state not saved: ${String(error)}`))
  }
  const schedule = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = null
      if (!window.isDestroyed()) save(snapshot())
    }, 500)
  }
  window.on('resize', schedule)
  window.on('move', schedule)
  window.on('maximize', schedule)
  window.on('unmaximize', schedule)
  window.on('close', () => {
    if (timer) clearTimeout(timer)
    save(snapshot())
  })
}

// Electron main: wires the window, the menu, native dialogs and IPC to the app layer
// (src-main/app) and the engine process. Everything with logic lives in plain modules beside
// this one (src-main/electron/*) and is unit-tested without Electron.
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { app, dialog, ipcMain, Menu, protocol, type BrowserWindow } from 'electron'
import { channels, type MenuCommand } from '../src-shared/contract'
import { dispatch } from './app/dispatch'
import { createApp } from './app/handlers'
import { createFileRecentStore, type RecentStore } from './app/recent'
import { createEngineClient } from './electron/engineProcess'
import { emitEvent } from './electron/events'
import { registerIpcHandlers } from './electron/ipc'
import { buildMenuTemplate } from './electron/menu'
import { createNativeDialogs } from './electron/nativeDialogs'
import { appPaths } from './electron/paths'
import { appOrigin, appScheme, rendererResponseHeaders, resolveRendererFile } from './electron/rendererProtocol'
import { applySecurityPolicy } from './electron/security'
import { createStubDialogs } from './electron/stubDialogs'
import { testHooks } from './electron/testHooks'
import { createVerifySpawn } from './electron/verifyProcess'
import { createEditorWindow } from './electron/window'

// STYLEMAP_E2E=1 hooks for end-to-end tests; always null in an installed (packaged) app.
const e2e = testHooks(process.env, app.isPackaged)
// End-to-end tests run each launch in its own profile (and so past the single-instance lock).
if (e2e?.userDataDir) app.setPath('userData', e2e.userDataDir)

// Must happen before `ready`: app:// is a standard, secure origin for our page only.
protocol.registerSchemesAsPrivileged([{ scheme: appScheme, privileges: { standard: true, secure: true, supportFetchAPI: true } }])

const devServerUrl = !app.isPackaged && process.env.ELECTRON_RENDERER_URL ? process.env.ELECTRON_RENDERER_URL : null
const devServerOrigin = devServerUrl ? new URL(devServerUrl).origin : null

if (!app.requestSingleInstanceLock()) {
  // Another Stylemap Studio is running: it gets focused (see 'second-instance'), we leave.
  app.quit()
} else {
  start().catch((error: unknown) => {
    dialog.showErrorBox('Stylemap Studio could not start', error instanceof Error ? (error.stack ?? error.message) : String(error))
    app.exit(1)
  })
}

async function start(): Promise<void> {
  let mainWindow: BrowserWindow | null = null
  let rendererGone = false

  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })

  await app.whenReady()
  const paths = appPaths({ isPackaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath(), mainDir: import.meta.dirname })
  const userData = app.getPath('userData')

  applySecurityPolicy({ devServerOrigin })
  protocol.handle(appScheme, async (request) => {
    const target = resolveRendererFile(paths.renderer, request.url)
    if (!target.ok) return new Response(target.reason, { status: target.status, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
    try {
      return new Response(new Uint8Array(await readFile(target.file)), { status: 200, headers: rendererResponseHeaders(target.mime) })
    } catch {
      return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' } })
    }
  })

  const engine = createEngineClient(paths.engineHost)
  const dialogs = e2e?.dialogFile ? createStubDialogs(e2e.dialogFile) : createNativeDialogs(() => mainWindow)
  const recent = withSystemRecentDocuments(createFileRecentStore(join(userData, 'recent.json')), () => void refreshMenu())
  const appLayer = createApp({
    engine,
    dialogs,
    recent,
    userDataDir: userData,
    // End-to-end tests may point at the test model when models/utkface-64 is not built.
    bundledModelsDir: e2e?.modelsDir ?? paths.bundledModels,
    checkpointTemplatesDir: paths.checkpointTemplates,
    app: { name: app.getName(), version: app.getVersion() },
    emit: (event, payload) => emitEvent(mainWindow?.webContents, event, payload),
    // only end-to-end tests of an unpacked build point the catalog at a local server; the
    // importer checks a new model folder in a utilityProcess (main never holds its graphs)
    downloads: { ...(e2e?.catalogUrls ? { urls: e2e.catalogUrls } : {}), spawnVerify: createVerifySpawn(paths.verifyHost) },
  })

  engine.onCrash(({ code, restarts }) => {
    const reason = `the engine process stopped (exit ${code ?? 'signal'}); restart ${restarts}`
    console.warn(reason)
    appLayer
      .engineRestarted()
      .catch((error: unknown) => console.warn(`engine restore failed: ${String(error)}`))
      .finally(() => emitEvent(mainWindow?.webContents, 'engine:restarted', { reason }))
  })

  registerIpcHandlers(ipcMain, {
    channels: Object.keys(channels),
    trusted: () => ({ origin: devServerOrigin ?? appOrigin }),
    dispatch: (channel, payload) => dispatch(channel, payload, appLayer.handlers),
    onRejected: (channel, reason) => console.warn(`IPC ${channel} refused: ${reason}`),
  })

  const sendCommand = (command: MenuCommand, recentId?: string) =>
    emitEvent(mainWindow?.webContents, 'menu:command', recentId === undefined ? { command } : { command, recentId })

  async function refreshMenu(): Promise<void> {
    const entries = await recent.list().catch(() => [])
    const template = buildMenuTemplate({
      platform: process.platform,
      appName: app.getName(),
      recent: entries.slice(0, 10).map((entry) => ({ id: entry.id, label: basename(entry.path) })),
      send: sendCommand,
      devTools: !app.isPackaged,
    })
    Menu.setApplicationMenu(Menu.buildFromTemplate(template))
  }
  await refreshMenu()

  async function openWindow(): Promise<void> {
    const window = await createEditorWindow({
      title: app.getName(),
      preload: paths.preload,
      icon: paths.icon,
      url: devServerUrl ?? `${appOrigin}/index.html`,
      stateFile: join(userData, 'window-state.json'),
      devTools: !app.isPackaged,
    })
    mainWindow = window
    rendererGone = false
    // The renderer blocks unload (beforeunload) while the document has unsaved changes.
    window.webContents.on('will-prevent-unload', (event) => {
      const choice = e2e
        ? 0
        : dialog.showMessageBoxSync(window, {
            type: 'question',
            buttons: ['Quit without saving', 'Cancel'],
            defaultId: 1,
            cancelId: 1,
            message: 'This project has unsaved changes.',
            detail: 'Quit anyway and lose them, or cancel and save first.',
          })
      if (choice === 0) event.preventDefault()
    })
    // A crashed page keeps its recovery copy and comes back offering it.
    window.webContents.on('render-process-gone', (_event, details) => {
      if (details.reason === 'clean-exit') return
      rendererGone = true
      console.warn(`renderer gone (${details.reason}); reloading`)
      if (!window.isDestroyed()) window.webContents.reload()
    })
    window.webContents.on('did-finish-load', () => {
      rendererGone = false
    })
    window.on('closed', () => {
      if (mainWindow === window) mainWindow = null
    })
  }
  await openWindow()

  app.on('activate', () => {
    if (!mainWindow) void openWindow()
  })
  app.on('window-all-closed', () => app.quit())

  let shuttingDown = false
  app.on('will-quit', (event) => {
    if (shuttingDown) return
    shuttingDown = true
    event.preventDefault()
    const work = (async () => {
      // The window closed normally: the user saved or chose to discard, so the recovery copy goes.
      if (!rendererGone) await appLayer.cleanExit().catch(() => undefined)
      await engine.close().catch(() => undefined)
    })()
    const limit = new Promise((resolve) => setTimeout(resolve, 3000))
    void Promise.race([work, limit]).then(() => app.quit())
  })

  if (e2e) {
    // Lets end-to-end tests find (and kill) the engine process to test crash recovery.
    ;(globalThis as { __stylemapE2E?: unknown }).__stylemapE2E = { enginePid: () => engine.pid }
  }
}

/** The app's recent list, also fed to the OS (jump list, dock menu) and to the Open Recent menu. */
function withSystemRecentDocuments(store: RecentStore, changed: () => void): RecentStore {
  return {
    list: () => store.list(),
    async add(kind, path) {
      await store.add(kind, path)
      app.addRecentDocument(path)
      changed()
    },
    async remove(id) {
      await store.remove(id)
      changed()
    },
    async clear() {
      await store.clear()
      app.clearRecentDocuments()
      changed()
    },
  }
}

// A recording stand-in for the electron module, for tests that import Electron main
// (src-main/index.ts) where Electron itself cannot start: it records windows, protocol and
// IPC handlers, menus, listeners and dialogs so the wiring can be checked.
import { vi } from 'vitest'

type Listener = (...args: unknown[]) => unknown

export interface FakeElectronOptions {
  /** app.isPackaged */
  isPackaged: boolean
}

export type FakeElectron = ReturnType<typeof makeFakeElectron>

/** A fresh stand-in; pass `.electron` to vi.mock('electron') and read `.state`. */
export function makeFakeElectron(options: FakeElectronOptions) {
  const appListeners = new Map<string, Listener[]>()
  const contentsListeners = new Map<string, Listener[]>()
  const state = {
    userData: '',
    setPaths: [] as { name: string; path: string }[],
    schemes: [] as unknown[],
    protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
    ipcHandlers: new Map<string, Listener>(),
    windows: [] as { options: Record<string, unknown>; url: string | null }[],
    menus: [] as unknown[],
    permissionRequest: null as Listener | null,
    permissionCheck: null as Listener | null,
    sent: [] as { name: string; payload: unknown }[],
    forks: 0,
    quitCalls: 0,
    lockRequested: false,
    appListeners,
    contentsListeners,
  }
  const on = (map: Map<string, Listener[]>) => (event: string, listener: Listener) => {
    map.set(event, [...(map.get(event) ?? []), listener])
  }
  const webContents = {
    on: on(contentsListeners),
    send: (name: string, payload: unknown) => state.sent.push({ name, payload }),
    isDestroyed: () => false,
    reload: () => undefined,
  }
  class BrowserWindow {
    readonly webContents = webContents
    readonly record: { options: Record<string, unknown>; url: string | null }
    constructor(options: Record<string, unknown>) {
      this.record = { options, url: null }
      state.windows.push(this.record)
    }
    maximize() {}
    once() {}
    on() {}
    isDestroyed() {
      return false
    }
    isMaximized() {
      return false
    }
    getNormalBounds() {
      return { x: 10, y: 20, width: 1200, height: 800 }
    }
    async loadURL(url: string) {
      this.record.url = url
    }
  }
  const electron = {
    app: {
      isPackaged: options.isPackaged,
      setPath: (name: string, path: string) => {
        state.setPaths.push({ name, path })
      },
      getPath: () => state.userData,
      getAppPath: () => process.cwd(),
      getName: () => 'Stylemap Studio',
      getVersion: () => '0.1.0',
      on: on(appListeners),
      whenReady: () => Promise.resolve(),
      requestSingleInstanceLock: () => {
        state.lockRequested = true
        return true
      },
      quit: () => {
        state.quitCalls++
      },
      exit: () => undefined,
      addRecentDocument: () => undefined,
      clearRecentDocuments: () => undefined,
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => state.schemes.push(...schemes),
      handle: (scheme: string, handler: (request: Request) => Promise<Response>) => state.protocolHandlers.set(scheme, handler),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (handler: Listener) => {
          state.permissionRequest = handler
        },
        setPermissionCheckHandler: (handler: Listener) => {
          state.permissionCheck = handler
        },
        setDevicePermissionHandler: () => undefined,
        webRequest: { onHeadersReceived: () => undefined },
      },
    },
    shell: { openExternal: vi.fn(async () => undefined) },
    dialog: {
      showErrorBox: vi.fn(),
      showMessageBoxSync: vi.fn(() => 1),
      showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] as string[] })),
      showSaveDialog: vi.fn(async () => ({ canceled: true, filePath: '' })),
      showMessageBox: vi.fn(async () => ({ response: 1, checkboxChecked: false })),
    },
    ipcMain: {
      handle: (channel: string, listener: Listener) => state.ipcHandlers.set(channel, listener),
      removeHandler: (channel: string) => state.ipcHandlers.delete(channel),
    },
    Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: (menu: unknown) => state.menus.push(menu) },
    screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
    utilityProcess: {
      fork: () => {
        state.forks++
        throw new Error('no engine process in this test')
      },
    },
    BrowserWindow,
  }
  return { state, electron }
}

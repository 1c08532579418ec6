// Smoke test of the Electron entry (src-main/index.ts) with a recording stand-in for the
// electron module: Electron itself cannot start on this machine, but the wiring can be
// checked: window preferences, the app:// protocol, IPC registration, security hooks,
// menu, single-instance lock and shutdown.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { channels } from '../../src-shared/contract'

type Listener = (...args: unknown[]) => unknown

const fake = await vi.hoisted(async () => (await import('./testing/fakeElectron')).makeFakeElectron({ isPackaged: false }))

vi.mock('electron', () => fake.electron)

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-main-'))
  fake.state.userData = dir
  await import('../index')
  // start() runs after whenReady; wait until the window has been created and loaded.
  await vi.waitFor(() => expect(fake.state.windows[0]?.url).toBeTruthy(), { timeout: 10_000 })
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('Electron main wiring', () => {
  it('takes the single-instance lock and registers app:// as a secure standard scheme', () => {
    expect(fake.state.lockRequested).toBe(true)
    expect(fake.state.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }])
  })

  it('opens one locked-down window on app://stylemap/index.html', () => {
    expect(fake.state.windows).toHaveLength(1)
    const window = fake.state.windows[0]!
    expect(window.url).toBe('app://stylemap/index.html')
    const prefs = window.options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false })
    expect(String(prefs.preload)).toMatch(/preload[\\/]index\.cjs$/)
  })

  it('registers an IPC handler for every contract channel, each refusing a foreign sender', async () => {
    expect([...fake.state.ipcHandlers.keys()].sort()).toEqual(Object.keys(channels).sort())
    const handler = fake.state.ipcHandlers.get('app:info')!
    const refused = (await handler({ senderFrame: { url: 'https://evil.example/', parent: null } }, {})) as { ok: boolean; error?: { code: string } }
    expect(refused).toMatchObject({ ok: false, error: { code: 'E_IPC_SENDER' } })
    const recent = fake.state.ipcHandlers.get('recent:list')!
    const served = await recent({ senderFrame: { url: 'app://stylemap/index.html', parent: null } }, {})
    expect(served).toEqual({ ok: true, value: { items: [] } })
  })

  it('serves the renderer only from its folder, with the CSP header', async () => {
    const handler = fake.state.protocolHandlers.get('app')!
    const outside = await handler(new Request('app://stylemap/..%2f..%2fpackage.json'))
    expect(outside.status).toBe(403)
    const wrongHost = await handler(new Request('app://elsewhere/index.html'))
    expect(wrongHost.status).toBe(403)
  })

  it('denies permissions, navigation and new windows; opens only vetted links externally', () => {
    const answers: boolean[] = []
    fake.state.permissionRequest!(null, 'media', (allowed: boolean) => answers.push(allowed))
    expect(answers).toEqual([false])
    expect(fake.state.permissionCheck!(null, 'notifications')).toBe(false)

    const created = fake.state.appListeners.get('web-contents-created')![0]!
    const listeners = new Map<string, Listener>()
    let openHandler: ((details: { url: string }) => { action: string }) | null = null
    created({}, { on: (event: string, l: Listener) => listeners.set(event, l), setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h) })
    const navigation = { preventDefault: vi.fn() }
    listeners.get('will-navigate')!(navigation, 'https://evil.example/')
    expect(navigation.preventDefault).toHaveBeenCalled()
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'https://creativecommons.org/licenses/by-nc/4.0/' })).toEqual({ action: 'deny' })
    expect(fake.electron.shell.openExternal).toHaveBeenCalledTimes(1)
    expect(fake.electron.shell.openExternal).toHaveBeenCalledWith('https://creativecommons.org/licenses/by-nc/4.0/')
  })

  it('builds the menu and delivers its commands to the window as menu:command events', () => {
    const menu = fake.state.menus.at(-1) as { label?: string; submenu?: { id?: string; label?: string; click?: () => void }[] }[]
    const file = menu.find((m) => m.label === '&File')!
    file.submenu!.find((i) => i.label === 'Open Photo…')!.click!()
    expect(fake.state.sent.at(-1)).toEqual({ name: 'menu:command', payload: { command: 'open' } })
  })

  it('does not start the engine process before the first request needs it', () => {
    expect(fake.state.forks).toBe(0)
  })

  it('on quit, closes the engine and quits for real', async () => {
    const willQuit = fake.state.appListeners.get('will-quit')![0]!
    const event = { preventDefault: vi.fn() }
    willQuit(event)
    expect(event.preventDefault).toHaveBeenCalled()
    await vi.waitFor(() => expect(fake.state.quitCalls).toBeGreaterThan(0))
  })
})

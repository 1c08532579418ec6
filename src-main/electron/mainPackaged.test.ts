// An installed (packaged) Electron main ignores STYLEMAP_E2E=1 and the variables that go with
// it: no scripted dialogs, no profile or model-folder redirect, no DevTools, no quitting
// without asking, no engine pid for tests. Same stand-in electron module as main.test.ts.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'

type Listener = (...args: unknown[]) => unknown

const fake = await vi.hoisted(async () => (await import('./testing/fakeElectron')).makeFakeElectron({ isPackaged: true }))

vi.mock('electron', () => fake.electron)

const trusted = { senderFrame: { url: 'app://stylemap/index.html', parent: null } }
const hookVariables = ['STYLEMAP_E2E', 'STYLEMAP_USER_DATA_DIR', 'STYLEMAP_E2E_DIALOG_FILE', 'STYLEMAP_E2E_MODELS_DIR'] as const
const saved = new Map(hookVariables.map((name) => [name, process.env[name]]))
const savedResourcesPath = process.resourcesPath
let dir: string
let dialogFile: string
const answers = JSON.stringify({ openImage: ['/photos/from-the-test.jpg'] })

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-packaged-'))
  fake.state.userData = join(dir, 'user')
  dialogFile = join(dir, 'dialogs.json')
  await writeFile(dialogFile, answers)
  process.env.STYLEMAP_E2E = '1'
  process.env.STYLEMAP_USER_DATA_DIR = join(dir, 'test-profile')
  process.env.STYLEMAP_E2E_DIALOG_FILE = dialogFile
  process.env.STYLEMAP_E2E_MODELS_DIR = join(dir, 'test-models')
  ;(process as { resourcesPath?: string }).resourcesPath = join(dir, 'resources')
  await import('../index')
  await vi.waitFor(() => expect(fake.state.windows[0]?.url).toBeTruthy(), { timeout: 10_000 })
})

afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  ;(process as { resourcesPath?: string }).resourcesPath = savedResourcesPath
  await rm(dir, { recursive: true, force: true })
})

describe('a packaged main with STYLEMAP_E2E=1', () => {
  it('keeps its own profile', () => {
    expect(fake.state.setPaths).toEqual([])
  })

  it('shows native dialogs, not answers from the test file', async () => {
    const open = fake.state.ipcHandlers.get('image:open')!
    expect(await open(trusted, { purpose: 'original' })).toEqual({ ok: true, value: { canceled: true } })
    expect(fake.electron.dialog.showOpenDialog).toHaveBeenCalledTimes(1)
    expect(await readFile(dialogFile, 'utf8')).toBe(answers)
  })

  it('opens its window without DevTools', () => {
    const prefs = fake.state.windows[0]!.options.webPreferences as Record<string, unknown>
    expect(prefs.devTools).toBe(false)
  })

  it('asks before quitting with unsaved changes', () => {
    const [unload] = fake.state.contentsListeners.get('will-prevent-unload') as Listener[]
    const event = { preventDefault: vi.fn() }
    unload(event)
    expect(fake.electron.dialog.showMessageBoxSync).toHaveBeenCalledTimes(1)
    expect(event.preventDefault).not.toHaveBeenCalled()
  })

  it('gives tests no handle on the engine process', () => {
    expect((globalThis as { __stylemapE2E?: unknown }).__stylemapE2E).toBeUndefined()
  })
})

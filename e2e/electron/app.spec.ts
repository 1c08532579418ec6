// The packaged-shape app in real Electron, driven by Playwright's _electron: launch, a secure
// window, open a photo through a stubbed native dialog, edit, export, engine crash recovery,
// single-instance lock and remembered window bounds. Where no Electron binary is installed
// (this project's build machines cannot download it) every test skips and says why.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test'
import sharp from 'sharp'
import { channels, type StylemapApi } from '../../src-shared/contract'
import { sidewaysPhoto } from '../../src-main/engine/testing/photos'
import { faces } from '../../src-main/testing/utkface'
import { repoRoot, testModelDir } from '../../src-main/engine/testing/models'
import { findElectronBinary } from './electronBinary'

const binary = findElectronBinary()
if (!binary.ok) console.log(`[electron e2e] skipped: ${binary.reason}`)

test.describe.configure({ mode: 'serial' })
test.skip(!binary.ok, binary.ok ? '' : binary.reason)

const screens = join(repoRoot, 'test-results', 'screens')

/** What the specs read in the page (typed here because the e2e tsconfig has no DOM lib). */
interface PageGlobals {
  stylemap: StylemapApi
  restarts: unknown[]
  location: { href: string }
  require?: unknown
  process?: unknown
  module?: unknown
}

interface Launched {
  app: ElectronApplication
  page: Page
  userData: string
  dialogFile: string
}

let modelsDir: string

test.beforeAll(async () => {
  test.setTimeout(600_000)
  if (!binary.ok) return
  // Build main, preload and renderer exactly as `npm start` / `npm run dist` do.
  if (process.env.STYLEMAP_E2E_BUILD !== 'never') {
    const { build } = await import('electron-vite')
    await build({ configFile: join(repoRoot, 'electron.vite.config.ts'), logLevel: 'warn' })
  }
  modelsDir = dirname(await testModelDir())
  await mkdir(screens, { recursive: true })
})

async function launch(userData?: string): Promise<Launched> {
  if (!binary.ok) throw new Error(binary.reason)
  const profile = userData ?? (await mkdtemp(join(tmpdir(), 'stylemap-electron-profile-')))
  const dialogFile = join(profile, 'e2e-dialogs.json')
  if (!existsSync(dialogFile)) await writeFile(dialogFile, '{}')
  const rootFlags = process.getuid?.() === 0 ? ['--no-sandbox'] : []
  const app = await electron.launch({
    executablePath: binary.path,
    args: [...rootFlags, '--disable-gpu', repoRoot],
    cwd: repoRoot,
    env: {
      ...(process.env as Record<string, string>),
      STYLEMAP_E2E: '1',
      STYLEMAP_E2E_DIALOG_FILE: dialogFile,
      STYLEMAP_USER_DATA_DIR: profile,
      STYLEMAP_E2E_MODELS_DIR: modelsDir,
    },
    timeout: 60_000,
  })
  const page = await app.firstWindow()
  await page.waitForLoadState('domcontentloaded')
  return { app, page, userData: profile, dialogFile }
}

async function queueDialogs(file: string, answers: Record<string, (string | null)[]>): Promise<void> {
  const current = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown[]>
  for (const [kind, list] of Object.entries(answers)) current[kind] = [...(current[kind] ?? []), ...list]
  await writeFile(file, JSON.stringify(current))
}

async function queued(file: string, kind: string): Promise<number> {
  const current = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown[]>
  return current[kind]?.length ?? 0
}

async function writePhoto(dir: string, index: number, name: string): Promise<string> {
  const [face] = faces(1, index)
  const path = join(dir, name)
  await writeFile(path, await sidewaysPhoto(face!.bytes, 640, 480))
  return path
}

test('launches one locked-down window with only the contract API', async () => {
  const { app, page, userData } = await launch()
  try {
    expect(await page.title()).toBe('Stylemap Studio')
    expect(page.url()).toBe('app://stylemap/index.html')
    expect(await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
    // No Node in the page (nodeIntegration off, context isolation on), and the bridge is
    // exactly the contract's task functions, frozen.
    const seen = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals
      const api = g.stylemap as unknown as Record<string, unknown>
      let replaced: boolean
      try {
        api['app:info'] = () => 'hijacked'
        replaced = api['app:info'] !== undefined && (api['app:info'] as () => unknown)() === 'hijacked'
      } catch {
        replaced = false
      }
      return { require: typeof g.require, process: typeof g.process, module: typeof g.module, api: Object.keys(api).sort(), replaced }
    })
    expect(seen).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', api: [...Object.keys(channels), 'on'].sort(), replaced: false })
    const info = await page.evaluate(() => (globalThis as unknown as PageGlobals).stylemap['app:info']({}))
    expect(info).toMatchObject({ ok: true, value: { name: 'Stylemap Studio' } })
    // navigation away is refused: the page stays ours
    await page.evaluate(() => {
      ;(globalThis as unknown as PageGlobals).location.href = 'https://example.com/'
    })
    await page.waitForTimeout(500)
    expect(page.url()).toBe('app://stylemap/index.html')
    await page.screenshot({ path: join(screens, 'electron-launch.png') })
  } finally {
    await app.close()
    await rm(userData, { recursive: true, force: true })
  }
})

test('opens a photo through the stubbed dialog, edits it and exports the full-size result', async () => {
  const { app, page, userData, dialogFile } = await launch()
  try {
    const photos = join(userData, 'photos')
    await mkdir(photos)
    const original = await writePhoto(photos, 0, 'portrait.jpg')
    const reference = await writePhoto(photos, 5, 'reference.jpg')
    const exported = join(userData, 'out', 'portrait-edited.png')
    await mkdir(dirname(exported))

    // File > Open through the real menu: the renderer asks main, main asks the (stubbed) dialog.
    await queueDialogs(dialogFile, { openImage: [original] })
    await app.evaluate(({ Menu }) => Menu.getApplicationMenu()?.getMenuItemById('open')?.click())
    await expect.poll(() => queued(dialogFile, 'openImage'), { timeout: 20_000 }).toBe(0)
    await page.screenshot({ path: join(screens, 'electron-opened.png') })

    // The edit, through the same preload API the editor uses (window.stylemap -> IPC -> engine process).
    await queueDialogs(dialogFile, { openImage: [original, reference], saveImage: [exported] })
    const outcome = await page.evaluate(async () => {
      const api = (globalThis as unknown as PageGlobals).stylemap
      const a = await api['image:open']({ purpose: 'original' })
      const b = await api['image:open']({ purpose: 'reference' })
      if (!a.ok || a.value.canceled || !b.ok || b.value.canceled) return { error: JSON.stringify([a, b]) }
      const photo = a.value.image
      const ref = b.value.image
      const size = Math.min(photo.width, photo.height)
      const crop = { x: Math.floor((photo.width - size) / 2), y: Math.floor((photo.height - size) / 2), size }
      const refSize = Math.min(ref.width, ref.height)
      const refCrop = { x: Math.floor((ref.width - refSize) / 2), y: Math.floor((ref.height - refSize) / 2), size: refSize }
      // a mask over the lower half of the crop (mouth and chin)
      const mask = new Uint8Array(photo.width * photo.height)
      for (let y = crop.y + size / 2; y < crop.y + size; y++) mask.fill(255, y * photo.width + crop.x, y * photo.width + crop.x + size)
      const edit = {
        original: { imageId: photo.imageId, crop },
        layers: [{ reference: { imageId: ref.imageId, crop: refCrop }, mask: { width: photo.width, height: photo.height, data: mask } }],
      }
      const preview = await api['engine:generate']({ seq: 1, edit })
      const document = {
        original: edit.original,
        references: [{ id: 'mouth', imageId: ref.imageId, crop: refCrop, color: '#ff5c7a', mask: edit.layers[0].mask }],
        settings: {},
      }
      const saved = await api['file:export']({ document, format: 'png' })
      return { photo, preview: preview.ok ? preview.value.status : preview.error.code, saved: saved.ok ? saved.value : saved.error }
    })
    expect(outcome).not.toHaveProperty('error')
    expect(outcome.preview).toBe('rendered')
    expect(outcome.saved).toMatchObject({ canceled: false, name: 'portrait-edited.png', format: 'png' })
    // full resolution, upright (the file was stored sideways with EXIF orientation 6)
    const written = await sharp(exported).metadata()
    expect({ width: written.width, height: written.height }).toEqual({ width: outcome.photo!.width, height: outcome.photo!.height })
    expect({ width: written.width, height: written.height }).toEqual({ width: 640, height: 480 })
    await page.screenshot({ path: join(screens, 'electron-exported.png') })
  } finally {
    await app.close()
    await rm(userData, { recursive: true, force: true })
  }
})

test('an engine crash fails the request in flight clearly and the next request works', async () => {
  const { app, page, userData, dialogFile } = await launch()
  try {
    const photo = await writePhoto(userData, 2, 'crash.jpg')
    await queueDialogs(dialogFile, { openImage: [photo] })
    const opened = await page.evaluate(async () => {
      const api = (globalThis as unknown as PageGlobals).stylemap
      ;(globalThis as unknown as PageGlobals).restarts = []
      api.on['engine:restarted']((payload) => (globalThis as unknown as PageGlobals).restarts.push(payload))
      const result = await api['image:open']({ purpose: 'original' })
      return result.ok && !result.value.canceled ? result.value.image : null
    })
    expect(opened).not.toBeNull()
    const pid = await app.evaluate(() => (globalThis as unknown as { __stylemapE2E: { enginePid: () => number | undefined } }).__stylemapE2E.enginePid())
    expect(pid).toBeGreaterThan(0)
    process.kill(pid!, 'SIGKILL')
    await expect.poll(() => page.evaluate(() => (globalThis as unknown as PageGlobals).restarts.length), { timeout: 30_000 }).toBeGreaterThan(0)
    // the document's image is handed back to the new engine: encoding it works again
    const size = Math.min(opened!.width, opened!.height)
    const morphed = await page.evaluate(
      async ({ imageId, size }) => {
        const api = (globalThis as unknown as PageGlobals).stylemap
        const crop = { x: 0, y: 0, size }
        return api['engine:morph']({ a: { imageId, crop }, b: { imageId, crop }, t: 0.5 })
      },
      { imageId: opened!.imageId, size },
    )
    expect(morphed.ok).toBe(true)
    const newPid = await app.evaluate(() => (globalThis as unknown as { __stylemapE2E: { enginePid: () => number | undefined } }).__stylemapE2E.enginePid())
    expect(newPid).not.toBe(pid)
  } finally {
    await app.close()
    await rm(userData, { recursive: true, force: true })
  }
})

test('remembers the window bounds and lets only one instance run per profile', async () => {
  const first = await launch()
  try {
    await first.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.setBounds({ x: 40, y: 30, width: 1000, height: 700 }))
    // a second start with the same profile hands over to the first and exits at once
    const second = spawn(binary.ok ? binary.path : 'false', [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), repoRoot], {
      cwd: repoRoot,
      env: { ...process.env, STYLEMAP_E2E: '1', STYLEMAP_USER_DATA_DIR: first.userData, STYLEMAP_E2E_DIALOG_FILE: first.dialogFile },
      stdio: 'ignore',
    })
    const code = await new Promise<number | null>((resolve) => second.on('exit', resolve))
    expect(code).toBe(0)
    expect(await first.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length)).toBe(1)
    await first.app.close()
    const saved = JSON.parse(await readFile(join(first.userData, 'window-state.json'), 'utf8')) as Record<string, unknown>
    expect(saved).toMatchObject({ width: 1000, height: 700 })

    const again = await launch(first.userData)
    const bounds = await again.app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]!.getBounds())
    expect({ width: bounds.width, height: bounds.height }).toEqual({ width: 1000, height: 700 })
    await again.app.close()
  } finally {
    await rm(first.userData, { recursive: true, force: true })
  }
})

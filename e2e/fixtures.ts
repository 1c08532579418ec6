// Playwright fixtures for the browser end-to-end tests (e2e/bridge, e2e/editor).
//
// Each test gets the built renderer (out/renderer, rebuilt by the global setup when its
// sources changed) in Debian's Chromium, with `window.stylemap` defined by an init script
// that talks to a bridge server in this worker. The bridge runs the real app handlers
// (src-main/app) on the real engine in a child process with the real test model
// (models/utkface-64 when present, else the cached random-weight 64 px model from
// src-main/engine/testing/models.ts). Only native dialogs are stubbed.
//
//   import { test, expect } from '../fixtures'
//
//   test('open a photo', async ({ app, bridge, shot, photoFile }) => {
//     const path = await photoFile('portrait.jpg')          // a real face photo on disk
//     bridge.dialogs.answer('openImage', path)              // the next Open dialog picks it
//     await app.getByRole('button', { name: 'Open' }).click()
//     await shot('opened')                                  // test-results/screens/opened.png
//     expect(bridge.dialogs.asked.map((d) => d.kind)).toEqual(['openImage'])
//   })
//
// Fixtures:
// - `app`: the page, already at the renderer with `window.stylemap` in place; closed before the bridge.
// - `bridge`: { url, dialogs.answer(kind, path|null) (unanswered = cancelled),
//   dialogs.asked, emit(event, payload) for main -> renderer events such as
//   emit('menu:command', { command: 'save' }), userDataDir (autosave, recent files), engine,
//   token (the worker's random token; a request without it gets 403) }.
//   A fresh bridge (and user-data folder) per test; the engine process is shared by the worker.
// - `shot(name)`: full-page screenshot to test-results/screens/<name>.png, also attached to the report.
// - `photoFile(name, options?)`: writes a real photo (a UTKFace face from
//   src-main/testing/utkface.ts, upscaled onto a larger canvas, optionally stored sideways
//   with EXIF orientation 6) into the test's output folder and returns its path.
//   `faceFile(index)` writes one of the 64 px faces as it is.
// - `workDir`: a per-test folder for files the app saves (exports, projects).
// - `modelDir`: the model folder the engine loaded.
// - `pageErrors`: uncaught page errors; a test fails at the end if any occurred.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test as base, expect, type Page } from '@playwright/test'
import { EngineClient } from '../src-main/engine/client'
import { forkEngine } from '../src-main/engine/spawn'
import { testModelDir } from '../src-main/engine/testing/models'
import { facePhoto, sidewaysPhoto } from '../src-main/engine/testing/photos'
import { faces } from '../src-main/testing/utkface'
import { buildInitScript, newBridgeToken, repoRoot, startBridge, type Bridge } from './bridge/server'

export interface PhotoOptions {
  /** Which face of the data set (default 0). */
  face?: number
  width?: number
  height?: number
  /** Store the pixels turned and tag EXIF orientation 6 (default false). */
  sideways?: boolean
}

interface TestFixtures {
  bridge: Bridge
  app: Page
  shot: (name: string) => Promise<string>
  photoFile: (name: string, options?: PhotoOptions) => Promise<string>
  faceFile: (index: number) => Promise<string>
  workDir: string
  pageErrors: Error[]
}

interface WorkerFixtures {
  modelDir: string
  engine: EngineClient
  /** The worker's random bridge token: its init script carries it, its bridges demand it. */
  bridgeToken: string
  initScript: string
}

export const screensDir = join(repoRoot, 'test-results', 'screens')

export const test = base.extend<TestFixtures, WorkerFixtures>({
  modelDir: [async ({}, use) => use(await testModelDir()), { scope: 'worker', timeout: 600_000 }],
  engine: [
    async ({ modelDir }, use) => {
      const engine = new EngineClient(() => forkEngine())
      await engine.loadModel(modelDir)
      await use(engine)
      await engine.close()
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  bridgeToken: [async ({}, use) => use(newBridgeToken()), { scope: 'worker' }],
  initScript: [async ({ bridgeToken }, use) => use(await buildInitScript(bridgeToken)), { scope: 'worker' }],

  workDir: async ({}, use, testInfo) => {
    const dir = testInfo.outputPath('files')
    await mkdir(dir, { recursive: true })
    await use(dir)
  },
  bridge: async ({ engine, modelDir, bridgeToken }, use) => {
    const bridge = await startBridge({ engine, modelsDir: modelDir, token: bridgeToken })
    await use(bridge)
    await bridge.close()
  },
  pageErrors: async ({}, use) => {
    const errors: Error[] = []
    await use(errors)
    expect(errors.map((e) => e.message), 'uncaught errors in the page').toEqual([])
  },
  app: async ({ page, bridge, initScript, pageErrors }, use) => {
    page.on('pageerror', (error) => pageErrors.push(error))
    await page.addInitScript({ content: initScript })
    await page.goto(bridge.url)
    await page.waitForFunction(() => typeof (globalThis as { stylemap?: unknown }).stylemap === 'object')
    await use(page)
    // close the page before the bridge goes, so no request or event stream of the page is
    // still open while the bridge's HTTP server shuts down
    await page.close()
  },
  shot: async ({ page }, use, testInfo) => {
    await use(async (name: string) => {
      const path = join(screensDir, `${name}.png`)
      await mkdir(screensDir, { recursive: true })
      await page.screenshot({ path, fullPage: true })
      await testInfo.attach(name, { path, contentType: 'image/png' })
      return path
    })
  },
  photoFile: async ({ workDir }, use) => {
    await use(async (name: string, options: PhotoOptions = {}) => {
      const [face] = faces(1, options.face ?? 0)
      const width = options.width ?? 480
      const height = options.height ?? 360
      const bytes = await (options.sideways ? sidewaysPhoto : facePhoto)(face.bytes, width, height)
      const path = join(workDir, name)
      await writeFile(path, bytes)
      return path
    })
  },
  faceFile: async ({ workDir }, use) => {
    await use(async (index: number) => {
      const [face] = faces(1, index)
      const path = join(workDir, face.name)
      await writeFile(path, face.bytes)
      return path
    })
  },
})

export { expect }

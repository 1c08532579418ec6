// Models › Update: a model imported by the app of 2026-12-04 (the small test checkpoint
// imported with that day's templates, registered in the user's models and in use, as that
// version left it) is pointed out when the app starts and offered an update; the update shows its progress, brings the folder to today's graphs, and
// the model, now in use, edits a photo. A folder of the first templates (2026-12-02) is told to
// import its checkpoint again.
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { smallCheckpoint } from '../../src-main/app/testing/checkpoints'
import { importCheckpoint } from '../../src-main/torch/importCheckpoint'
import { defaultTemplatesDir } from '../../src-main/torch/templates'
import { templatesOf20261204 } from '../../src-main/torch/testing/oldTemplates'
import { startBridge } from '../bridge/server'
import { expect, test as base } from '../fixtures'
import { screenshot, strokeChangesPortrait } from './helpers'

const name = 'Faces imported on 2026-12-04'
const earlyName = 'Faces imported on 2026-12-02'

const test = base.extend<{ importedDir: string }>({
  // the user's data folder as the earlier version left it: the folder it imported, and models.json naming it
  importedDir: async ({ workDir }, use) => {
    const userData = join(workDir, 'user-data')
    const dir = join(userData, 'models', 'faces-2026-12-04')
    await mkdir(join(userData, 'models'), { recursive: true })
    await importCheckpoint(await smallCheckpoint(), dir, { templatesDir: await templatesOf20261204(), id: 'faces-2026-12-04', name, alignment: 'ffhq' })
    // and one as the first templates (2026-12-02) wrote it: its model.json names their graphs (the list reads only that)
    const early = join(userData, 'models', 'faces-2026-12-02')
    await cp(dir, early, { recursive: true })
    const history = JSON.parse(await readFile(join(defaultTemplatesDir, '64-small-cm2', 'history.json'), 'utf8'))
    const first = history.versions.find((v: { layout: number | null }) => v.layout === null)
    const manifest = JSON.parse(await readFile(join(early, 'model.json'), 'utf8'))
    const files = Object.fromEntries(Object.keys(first.sha256).map((f) => [f.replace(/\.onnx$/, ''), f]))
    const sha256 = { ...first.sha256, 'generator.weights': manifest.sha256['generator.weights'], 'encoder.weights': manifest.sha256['encoder.weights'] }
    await writeFile(join(early, 'model.json'), JSON.stringify({ ...manifest, id: 'faces-2026-12-02', name: earlyName, files, sha256 }))
    await writeFile(join(userData, 'models.json'), JSON.stringify({ imported: [dir, early], selected: 'faces-2026-12-04' }))
    await use(dir)
  },
  bridge: async ({ engine, modelDir, bridgeToken, workDir, importedDir }, use) => {
    // it was the model in use when that version closed
    await engine.loadModel(importedDir)
    const bridge = await startBridge({ engine, modelsDir: modelDir, token: bridgeToken, userDataDir: join(workDir, 'user-data') })
    await use(bridge)
    await bridge.close()
    // the worker's engine goes on to other specs with the model they expect
    await engine.loadModel(modelDir)
  },
})

test('Models › Update brings a model an earlier version imported to today\'s graphs, with visible progress; it then edits', async ({ app: page, bridge, importedDir, photoFile, faceFile }, testInfo) => {
  test.setTimeout(600_000)
  // the model in use is one of them: the app says so when it starts
  await expect(page.getByText(`${name} was imported by an earlier version: Models › Update makes it edit faster`)).toBeVisible()
  await page.getByRole('button', { name: 'Models' }).click()
  const dialog = page.getByRole('dialog', { name: 'Models' })
  const item = dialog.getByRole('list', { name: 'Available models' }).getByRole('listitem', { name })
  await expect(item).toContainText('Imported by an earlier version of Stylemap Studio')
  // the first templates' folder can only be imported again; the bundled model is the app's own
  const early = dialog.getByRole('list', { name: 'Available models' }).getByRole('listitem', { name: earlyName })
  await expect(early).toContainText('Imported by an early version of Stylemap Studio, whose files cannot be updated: import its checkpoint again')
  await expect(dialog.getByRole('button', { name: /^Update / })).toHaveCount(1)
  await screenshot(page, testInfo, '70-model-update-offered')

  await expect(item).toContainText('In use')
  await item.getByRole('button', { name: `Update ${name}` }).click()
  const status = item.getByRole('status', { name: `Update of ${name} progress` })
  await expect(status).toContainText(/Updating the model… \d+%/)
  await screenshot(page, testInfo, '71-model-updating')
  await expect(status).toHaveCount(0, { timeout: 300_000 })
  await expect(item.getByRole('alert')).toHaveCount(0)
  await expect(item).not.toContainText('Imported by an earlier version')
  await expect(item.getByRole('button', { name: `Update ${name}` })).toHaveCount(0)
  await expect(item).toContainText('In use')
  await expect(page.getByText(`Updated ${name}: it edits with today's graphs now`)).toBeVisible()
  await screenshot(page, testInfo, '72-model-updated')

  // the folder holds today's graphs, byte for byte, and keeps the name the user knows it by
  const manifest = JSON.parse(await readFile(join(importedDir, 'model.json'), 'utf8'))
  expect(manifest.name).toBe(name)
  const template = JSON.parse(await readFile(join(defaultTemplatesDir, '64-small-cm2', 'template.json'), 'utf8'))
  for (const file of Object.values(template.files) as string[]) expect(manifest.sha256[file]).toBe(template.sha256[file])
  expect((await bridge.engine.modelInfo())?.model.id).toBe('faces-2026-12-04')

  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
  // the updated model, in use, edits: a stroke changes the preview
  await strokeChangesPortrait({ page, bridge, photoFile, faceFile })
  await screenshot(page, testInfo, '73-edited-with-updated-model')
})

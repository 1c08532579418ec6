// Keeping the work, after the editing path of editing.spec.ts: export at full resolution,
// save a project and reopen it, and files that cannot be opened leave the document as it was.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from '../fixtures'
import { addReference, cropCentrePixel, type Editor, openPortrait, paintedPortrait, pixelDiff, referenceLayers, screenshot, statusBar } from './helpers'

/** Saves the project as work.smproj through the Save shortcut; returns its path. */
async function saveProject({ page, bridge }: Editor, workDir: string): Promise<string> {
  const status = statusBar(page)
  const projectPath = join(workDir, 'work.smproj')
  bridge.dialogs.answer('saveProject', projectPath)
  await page.keyboard.press('Control+s')
  await expect(status.getByLabel('Notice')).toContainText('Saved work.smproj')
  await expect(status.getByLabel('Project')).toHaveText('work.smproj')
  return projectPath
}

test('export writes the edited photo as a PNG at full resolution', async ({ app: page, bridge, photoFile, faceFile, workDir }, testInfo) => {
  await paintedPortrait({ page, bridge, photoFile, faceFile })
  const exportPath = join(workDir, 'edited.png')
  bridge.dialogs.answer('saveImage', exportPath)
  await page.getByRole('button', { name: 'Export', exact: true }).click()
  const exportDialog = page.getByRole('dialog', { name: 'Export' })
  await exportDialog.getByLabel('Format').selectOption('png')
  await screenshot(page, testInfo, '06-export-dialog')
  await exportDialog.getByRole('button', { name: 'Export…' }).click()
  await expect(statusBar(page).getByLabel('Notice')).toContainText('Exported edited.png (480 × 360, PNG)')
  const exported = await sharp(await readFile(exportPath)).metadata()
  expect({ width: exported.width, height: exported.height, format: exported.format }).toEqual({ width: 480, height: 360, format: 'png' })
})

test('a saved project reopens with its layer, mask and crop after starting over', async ({ app: page, bridge, photoFile, faceFile, workDir }, testInfo) => {
  const editor = { page, bridge, photoFile, faceFile }
  const { crop, painted } = await paintedPortrait(editor)
  const projectPath = await saveProject(editor, workDir)
  bridge.emit('menu:command', { command: 'newProject' })
  await expect(page.getByText('Open a photo to start')).toBeVisible()
  bridge.dialogs.answer('openProject', projectPath)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(referenceLayers(page).getByRole('option')).toHaveCount(1)
  await expect(statusBar(page).getByLabel('Photo size')).toContainText(`crop ${crop.size}px at ${crop.x},${crop.y}`)
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled()
  // the mask came back too: the preview renders the same edit, up to a rounding step
  await expect.poll(async () => pixelDiff(await cropCentrePixel(page, crop), painted), { timeout: 30_000 }).toBeLessThanOrEqual(3)
  await screenshot(page, testInfo, '07-project-reopened')
})

test('a corrupt project: a readable message with its code, the document untouched', async ({ app: page, bridge, photoFile, faceFile, workDir }) => {
  const editor = { page, bridge, photoFile, faceFile }
  await openPortrait(editor)
  await addReference(editor)
  await saveProject(editor, workDir)
  const badProject = join(workDir, 'broken.smproj')
  await writeFile(badProject, 'this is not a project')
  bridge.dialogs.answer('openProject', badProject)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('alert')).toContainText('E_PROJECT_CORRUPT')
  await expect(referenceLayers(page).getByRole('option')).toHaveCount(1)
  await expect(statusBar(page).getByLabel('Project')).toHaveText('work.smproj')
})

test("a corrupt photo: the engine's code, the document untouched", async ({ app: page, bridge, photoFile, faceFile, workDir }, testInfo) => {
  const editor = { page, bridge, photoFile, faceFile }
  await openPortrait(editor)
  await addReference(editor)
  const badPhoto = join(workDir, 'broken.jpg')
  await writeFile(badPhoto, Buffer.from('ffd8ffe000104a464946 truncated', 'utf8'))
  bridge.dialogs.answer('openImage', badPhoto)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'E_IMAGE' })).toBeVisible()
  await expect(statusBar(page).getByLabel('Photo size')).toContainText('portrait.jpg')
  await expect(referenceLayers(page).getByRole('option')).toHaveCount(1)
  await screenshot(page, testInfo, '08-error-shown')
})

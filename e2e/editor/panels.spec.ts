// The panels around the canvas: model picker (info, licence, import errors), status bar,
// random generation and morph, the keyboard shortcut sheet and About.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, test } from '../fixtures'
import { screenshot } from './helpers'

test('model picker with info and licence; a broken model folder is refused clearly', async ({ app: page, bridge, workDir }, testInfo) => {
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  await expect(status.getByLabel('Execution provider')).toHaveText(/Device: \w+/)
  await expect(status.getByLabel('Active model')).not.toHaveText('Model: …')

  await page.getByRole('button', { name: 'Models' }).click()
  const dialog = page.getByRole('dialog', { name: 'Models' })
  const models = dialog.getByRole('list', { name: 'Available models' }).getByRole('listitem')
  await expect(models).not.toHaveCount(0)
  const active = models.filter({ hasText: 'In use' })
  await expect(active).toHaveCount(1)
  await expect(active).toContainText('Licence')
  await expect(active).toContainText(/Resolution\s*\d+ px/)
  await expect(dialog.getByRole('region', { name: 'Execution providers' })).toContainText('cpu: active')
  await screenshot(page, testInfo, '30-models')

  // a folder that is not a model: the import fails with the engine's code, nothing is added
  const count = await models.count()
  const broken = join(workDir, 'not-a-model')
  await mkdir(broken, { recursive: true })
  await writeFile(join(broken, 'model.json'), '{"format": "something-else"}')
  bridge.dialogs.answer('openModelFolder', broken)
  await dialog.getByRole('button', { name: 'Import model folder…' }).click()
  await expect(page.getByRole('alert')).toContainText(/E_[A-Z_]+/)
  await screenshot(page, testInfo, '31-model-import-error')
  await expect(models).toHaveCount(count)
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)
})

test('random generation and morph', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  await page.getByRole('button', { name: 'Random/morph' }).click()
  const dialog = page.getByRole('dialog', { name: 'Random & morph' })
  await dialog.getByLabel('Seed').fill('7')
  await dialog.getByRole('button', { name: 'Generate' }).click()
  const generated = dialog.getByRole('img', { name: 'Generated image' })
  await expect(generated).toBeVisible()
  await expect(dialog).toContainText('Random, seed 7')
  const first = await generated.getAttribute('src')
  // the same seed gives the same picture, another seed another one
  const pixels = () =>
    generated.evaluate(async (img) => {
      const el = img as unknown as { naturalWidth: number; naturalHeight: number; decode: () => Promise<void> }
      await el.decode()
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const c = (globalThis as any).document.createElement('canvas')
      c.width = el.naturalWidth
      c.height = el.naturalHeight
      const ctx = c.getContext('2d')
      ctx.drawImage(img, 0, 0)
      return Array.from(ctx.getImageData(0, 0, c.width, c.height).data as ArrayLike<number>).join(',')
    })
  const seven = await pixels()
  await dialog.getByLabel('Seed').fill('8')
  await dialog.getByRole('button', { name: 'Generate' }).click()
  await expect(generated).not.toHaveAttribute('src', first!)
  expect(await pixels()).not.toEqual(seven)
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)
  await screenshot(page, testInfo, '32-random')
  await page.keyboard.press('Escape')

  // morph from the photo's crop toward a reference
  bridge.dialogs.answer('openImage', await photoFile('a.jpg', { face: 12, width: 256, height: 256 }))
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('a.jpg')
  bridge.dialogs.answer('openImage', await faceFile(13))
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option')).toHaveCount(1)
  await page.getByRole('button', { name: 'Random/morph' }).click()
  await dialog.getByRole('slider', { name: 'Morph amount' }).fill('0.3')
  await dialog.getByRole('button', { name: 'Morph' }).click()
  await expect(dialog).toContainText('Morph to')
  await expect(dialog).toContainText('t 0.30')
  await expect(generated).toBeVisible()
  await screenshot(page, testInfo, '33-morph')
  // use the morph as one more reference layer
  await dialog.getByRole('button', { name: 'Use as reference' }).click()
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option')).toHaveCount(2)
})

test('keyboard shortcut sheet and About', async ({ app: page, bridge }, testInfo) => {
  await page.keyboard.press('?')
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' })
  await expect(sheet).toBeVisible()
  await expect(sheet).toContainText('Ctrl+Shift+Z / Ctrl+Y')
  await expect(sheet).toContainText('Smaller / larger brush')
  await screenshot(page, testInfo, '34-shortcuts')
  await page.keyboard.press('Escape')
  await expect(sheet).toHaveCount(0)
  bridge.emit('menu:command', { command: 'about' })
  const about = page.getByRole('dialog', { name: 'About Stylemap Studio' })
  await expect(about).toContainText('Model licences')
  await expect(about.getByRole('listitem').first()).toContainText(/\S+: .+/)
  bridge.emit('menu:command', { command: 'shortcuts' })
  await expect(sheet).toBeVisible()
})

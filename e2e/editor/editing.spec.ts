// The main editing path, as a person does it: open a photo, frame the crop, add a reference,
// paint, watch the preview, compare, undo/redo, export, save and reopen, survive a bad file.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from '../fixtures'
import { beforeAfterDiff, canvasPixel, drag, meanWhere, pixelDiff, screenPoint, screenshot } from './helpers'

// close the page before the bridge goes: an open connection from the page can keep the
// bridge's HTTP server from closing (see the report to APP)
test.afterEach(async ({ page }) => {
  await page.close()
})

test('open, crop, reference, paint, preview, compare, undo/redo, export, save, reopen, bad files', async ({
  app: page,
  bridge,
  photoFile,
  faceFile,
  workDir,
}, testInfo) => {
  test.setTimeout(240_000)
  await screenshot(page, testInfo, '01-empty')

  // --- open a photo stored sideways (EXIF 6): it must come up upright, 480 x 360
  const photoPath = await photoFile('portrait.jpg', { sideways: true, width: 480, height: 360, face: 3 })
  bridge.dialogs.answer('openImage', photoPath)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  await expect(status.getByLabel('Photo size')).toContainText('portrait.jpg · 480 × 360')
  await expect(status.getByLabel('Photo size')).toContainText('crop 360px at 60,0')
  await expect(status.getByLabel('Execution provider')).toContainText('cpu')
  await screenshot(page, testInfo, '02-photo-opened')

  // --- crop: make the frame smaller from its bottom-right corner, then move it
  await page.getByRole('radio', { name: 'Crop' }).click()
  const corner = await screenPoint(page, 420, 360)
  const inward = await screenPoint(page, 380, 320)
  await page.mouse.move(corner.x - 1, corner.y - 1)
  await page.mouse.down()
  await page.mouse.move(inward.x, inward.y, { steps: 8 })
  await page.mouse.up()
  await expect(status.getByLabel('Photo size')).toContainText(/crop 3[12]\dpx at 60,0/)
  const cropText = (await status.getByLabel('Photo size').textContent())!
  const size = Number(/crop (\d+)px/.exec(cropText)![1])
  const from = await screenPoint(page, 60 + size / 2, size / 2)
  const to = await screenPoint(page, 60 + size / 2 + 30, size / 2 + 20)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 8 })
  await page.mouse.up()
  await expect(status.getByLabel('Photo size')).toContainText(new RegExp(`crop ${size}px at (8[5-9]|9\\d),(1[5-9]|2\\d)`))
  const [, cx, cy] = /at (\d+),(\d+)/.exec((await status.getByLabel('Photo size').textContent())!)!.map(Number)
  const crop = { x: cx, y: cy, size }
  await screenshot(page, testInfo, '03-crop-frame')

  // --- add a reference photo
  const refPath = await faceFile(11)
  bridge.dialogs.answer('openImage', refPath)
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  const layers = page.getByRole('listbox', { name: 'Reference layers' })
  await expect(layers.getByRole('option')).toHaveCount(1)
  await expect(layers.getByRole('option').first()).toHaveAttribute('aria-selected', 'true')

  // --- paint with the brush across the middle of the crop
  await page.getByRole('radio', { name: 'Brush' }).click()
  for (let i = 0; i < 3; i++) await page.keyboard.press(']')
  await expect(page.getByLabel('Brush size value')).toHaveText('70px')
  const photoBefore = await canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2)
  const stroke: [number, number][] = [
    [crop.x + crop.size * 0.35, crop.y + crop.size * 0.45],
    [crop.x + crop.size * 0.5, crop.y + crop.size * 0.5],
    [crop.x + crop.size * 0.65, crop.y + crop.size * 0.45],
  ]
  await drag(page, stroke)
  await expect(page.getByRole('button', { name: 'Undo' })).toBeEnabled()

  // --- the live preview arrives: render time in the status bar
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  const painted = await canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2)
  expect(painted).not.toEqual(photoBefore)
  await screenshot(page, testInfo, '04-painted-with-preview')

  // --- before/after: the result differs from the photo near the mask only
  await page.getByRole('button', { name: 'Compare' }).click()
  const d = await beforeAfterDiff(page)
  // photo -> preview-image pixels
  const k = d.width / crop.size
  const radius = 70 / 2
  const distToStroke = (x: number, y: number) => {
    const px = crop.x + (x + 0.5) / k
    const py = crop.y + (y + 0.5) / k
    let best = Infinity
    for (let i = 0; i < stroke.length - 1; i++) {
      const [ax, ay] = stroke[i]
      const [bx, by] = stroke[i + 1]
      const t = Math.max(0, Math.min(1, ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)))
      best = Math.min(best, Math.hypot(px - (ax + t * (bx - ax)), py - (ay + t * (by - ay))))
    }
    return best
  }
  const inside = meanWhere(d, (x, y) => distToStroke(x, y) < radius * 0.6)
  // outside the brush, its soft edge and the paste-back feather (8 px) nothing may change
  const outside = meanWhere(d, (x, y) => distToStroke(x, y) > radius + 8 + 3)
  testInfo.annotations.push({ type: 'diff', description: `inside mean ${inside.mean.toFixed(2)}, outside mean ${outside.mean.toFixed(3)} max ${outside.max.toFixed(1)}` })
  expect(inside.count).toBeGreaterThan(500)
  expect(outside.count).toBeGreaterThan(5000)
  expect(inside.mean).toBeGreaterThan(8)
  expect(outside.mean).toBeLessThan(1)
  expect(outside.max).toBeLessThan(12)

  // --- the slider moves (keyboard on its handle, then a drag)
  const slider = page.getByRole('region', { name: 'Before and after' }).getByRole('slider')
  await expect(slider).toHaveAttribute('aria-valuenow', '50')
  await slider.focus()
  await page.keyboard.press('ArrowLeft')
  await page.keyboard.press('ArrowLeft')
  await expect(slider).toHaveAttribute('aria-valuenow', '40')
  const sliderBox = (await page.locator('.compare-slider').boundingBox())!
  await page.mouse.move(sliderBox.x + sliderBox.width * 0.4, sliderBox.y + sliderBox.height / 2)
  await page.mouse.down()
  await page.mouse.move(sliderBox.x + sliderBox.width * 0.8, sliderBox.y + sliderBox.height / 2, { steps: 6 })
  await page.mouse.up()
  expect(Number(await slider.getAttribute('aria-valuenow'))).toBeGreaterThan(70)
  await screenshot(page, testInfo, '05-before-after')
  await page.getByRole('region', { name: 'Before and after' }).getByRole('button', { name: 'Close' }).click()

  // --- hold-to-compare shows the photo while the key is down
  await page.keyboard.down('\\')
  await expect(page.getByText('Original', { exact: true })).toBeVisible()
  await expect.poll(() => canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2)).toEqual(photoBefore)
  await page.keyboard.up('\\')
  await expect.poll(() => canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2)).toEqual(painted)

  // --- undo removes the stroke (and the preview), redo brings both back
  await page.keyboard.press('Control+z')
  await expect(page.getByRole('button', { name: 'Redo' })).toBeEnabled()
  await expect.poll(() => canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2)).toEqual(photoBefore)
  await page.keyboard.press('Control+Shift+z')
  await expect(page.getByRole('button', { name: 'Redo' })).toBeDisabled()
  // re-rendered from the same mask: the same picture, up to a rounding step
  await expect.poll(async () => pixelDiff(await canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2), painted)).toBeLessThanOrEqual(3)

  // --- export at full resolution
  const exportPath = join(workDir, 'edited.png')
  bridge.dialogs.answer('saveImage', exportPath)
  await page.getByRole('button', { name: 'Export', exact: true }).click()
  const exportDialog = page.getByRole('dialog', { name: 'Export' })
  await exportDialog.getByLabel('Format').selectOption('png')
  await screenshot(page, testInfo, '06-export-dialog')
  await exportDialog.getByRole('button', { name: 'Export…' }).click()
  await expect(status.getByLabel('Notice')).toContainText('Exported edited.png (480 × 360, PNG)')
  const exported = await sharp(await readFile(exportPath)).metadata()
  expect({ width: exported.width, height: exported.height, format: exported.format }).toEqual({ width: 480, height: 360, format: 'png' })

  // --- save the project, start over, reopen it: the layer, mask and crop come back
  const projectPath = join(workDir, 'work.smproj')
  bridge.dialogs.answer('saveProject', projectPath)
  await page.keyboard.press('Control+s')
  await expect(status.getByLabel('Notice')).toContainText('Saved work.smproj')
  await expect(status.getByLabel('Project')).toHaveText('work.smproj')
  bridge.emit('menu:command', { command: 'newProject' })
  await expect(page.getByText('Open a photo to start')).toBeVisible()
  bridge.dialogs.answer('openProject', projectPath)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(layers.getByRole('option')).toHaveCount(1)
  await expect(status.getByLabel('Photo size')).toContainText(`crop ${crop.size}px at ${crop.x},${crop.y}`)
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled()
  await expect
    .poll(async () => pixelDiff(await canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2), painted), { timeout: 30_000 })
    .toBeLessThanOrEqual(3)
  await screenshot(page, testInfo, '07-project-reopened')

  // --- a corrupt project: a readable message with its code, the document untouched
  const badProject = join(workDir, 'broken.smproj')
  await writeFile(badProject, 'this is not a project')
  bridge.dialogs.answer('openProject', badProject)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(page.getByRole('alert')).toContainText('E_PROJECT_CORRUPT')
  await expect(layers.getByRole('option')).toHaveCount(1)
  await expect(status.getByLabel('Project')).toHaveText('work.smproj')

  // --- a corrupt photo: the engine's code, the document untouched
  const badPhoto = join(workDir, 'broken.jpg')
  await writeFile(badPhoto, Buffer.from('ffd8ffe000104a464946 truncated', 'utf8'))
  bridge.dialogs.answer('openImage', badPhoto)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'E_IMAGE' })).toBeVisible()
  await expect(status.getByLabel('Photo size')).toContainText('portrait.jpg')
  await expect(layers.getByRole('option')).toHaveCount(1)
  await screenshot(page, testInfo, '08-error-shown')
})

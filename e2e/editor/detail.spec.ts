// Detail transfer in the editor: on by default, the pasted edit keeps the fine detail of real
// photos instead of the 64 px generator's blur; the setting switches it, undoes, and is saved
// with the project. A before / without / with picture of the mouth at 3x is kept for the README.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { parseProject } from '../../src-main/app/projectFile'
import { faces, facesMissing } from '../../src-main/testing/utkface'
import { expect, test } from '../fixtures'
import { drag, screenPoint, screenshot, screenshotsDir } from './helpers'

/** The canvas around photo region [x, y, w, h] as the user sees it, scaled to `zoom` photo pixels per pixel. */
async function viewOf(page: Page, [x, y, w, h]: number[], zoom: number): Promise<{ png: Buffer; gray: Buffer; width: number; height: number }> {
  const a = await screenPoint(page, x, y)
  const b = await screenPoint(page, x + w, y + h)
  const shot = await page.screenshot({ clip: { x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y } })
  const png = await sharp(shot)
    .resize(Math.round(w * zoom), Math.round(h * zoom), { kernel: 'nearest' })
    .png()
    .toBuffer()
  const { data, info } = await sharp(shot).resize(w, h).grayscale().raw().toBuffer({ resolveWithObject: true })
  return { png, gray: data, width: info.width, height: info.height }
}

/** 4-neighbour Laplacian energy per pixel of a gray image. */
function fineDetail(view: { gray: Buffer; width: number; height: number }): number {
  const { gray, width, height } = view
  let sum = 0
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x
      const l = 4 * gray[i] - gray[i - 1] - gray[i + 1] - gray[i - width] - gray[i + width]
      sum += l * l
    }
  return sum / ((width - 2) * (height - 2))
}

/** Mean absolute difference of two gray views of the same region. */
function meanDifference(a: { gray: Buffer }, b: { gray: Buffer }): number {
  let sum = 0
  for (let i = 0; i < a.gray.length; i++) sum += Math.abs(a.gray[i] - b.gray[i])
  return sum / a.gray.length
}

test.skip(facesMissing('utkface200') !== null, facesMissing('utkface200') ?? '')

test('detail transfer keeps the fine detail of the photos; the setting switches it and is saved', async ({ app: page, bridge, workDir }, testInfo) => {
  test.setTimeout(120_000)
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  // two real 200 px faces: the photo and the reference (3x the bundled model's 64 px)
  const [photo, reference] = faces(2, 40, 'utkface200')
  const photoPath = join(workDir, 'face.jpg')
  const referencePath = join(workDir, 'reference.jpg')
  await writeFile(photoPath, photo.bytes)
  await writeFile(referencePath, reference.bytes)
  bridge.dialogs.answer('openImage', photoPath)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('face.jpg · 200 × 200')
  await page.getByRole('checkbox', { name: 'Show masks' }).uncheck()
  const mouth = [60, 118, 80, 50]
  const before = await viewOf(page, mouth, 3)

  bridge.dialogs.answer('openImage', referencePath)
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  // adding it looks for its face first: paint once it is the layer painted on
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option', { name: 'reference.jpg' })).toHaveAttribute('aria-selected', 'true')
  await page.getByRole('radio', { name: 'Brush' }).click()
  await drag(page, [
    [78, 142],
    [122, 142],
  ])
  // the brush outline follows the pointer: take it out of the picture
  await page.mouse.move(5, 300)
  const detailSetting = page.getByRole('checkbox', { name: 'Detail' })
  await expect(detailSetting).toBeChecked()
  const lastRender = status.getByLabel('Last render time')
  await expect(lastRender).toContainText(/\d+ ms/)
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  // the edit shows on the canvas before it is measured: the mouth is no longer the photo's
  await expect.poll(async () => meanDifference(await viewOf(page, mouth, 3), before)).toBeGreaterThan(2)
  const withDetail = await viewOf(page, mouth, 3)
  await screenshot(page, testInfo, 'detail-on')

  await detailSetting.uncheck()
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  // without detail the pasted mouth is the generator's upsampled blur
  await expect.poll(async () => fineDetail(await viewOf(page, mouth, 3)), { timeout: 30_000 }).toBeLessThan(fineDetail(withDetail) / 2)
  const without = await viewOf(page, mouth, 3)
  await screenshot(page, testInfo, 'detail-off')

  // saved with the project, and undoable like any setting
  bridge.dialogs.answer('saveProject', join(workDir, 'detail-off.smproj'))
  await page.keyboard.press('Control+Shift+s')
  await expect(status.getByLabel('Notice')).toContainText('Saved detail-off.smproj')
  expect((await parseProject(await readFile(join(workDir, 'detail-off.smproj')))).document.settings.detail).toBe(false)
  await page.keyboard.press('Control+z')
  await expect(detailSetting).toBeChecked()

  // before | without detail | with detail, the mouth at 3x
  const gap = 6
  const [w, h] = [mouth[2] * 3, mouth[3] * 3]
  const strip = await sharp({ create: { width: 3 * w + 2 * gap, height: h, channels: 3, background: '#ffffff' } })
    .composite([before.png, without.png, withDetail.png].map((input, i) => ({ input, left: i * (w + gap), top: 0 })))
    .png()
    .toBuffer()
  await mkdir(screenshotsDir, { recursive: true })
  await writeFile(join(screenshotsDir, 'detail-before-after.png'), strip)
  await testInfo.attach('detail-before-after', { body: strip, contentType: 'image/png' })
  // the detail is the reference's, not noise of its own: no more of it than the reference's mouth has
  const { data, info } = await sharp(reference.bytes)
    .extract({ left: mouth[0], top: mouth[1], width: mouth[2], height: mouth[3] })
    .grayscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  const referenceDetail = fineDetail({ gray: data, width: info.width, height: info.height })
  console.log(
    `fine detail (Laplacian energy) of the mouth: photo ${fineDetail(before).toFixed(0)}, reference ${referenceDetail.toFixed(0)}, edit without detail ${fineDetail(without).toFixed(0)}, with detail ${fineDetail(withDetail).toFixed(0)}`,
  )
  expect(fineDetail(withDetail)).toBeLessThanOrEqual(1.25 * Math.max(referenceDetail, fineDetail(before)))
  console.log(`mean gray difference of the mouth from the photo: edit with detail ${meanDifference(withDetail, before).toFixed(1)}, without ${meanDifference(without, before).toFixed(1)}`)
})

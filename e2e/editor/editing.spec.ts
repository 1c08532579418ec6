// The main editing path, as a person does it, one behaviour a test: open a photo, frame the
// crop, add a reference and paint, watch the preview, compare, undo/redo. Each test takes
// the earlier steps through the helpers; keeping the work is in documents.spec.ts.
import { expect, test } from '../fixtures'
import {
  addReference,
  beforeAfterDiff,
  brushSize,
  canvasMean,
  cropCentrePixel,
  drag,
  frameCrop,
  meanWhere,
  openPortrait,
  paintedPortrait,
  paintStroke,
  pixelDiff,
  screenPoint,
  screenshot,
  statusBar,
} from './helpers'

test('a photo stored sideways (EXIF 6) opens upright, framed on its face; Reset frame gives the largest centred crop', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  await screenshot(page, testInfo, '01-empty')
  // openPortrait waits for the turned frame on the face, then presses Reset frame
  await openPortrait({ page, bridge, photoFile, faceFile })
  const status = statusBar(page)
  const photoSize = status.getByLabel('Photo size')
  await expect(photoSize).toContainText('portrait.jpg · 480 × 360')
  await expect(photoSize).toContainText(/crop 360px at 60,0$/)
  await expect(status.getByLabel('Execution provider')).toContainText('cpu')
  await screenshot(page, testInfo, '02-photo-opened')
  // the reset is one undo step, and opening none: undo brings the face frame back and nothing more
  await page.keyboard.press('Control+z')
  await expect(photoSize).toContainText(/turned -?[\d.]+°/)
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled()
  // R resets only while the frame is placed: with the Brush it leaves the crop alone
  await page.keyboard.press('r')
  await page.keyboard.press('c')
  // keys are handled in order: once C has chosen the Crop tool, R has been handled
  await expect(page.getByRole('radio', { name: 'Crop' })).toHaveAttribute('aria-checked', 'true')
  await expect(photoSize).toContainText('turned')
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled()
  await page.keyboard.press('r')
  await expect(photoSize).toContainText(/crop 360px at 60,0$/)
})

test('the crop frame shrinks from its corner and moves with the mouse', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  await openPortrait({ page, bridge, photoFile, faceFile })
  // frameCrop checks the status bar after each gesture: a 31x px frame at 60,0, then moved by about (30, 20)
  await frameCrop(page)
  await screenshot(page, testInfo, '03-crop-frame')
})

test('painting on a reference layer shows the live preview on the canvas', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  const editor = { page, bridge, photoFile, faceFile }
  await openPortrait(editor)
  const crop = await frameCrop(page)
  await addReference(editor)
  // paintStroke waits for the preview: a render time in the status bar, no render running
  const { photoBefore, painted } = await paintStroke(page, crop)
  expect(painted).not.toEqual(photoBefore)
  await screenshot(page, testInfo, '04-painted-with-preview')
})

test('once the crop is framed and a reference added, the status bar says the crops are being prepared, and the first stroke then renders', async ({ app: page, bridge, photoFile, faceFile }) => {
  const editor = { page, bridge, photoFile, faceFile }
  // what the status bar says while busy, however briefly (the bundled model prepares in a blink)
  await page.evaluate(() => {
    // runs in the page; the node-side tsconfig has no DOM types
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const page = globalThis as any
    const seen: string[] = []
    page.busySeen = seen
    new page.MutationObserver(() => {
      const text = page.document.querySelector('[aria-label="Busy"]')?.textContent?.trim()
      if (text && !seen.includes(text)) seen.push(text)
    }).observe(page.document.body, { subtree: true, childList: true, characterData: true })
  })
  const busySeen = () => page.evaluate(() => (globalThis as unknown as { busySeen: string[] }).busySeen)
  await openPortrait(editor)
  const crop = await frameCrop(page)
  await addReference(editor)
  await expect.poll(busySeen).toContain('Preparing crops…')
  await expect(statusBar(page).getByLabel('Busy')).toHaveCount(0)
  // nothing was painted yet: preparing rendered nothing
  await expect(statusBar(page).getByLabel('Last render time')).toHaveText('Last render: —')
  const { photoBefore, painted } = await paintStroke(page, crop)
  expect(painted).not.toEqual(photoBefore)
})

test('before/after: the result differs from the photo near the painted stroke only', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  const { crop, stroke } = await paintedPortrait({ page, bridge, photoFile, faceFile })
  await page.getByRole('button', { name: 'Compare' }).click()
  const d = await beforeAfterDiff(page)
  // photo -> preview-image pixels
  const k = d.width / crop.size
  const radius = brushSize / 2
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
  testInfo.annotations.push({
    type: 'diff',
    description: `inside mean ${inside.mean.toFixed(2)}, outside mean ${outside.mean.toFixed(3)} max ${outside.max.toFixed(1)}`,
  })
  expect(inside.count).toBeGreaterThan(500)
  expect(outside.count).toBeGreaterThan(5000)
  expect(inside.mean).toBeGreaterThan(8)
  expect(outside.mean).toBeLessThan(1)
  expect(outside.max).toBeLessThan(12)
})

test('the before/after slider moves with the keyboard and with a drag', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  await paintedPortrait({ page, bridge, photoFile, faceFile })
  await page.getByRole('button', { name: 'Compare' }).click()
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
  await expect(page.getByRole('region', { name: 'Before and after' })).toBeHidden()
})

test('holding \\ shows the photo while the key is down, the edit again once it is up', async ({ app: page, bridge, photoFile, faceFile }) => {
  const { crop, photoBefore, painted } = await paintedPortrait({ page, bridge, photoFile, faceFile })
  await page.keyboard.down('\\')
  await expect(page.getByText('Original', { exact: true })).toBeVisible()
  await expect.poll(() => cropCentrePixel(page, crop)).toEqual(photoBefore)
  await page.keyboard.up('\\')
  await expect.poll(() => cropCentrePixel(page, crop)).toEqual(painted)
})

test('undo removes the stroke and its preview, redo brings both back', async ({ app: page, bridge, photoFile, faceFile }) => {
  const { crop, photoBefore, painted } = await paintedPortrait({ page, bridge, photoFile, faceFile })
  await page.keyboard.press('Control+z')
  await expect(page.getByRole('button', { name: 'Redo' })).toBeEnabled()
  await expect.poll(() => cropCentrePixel(page, crop)).toEqual(photoBefore)
  await page.keyboard.press('Control+Shift+z')
  await expect(page.getByRole('button', { name: 'Redo' })).toBeDisabled()
  // re-rendered from the same mask: the same picture, up to a rounding step
  await expect.poll(async () => pixelDiff(await cropCentrePixel(page, crop), painted)).toBeLessThanOrEqual(3)
})

test('while a strength slider or the offset is dragged the preview is a draft; when the button comes up the exact render replaces it', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  const editor = { page, bridge, photoFile, faceFile }
  await openPortrait(editor)
  const crop = await frameCrop(page)
  await addReference(editor)
  const renderTime = statusBar(page).getByLabel('Last render time')
  const rendering = page.getByRole('progressbar', { name: 'Rendering preview' })
  // a short stroke in the crop's corner: a strength or an offset then changes a window of the
  // grid small enough to draft
  await page.getByRole('radio', { name: 'Brush' }).click()
  const at = [crop.x + crop.size * 0.1, crop.y + crop.size * 0.1] as const
  await drag(page, [[at[0] - crop.size * 0.03, at[1]], [at[0] + crop.size * 0.03, at[1]]])
  await expect(renderTime).toContainText(/\d+ ms$/)
  await expect(rendering).toHaveCount(0)
  // the preview itself, without the mask's overlay
  await page.getByRole('checkbox', { name: 'Show masks' }).uncheck()
  const full = await canvasMean(page, at[0], at[1], 3)
  const photo = await canvasMean(page, crop.x + crop.size * 0.9, crop.y + crop.size * 0.9, 3)
  // the pointer held still after a drag (longer than the preview's throttle): the drag's renders
  // are over and the last of them is a draft; then the button comes up, nothing in the document
  // changes, yet the exact render follows
  const holdThenRelease = async (name: string) => {
    await expect(renderTime).toContainText('(draft)')
    await page.waitForTimeout(300)
    await expect(rendering).toHaveCount(0)
    await expect(renderTime).toContainText('(draft)')
    await screenshot(page, testInfo, name)
    await page.mouse.up()
    await expect(renderTime).not.toContainText('(draft)')
    await expect(rendering).toHaveCount(0)
    await expect(renderTime).toContainText(/\d+ ms$/)
  }

  const slider = page.getByLabel(/^Strength of /)
  await expect(slider).toHaveValue('1')
  const box = (await slider.boundingBox())!
  const y = box.y + box.height / 2
  await page.mouse.move(box.x + box.width - 4, y)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.7, y, { steps: 5 })
  await page.mouse.move(box.x + box.width * 0.4, y, { steps: 5 })
  await holdThenRelease('06b-draft-while-dragging-strength')
  const dragged = Number(await slider.inputValue())
  expect(dragged).toBeGreaterThan(0.2)
  expect(dragged).toBeLessThan(0.6)
  // less of the reference's style under the stroke (in this corner the pasted crop is mostly
  // the model's own decode, so the change is small), and the photo's pixels away from it as they were
  const half = await canvasMean(page, at[0], at[1], 3)
  expect(Math.abs(half - full)).toBeGreaterThan(0.5)
  expect(await canvasMean(page, crop.x + crop.size * 0.9, crop.y + crop.size * 0.9, 3)).toBe(photo)

  // the offset tool: the reference's content dragged up and left under the stroke
  await page.getByRole('radio', { name: 'Offset' }).click()
  const from = await screenPoint(page, crop.x + crop.size * 0.5, crop.y + crop.size * 0.5)
  const to = await screenPoint(page, crop.x + crop.size * 0.45, crop.y + crop.size * 0.46)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 5 })
  await holdThenRelease('06c-draft-while-dragging-offset')
  await expect(page.getByLabel(/^Offset of /)).toContainText(/Offset -\d+, -\d+ px/)
  // (the offset tool shows the reference's crop over the photo: back to the brush to look)
  await page.getByRole('radio', { name: 'Brush' }).click()
  expect(await canvasMean(page, crop.x + crop.size * 0.9, crop.y + crop.size * 0.9, 3)).toBe(photo)
})

test('while a stroke is being painted the preview is a draft; when it ends the exact render replaces it', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  const { crop } = await paintedPortrait({ page, bridge, photoFile, faceFile })
  const renderTime = statusBar(page).getByLabel('Last render time')
  // a short stroke in the crop's top-left corner, held still before the button comes up: its
  // window covers less of the model's grid than the engine drafts for
  const from = await screenPoint(page, crop.x + crop.size * 0.08, crop.y + crop.size * 0.08)
  const to = await screenPoint(page, crop.x + crop.size * 0.14, crop.y + crop.size * 0.1)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 4 })
  await expect(renderTime).toContainText('(draft)')
  await screenshot(page, testInfo, '06-draft-while-painting')
  await page.mouse.up()
  await expect(renderTime).not.toContainText('(draft)')
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  await expect(renderTime).toContainText(/\d+ ms$/)
})

// Getting photos in and results out: drag-and-drop, the File menu, recent files, JPEG/WebP
// export with quality, autosave recovery after a crash, and a 24 MP photo staying responsive.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { expect, test } from '../fixtures'
import { canvasPixel, drag, pixelDiff, screenshot } from './helpers'

test('drop a photo, File menu, recent files, JPEG and WebP export', async ({ app: page, bridge, photoFile, faceFile, workDir }, testInfo) => {
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  const photo = await photoFile('dropped.jpg', { face: 4, width: 300, height: 240 })

  // drag-and-drop onto the canvas
  const bytes = (await readFile(photo)).toString('base64')
  const dataTransfer = await page.evaluateHandle((b64) => {
    const raw = atob(b64)
    const data = new Uint8Array(raw.length)
    for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i)
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const dt = new (globalThis as any).DataTransfer()
    dt.items.add(new File([data], 'dropped.jpg', { type: 'image/jpeg' }))
    return dt
  }, bytes)
  await page.getByRole('region', { name: 'Photo canvas' }).dispatchEvent('drop', { dataTransfer })
  await expect(status.getByLabel('Photo size')).toContainText('dropped.jpg · 300 × 240')

  // File > Open from the application menu
  bridge.dialogs.answer('openImage', await photoFile('menu.jpg', { face: 5, width: 320, height: 320 }))
  bridge.emit('menu:command', { command: 'open' })
  await expect(status.getByLabel('Photo size')).toContainText('menu.jpg · 320 × 320')
  // File > Open Reference from the menu
  bridge.dialogs.answer('openImage', await faceFile(30))
  bridge.emit('menu:command', { command: 'openReference' })
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option')).toHaveCount(1)
  await drag(page, [
    [100, 160],
    [220, 160],
  ])
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)

  // export JPEG and WebP with a quality setting, full size
  for (const [format, quality, file] of [
    ['jpeg', 40, 'out.jpg'],
    ['webp', 70, 'out.webp'],
  ] as const) {
    bridge.dialogs.answer('saveImage', join(workDir, file))
    await page.keyboard.press('Control+e')
    const dialog = page.getByRole('dialog', { name: 'Export' })
    await dialog.getByLabel('Format').selectOption(format)
    await dialog.getByRole('slider', { name: 'Quality' }).fill(String(quality))
    await dialog.getByRole('button', { name: 'Export…' }).click()
    await expect(status.getByLabel('Notice')).toContainText(`Exported ${file} (320 × 320, ${format.toUpperCase()})`)
    const meta = await sharp(await readFile(join(workDir, file))).metadata()
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format, width: 320, height: 320 })
  }
  // a lower quality gives a smaller file than the default for the same picture
  bridge.dialogs.answer('saveImage', join(workDir, 'hq.jpg'))
  await page.keyboard.press('Control+e')
  await page.getByRole('dialog', { name: 'Export' }).getByLabel('Format').selectOption('jpeg')
  await page.getByRole('dialog', { name: 'Export' }).getByRole('button', { name: 'Export…' }).click()
  await expect(status.getByLabel('Notice')).toContainText('Exported hq.jpg')
  expect((await readFile(join(workDir, 'out.jpg'))).length).toBeLessThan((await readFile(join(workDir, 'hq.jpg'))).length)

  // recent files: photos opened through the dialog are listed; one click reopens one
  bridge.dialogs.answer('openImage', await photoFile('other.jpg', { face: 9, width: 300, height: 300 }))
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('other.jpg · 300 × 300')
  const recent = page.getByRole('region', { name: 'Recent files' })
  await expect(recent.getByRole('button', { name: /menu\.jpg/ })).toBeVisible()
  await screenshot(page, testInfo, '20-recent-files')
  await recent.getByRole('button', { name: /menu\.jpg/ }).click()
  await expect(status.getByLabel('Photo size')).toContainText('menu.jpg · 320 × 320')
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option')).toHaveCount(0)
})

test('after a crash the unsaved work is offered back', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  bridge.dialogs.answer('openImage', await photoFile('unsaved.jpg', { face: 6, width: 320, height: 320 }))
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  bridge.dialogs.answer('openImage', await faceFile(40))
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  // adding it looks for its face first: paint once it is the layer painted on
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option').first()).toHaveAttribute('aria-selected', 'true')
  await drag(page, [
    [120, 150],
    [200, 170],
  ])
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  const painted = await canvasPixel(page, 160, 160)
  // the autosave lands a few seconds after the last change; then the window "crashes"
  await page.waitForTimeout(4500)
  await page.reload()
  const prompt = page.getByRole('alertdialog', { name: 'Recover unsaved work' })
  await expect(prompt).toBeVisible()
  await screenshot(page, testInfo, '21-recovery-prompt')
  await prompt.getByRole('button', { name: 'Recover' }).click()
  await expect(status.getByLabel('Photo size')).toContainText('unsaved.jpg · 320 × 320')
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option')).toHaveCount(1)
  await expect(status.getByLabel('Project')).toHaveText('Untitled •')
  await expect.poll(async () => pixelDiff(await canvasPixel(page, 160, 160), painted), { timeout: 30_000 }).toBeLessThanOrEqual(3)

  // declining drops the copy: the next start asks nothing
  await page.reload()
  await expect(prompt).toBeVisible()
  await prompt.getByRole('button', { name: 'Discard' }).click()
  await page.reload()
  await expect(page.getByText('Open a photo to start')).toBeVisible()
  await page.waitForTimeout(1000)
  await expect(prompt).toHaveCount(0)
})

test('a 24 MP photo opens upright and stays responsive while painting', async ({ app: page, bridge, photoFile, faceFile }, testInfo) => {
  test.setTimeout(300_000)
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  const big = await photoFile('big.jpg', { face: 8, width: 6000, height: 4000, sideways: true })
  bridge.dialogs.answer('openImage', big)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('big.jpg · 6000 × 4000', { timeout: 60_000 })
  bridge.dialogs.answer('openImage', await faceFile(50))
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  await expect(page.getByRole('listbox', { name: 'Reference layers' }).getByRole('option')).toHaveCount(1)

  // watch the page's main thread while painting and rendering: no long freeze
  await page.evaluate(() => {
    const w = globalThis as unknown as { __longTasks: number[] }
    w.__longTasks = []
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.__longTasks.push(entry.duration)
      // 'longtask' is a browser entry type the node-side typings do not list
    }).observe({ type: 'longtask' } as never)
  })
  const started = Date.now()
  await page.getByRole('slider', { name: 'Brush size' }).fill('300')
  await drag(
    page,
    [
      [2400, 1800],
      [3000, 2000],
      [3600, 1800],
    ],
    12,
  )
  const strokeMs = Date.now() - started
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/, { timeout: 120_000 })
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0, { timeout: 120_000 })
  const tasks = await page.evaluate(() => (globalThis as unknown as { __longTasks: number[] }).__longTasks)
  const worst = Math.max(0, ...tasks)
  const note = `stroke ${strokeMs} ms; ${tasks.length} main-thread tasks over 50 ms, longest ${worst.toFixed(0)} ms; ${await status.getByLabel('Last render time').textContent()}`
  testInfo.annotations.push({ type: 'responsiveness', description: note })
  console.log(`24 MP: ${note}`)
  // measured on a shared 2-core machine with training running: tasks of a few hundred ms
  // come from software canvas drawing and the bridge's base64 transport (Electron sends
  // bytes by structured clone); what must never happen is a freeze a person calls a hang
  expect(worst).toBeLessThan(2000)
  await expect(page.getByRole('button', { name: 'Undo' })).toBeEnabled()
  await screenshot(page, testInfo, '22-large-photo')
})

// Faces in the editor, against the real engine and its face detector: a tilted face is framed
// turned on opening and an edit of it changes the exported photo only under the stroke; a
// group photo offers a face picker; a photo without a face says so and keeps the default crop.
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page } from '@playwright/test'
import sharp from 'sharp'
import { parseProject } from '../../src-main/app/projectFile'
import { sharedDataDir } from '../../src-main/testing/utkface'
import { expect, test } from '../fixtures'
import { canvasMean, canvasPixel, drag, dragCropCorner, farFromMask, parseCrop, photoCrop, photoPoint, pixelDiff, referenceLayers, screenPoint, screenshot, statusBar, type ShownCrop } from './helpers'

const photosDir = join(sharedDataDir, 'photos')
test.skip(!existsSync(join(photosDir, 'Hepburn01.png')), `the real photos are missing from ${photosDir}`)

type P = [number, number]

const centreOf = (crop: ShownCrop): P => [crop.x + crop.size / 2, crop.y + crop.size / 2]
const distance = (a: P, b: P) => Math.hypot(a[0] - b[0], a[1] - b[1])

/** Opens a file through the Open dialog and waits for it to be the photo. */
async function openPhoto(page: Page, bridge: { dialogs: { answer: (kind: 'openImage', path: string) => void } }, path: string, name: string): Promise<void> {
  bridge.dialogs.answer('openImage', path)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(statusBar(page).getByLabel('Photo size')).toContainText(name)
}

test('a tilted face: the frame opens turned on it; a mouth painted from a reference changes the export only near the stroke', async ({ app: page, bridge, workDir }, testInfo) => {
  test.setTimeout(240_000)
  const status = statusBar(page)
  // Hepburn01.png is aligned FFHQ-style (eyes at y 0.475, mouth at 0.70 of 512 px); turned 25
  // degrees clockwise (sharp's rotate(+25)) into an 1100 x 900 photo
  const tilt = 25
  const background = '#6f7d68'
  const turned = await sharp(join(photosDir, 'Hepburn01.png')).flatten({ background }).rotate(tilt, { background }).png().toBuffer({ resolveWithObject: true })
  const [left, top] = [250, 110]
  const photoPath = join(workDir, 'tilted.png')
  await writeFile(photoPath, await sharp({ create: { width: 1100, height: 900, channels: 3, background } }).composite([{ input: turned.data, left, top }]).removeAlpha().png().toBuffer())
  // where a point of the 512 px portrait lies in the photo: turned clockwise on screen about its centre
  const r = (tilt * Math.PI) / 180
  const inPhoto = ([u, v]: P): P => {
    const [du, dv] = [u - 256, v - 256]
    return [left + turned.info.width / 2 + Math.cos(r) * du - Math.sin(r) * dv, top + turned.info.height / 2 + Math.sin(r) * du + Math.cos(r) * dv]
  }
  const faceCentre = inPhoto([256, ((0.475 + 0.7) / 2) * 512])
  const eyeDistance = 0.25 * 512

  await openPhoto(page, bridge, photoPath, 'tilted.png · 1100 × 900')
  await expect(status.getByLabel('Photo size')).toContainText('turned')
  const frame = await photoCrop(page)
  console.log(`tilted face: frame ${JSON.stringify(frame)}, face centre ${faceCentre.map((v) => v.toFixed(0)).join(',')}`)
  expect(Math.abs(frame.angle! - tilt), 'the frame turns with the face (clockwise, as sharp turned it)').toBeLessThan(4)
  expect(distance(centreOf(frame), faceCentre), 'the frame is centred on the face').toBeLessThan(0.15 * frame.size)
  expect(frame.size).toBeGreaterThan(2 * eyeDistance)
  expect(frame.size).toBeLessThan(6 * eyeDistance)
  // opening is no undo step, snapped or not
  await expect(page.getByRole('button', { name: 'Undo' })).toBeDisabled()
  await page.getByRole('radio', { name: 'Crop' }).click()
  await screenshot(page, testInfo, 'faces-tilted-frame')

  // a reference, framed on its own face (Einstein01.png is upright)
  bridge.dialogs.answer('openImage', join(photosDir, 'Einstein01.png'))
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  const referenceCrop = referenceLayers(page).getByLabel('Crop of Einstein01.png')
  await expect(referenceCrop).toContainText('turned')
  const reference = parseCrop((await referenceCrop.textContent())!)
  expect(Math.abs(reference.angle!)).toBeLessThan(4)
  expect(distance(centreOf(reference), [256, 300])).toBeLessThan(0.15 * reference.size)

  // what the canvas shows away from the mouth, before the edit: the eyes
  await page.getByRole('checkbox', { name: 'Show masks' }).uncheck()
  const eyes = [inPhoto([0.375 * 512, 0.475 * 512]), inPhoto([0.625 * 512, 0.475 * 512])]
  const eyesBefore = await Promise.all(eyes.map((p) => canvasPixel(page, ...p)))
  const mouth = [inPhoto([0.41 * 512, 0.7 * 512]), inPhoto([0.5 * 512, 0.71 * 512]), inPhoto([0.59 * 512, 0.7 * 512])]
  const mouthBefore = await Promise.all(mouth.map((p) => canvasPixel(page, ...p)))
  await page.getByRole('radio', { name: 'Brush' }).click()
  await drag(page, mouth)
  await page.mouse.move(5, 300)
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  // the preview lies where it belongs: the mouth changed, the eyes (outside the stroke) did not move
  const mouthChange = async () => Math.max(...(await Promise.all(mouth.map(async (p, i) => pixelDiff(await canvasPixel(page, ...p), mouthBefore[i])))))
  await expect.poll(mouthChange).toBeGreaterThan(8)
  for (const [i, p] of eyes.entries()) expect(pixelDiff(await canvasPixel(page, ...p), eyesBefore[i]), `eye ${i + 1} after the preview`).toBeLessThanOrEqual(6)
  await screenshot(page, testInfo, 'faces-tilted-edited')

  // the project keeps the turned frames
  const projectPath = join(workDir, 'tilted.smproj')
  bridge.dialogs.answer('saveProject', projectPath)
  await page.keyboard.press('Control+Shift+s')
  await expect(status.getByLabel('Notice')).toContainText('Saved tilted.smproj')
  const project = await parseProject(await readFile(projectPath))
  expect(project.document.original.crop).toEqual({ x: frame.x, y: frame.y, size: frame.size, angle: frame.angle })
  expect(project.document.references[0].crop.angle).toBe(reference.angle)

  // export: the photo changed under the stroke and nowhere farther than feather + 3 px from it
  const exportPath = join(workDir, 'tilted-edited.png')
  bridge.dialogs.answer('saveImage', exportPath)
  await page.keyboard.press('Control+e')
  const dialog = page.getByRole('dialog', { name: 'Export' })
  await dialog.getByLabel('Format').selectOption('png')
  await dialog.getByRole('button', { name: 'Export…' }).click()
  await expect(status.getByLabel('Notice')).toContainText('Exported tilted-edited.png (1100 × 900, PNG)')
  const exported = await sharp(exportPath).removeAlpha().raw().toBuffer({ resolveWithObject: true })
  const original = await sharp(photoPath).removeAlpha().raw().toBuffer()
  const { mask } = project.document.references[0]
  expect([mask.width, mask.height, exported.info.width, exported.info.height]).toEqual([1100, 900, 1100, 900])
  const far = farFromMask(mask, project.document.settings.feather + 3)
  let changedFar = 0
  let painted = 0
  let changedPainted = 0
  for (let i = 0; i < 1100 * 900; i++) {
    const same = exported.data[i * 3] === original[i * 3] && exported.data[i * 3 + 1] === original[i * 3 + 1] && exported.data[i * 3 + 2] === original[i * 3 + 2]
    if (far[i] && !same) changedFar++
    if (mask.data[i] === 255) {
      painted++
      if (!same) changedPainted++
    }
  }
  console.log(`export: ${changedPainted} of ${painted} stroke pixels changed; ${changedFar} changed farther than feather + 3 px`)
  expect(changedFar, 'pixels changed away from the stroke').toBe(0)
  expect(changedPainted / painted, 'the edit shows under the stroke').toBeGreaterThan(0.5)

  // the project opens again with its turned frames, as saved (no new snapping)
  bridge.emit('menu:command', { command: 'newProject' })
  await expect(page.getByText('Open a photo to start')).toBeVisible()
  bridge.dialogs.answer('openProject', projectPath)
  await page.getByRole('button', { name: 'Open project' }).click()
  await expect(referenceLayers(page).getByRole('option')).toHaveCount(1)
  expect(await photoCrop(page)).toEqual(frame)
  expect(parseCrop((await referenceCrop.textContent())!)).toEqual(reference)
})

test('a group photo: the face picker shows each face; clicking one frames it, one undo step', async ({ app: page, bridge }, testInfo) => {
  test.setTimeout(180_000)
  await openPhoto(page, bridge, join(photosDir, 'group-of-four.png'), 'group-of-four.png · 1204 × 645')
  await expect(statusBar(page).getByLabel('Photo size')).toContainText('turned')
  const opened = await photoCrop(page)
  const picker = page.getByRole('group', { name: 'Faces' })
  // the boxes show while the crop frame is placed
  await expect(picker).toHaveCount(0)
  await page.getByRole('radio', { name: 'Crop' }).click()
  await expect(picker.getByRole('img')).toHaveCount(4)
  // the largest face is the one opening chose
  await expect(picker.getByRole('button', { name: 'Frame face 1' })).toHaveAttribute('aria-pressed', 'true')
  await screenshot(page, testInfo, 'faces-group-picker')

  // click the middle of another face's box, on the canvas
  const other = picker.locator('[data-face="2"]')
  const box = (await other.boundingBox())!
  const boxCentre = await photoPoint(page, box.x + box.width / 2, box.y + box.height / 2)
  const boxWidth = (await photoPoint(page, box.x + box.width, box.y)).x - (await photoPoint(page, box.x, box.y)).x
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2)
  await expect(picker.getByRole('button', { name: 'Frame face 3' })).toHaveAttribute('aria-pressed', 'true')
  await expect(picker.getByRole('button', { name: 'Frame face 1' })).toHaveAttribute('aria-pressed', 'false')
  const picked = await photoCrop(page)
  expect(picked).not.toEqual(opened)
  expect(picked.angle).toBeDefined()
  // the new frame is on the clicked face
  expect(distance(centreOf(picked), [boxCentre.x, boxCentre.y])).toBeLessThan(boxWidth)
  await screenshot(page, testInfo, 'faces-group-picked')

  await page.keyboard.press('Control+z')
  await expect.poll(() => photoCrop(page)).toEqual(opened)
  await expect(picker.getByRole('button', { name: 'Frame face 1' })).toHaveAttribute('aria-pressed', 'true')
})

/** An 800 x 600 colour gradient: no face in it. */
async function gradientPhoto(workDir: string): Promise<string> {
  const [width, height] = [800, 600]
  const pixels = Buffer.alloc(width * height * 3)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) pixels.set([Math.round((255 * x) / width), Math.round((255 * y) / height), 128], (y * width + x) * 3)
  const path = join(workDir, 'gradient.png')
  await writeFile(path, await sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer())
  return path
}

test('a photo without a face: a plain message, the default crop, nothing blocked', async ({ app: page, bridge, workDir }) => {
  await openPhoto(page, bridge, await gradientPhoto(workDir), 'gradient.png · 800 × 600')
  await expect(statusBar(page).getByLabel('Notice')).toHaveText('No face found in gradient.png — frame it by hand')
  // the default framing: the largest centred square, not turned
  expect(await photoCrop(page)).toEqual({ x: 100, y: 0, size: 600 })
  await expect(page.getByRole('alert')).toHaveCount(0)
  // the frame is still the user's to place
  await page.getByRole('radio', { name: 'Crop' }).click()
  await expect(page.getByRole('group', { name: 'Faces' })).toHaveCount(0)
})

test('the frame turns with its handle about its centre, may then reach past the edges, snaps upright near 0°; each turn is an undo step', async ({ app: page, bridge, workDir }, testInfo) => {
  await openPhoto(page, bridge, await gradientPhoto(workDir), 'gradient.png · 800 × 600')
  await page.getByRole('radio', { name: 'Crop' }).click()
  const start = await photoCrop(page)
  expect(start).toEqual({ x: 100, y: 0, size: 600 })
  const [cx, cy] = centreOf(start)
  const centre = await screenPoint(page, cx, cy)
  // the rotation handle: on the frame's centre line, just inside its top edge
  const top = await screenPoint(page, cx, start.y)
  const reach = centre.y - (top.y + 26)
  const handleAt = (degrees: number) => {
    const r = (degrees * Math.PI) / 180
    return { x: centre.x + reach * Math.sin(r), y: centre.y - reach * Math.cos(r) }
  }
  const turn = async (from: number, to: number) => {
    const a = handleAt(from)
    await page.mouse.move(a.x, a.y)
    await page.mouse.down()
    for (let i = 1; i <= 10; i++) {
      const p = handleAt(from + ((to - from) * i) / 10)
      await page.mouse.move(p.x, p.y)
    }
    await page.mouse.up()
  }

  await turn(0, 30)
  await expect(statusBar(page).getByLabel('Photo size')).toContainText('turned')
  const turned = await photoCrop(page)
  expect(Math.abs(turned.angle! - 30), `turned ${turned.angle}°`).toBeLessThan(1)
  expect(turned.size).toBe(600)
  expect(distance(centreOf(turned), [cx, cy]), 'turned about its centre').toBeLessThanOrEqual(1)
  await screenshot(page, testInfo, 'faces-frame-turned-by-hand')

  // a corner handle, turned with it, resizes it; the angle stays. The frame's top-right corner
  // (its others lie past the photo, off the canvas): centre + turn(angle) * (half, -half)
  const a = (turned.angle! * Math.PI) / 180
  const half = turned.size / 2
  const [tx, ty] = centreOf(turned)
  const corner: P = [tx + Math.cos(a) * half + Math.sin(a) * half, ty + Math.sin(a) * half - Math.cos(a) * half]
  const outward: P = [corner[0] + 30 * (Math.cos(a) + Math.sin(a)), corner[1] + 30 * (Math.sin(a) - Math.cos(a))]
  await dragCropCorner(page, corner, outward)
  // the corner moved 30 px along each of the frame's axes: about 30 px larger
  await expect.poll(async () => (await photoCrop(page)).size).toBeGreaterThan(615)
  expect((await photoCrop(page)).angle).toBe(turned.angle)
  await page.keyboard.press('Control+z')
  await expect.poll(() => photoCrop(page)).toEqual(turned)

  // a turned frame may reach past the photo's edges; dragged off to the right, its centre stops at the edge
  await drag(page, [
    [cx, cy],
    [cx + 500, cy],
  ])
  await expect.poll(async () => centreOf(await photoCrop(page))[0]).toBeGreaterThanOrEqual(799)
  expect(centreOf(await photoCrop(page))[0]).toBeLessThanOrEqual(801)
  await page.keyboard.press('Control+z')
  await expect.poll(() => photoCrop(page)).toEqual(turned)

  // back to within 1.5° of upright: upright, still a frame
  await turn(turned.angle!, 1)
  await expect(statusBar(page).getByLabel('Photo size')).toContainText('turned 0°')
  await page.keyboard.press('Control+z')
  await expect.poll(() => photoCrop(page)).toEqual(turned)
  await page.keyboard.press('Control+z')
  await expect.poll(() => photoCrop(page)).toEqual(start)

  // from the keyboard, a degree a press: no snapping, so small turns are possible
  await page.keyboard.press('.')
  await expect.poll(() => photoCrop(page)).toEqual({ ...start, angle: 1 })
  await page.keyboard.press(',')
  await page.keyboard.press(',')
  await expect.poll(() => photoCrop(page)).toEqual({ ...start, angle: -1 })
  // not while painting
  await page.getByRole('radio', { name: 'Brush' }).click()
  await page.keyboard.press('.')
  await page.keyboard.press('Control+z')
  await expect.poll(() => photoCrop(page)).toEqual({ ...start, angle: 0 })
})

test('a face at the edge: its frame reaches past the photo, hatched there with a hint that the model sees it mirrored; Reset frame clears both', async ({ app: page, bridge, workDir }, testInfo) => {
  const status = statusBar(page)
  // Hepburn01.png turned 25 degrees, its top-left part cut away, at the top-left of an 800 x 600 photo
  const background = '#6f7d68'
  const turned = await sharp(join(photosDir, 'Hepburn01.png')).flatten({ background }).rotate(25, { background }).png().toBuffer({ resolveWithObject: true })
  const cut = await sharp(turned.data)
    .extract({ left: 200, top: 180, width: turned.info.width - 200, height: turned.info.height - 180 })
    .toBuffer()
  const photoPath = join(workDir, 'edge.png')
  await writeFile(photoPath, await sharp({ create: { width: 800, height: 600, channels: 3, background } }).composite([{ input: cut, left: 0, top: 0 }]).removeAlpha().png().toBuffer())
  await openPhoto(page, bridge, photoPath, 'edge.png · 800 × 600')
  await expect(status.getByLabel('Photo size')).toContainText('turned')
  const frame = await photoCrop(page)
  const hint = status.getByLabel('Frame hint')
  await expect(hint).toHaveText('mirrored past the edge')
  await expect(hint).toHaveAttribute('title', /mirrored/)

  // a point of the frame's left middle, and one below it outside the frame, both left of the photo
  const r = (frame.angle! * Math.PI) / 180
  const [cx, cy] = centreOf(frame)
  const inFrame = (u: number, v: number): P => [cx + Math.cos(r) * u - Math.sin(r) * v, cy + Math.sin(r) * u + Math.cos(r) * v]
  const hatched = inFrame(-0.42 * frame.size, 0)
  const plain: P = [hatched[0], hatched[1] + 1.2 * frame.size]
  const frameU = ([x, y]: P) => Math.max(Math.abs(Math.cos(r) * (x - cx) + Math.sin(r) * (y - cy)), Math.abs(-Math.sin(r) * (x - cx) + Math.cos(r) * (y - cy)))
  expect(hatched[0], `the frame ${JSON.stringify(frame)} reaches past the left edge`).toBeLessThan(-8)
  expect(frameU(plain), 'the plain point lies outside the frame').toBeGreaterThan(frame.size / 2 + 10)
  // room for both beside the photo
  await page.keyboard.press('Control+-')
  await page.getByRole('radio', { name: 'Crop' }).click()
  await page.mouse.move(5, 300)
  const canvas = await canvasMean(page, ...plain)
  expect(await canvasMean(page, ...hatched), 'hatched past the edge').toBeGreaterThan(canvas + 6)
  await screenshot(page, testInfo, 'faces-frame-past-the-edge')

  await page.getByRole('button', { name: 'Reset frame' }).click()
  await expect(status.getByLabel('Photo size')).toContainText(/crop 600px at 100,0$/)
  await expect(hint).toHaveCount(0)
  await expect.poll(async () => Math.abs((await canvasMean(page, ...hatched)) - canvas)).toBeLessThanOrEqual(2)
})

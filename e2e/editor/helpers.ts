// What the editor specs share: where a photo point is on screen, painting with the mouse,
// reading what the canvas and the before/after images show, screenshots, and the steps of
// the main editing path (open the portrait, frame the crop, add a reference, paint) that
// several tests take before the behaviour they check.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page, TestInfo } from '@playwright/test'
import { expect, type PhotoOptions } from '../fixtures'
import { repoRoot, type Bridge } from '../bridge/server'

export const screenshotsDir = join(repoRoot, 'test-results', 'screenshots')

/** Full-window screenshot into test-results/screenshots/<name>.png, attached to the report. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await mkdir(screenshotsDir, { recursive: true })
  const path = join(screenshotsDir, `${name}.png`)
  await page.screenshot({ path })
  await testInfo.attach(name, { path, contentType: 'image/png' })
}

/** Screen position of a photo pixel, from the canvas view transform the page publishes. */
export async function screenPoint(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const area = page.getByRole('region', { name: 'Photo canvas' })
  const vpt = (await area.getAttribute('data-viewport'))!.split(',').map(Number)
  const box = (await page.locator('.canvas-host').boundingBox())!
  return { x: box.x + vpt[0] * x + vpt[4], y: box.y + vpt[3] * y + vpt[5] }
}

/** Drag the mouse through photo points (one gesture). */
export async function drag(page: Page, points: [number, number][], steps = 6): Promise<void> {
  const first = await screenPoint(page, ...points[0])
  await page.mouse.move(first.x, first.y)
  await page.mouse.down()
  for (const p of points.slice(1)) {
    const s = await screenPoint(page, ...p)
    await page.mouse.move(s.x, s.y, { steps })
  }
  await page.mouse.up()
}

/**
 * Drags the bottom-right corner handle of the crop frame shown, at photo point `corner`, to
 * photo point `to`. The handle is grabbed one screen pixel inside the frame, so the press
 * lands on the handle and not beside the frame.
 */
export async function dragCropCorner(page: Page, corner: [number, number], to: [number, number], steps = 6): Promise<void> {
  const from = await screenPoint(page, ...corner)
  const target = await screenPoint(page, ...to)
  await page.mouse.move(from.x - 1, from.y - 1)
  await page.mouse.down()
  await page.mouse.move(target.x, target.y, { steps })
  await page.mouse.up()
}

/** RGBA of the canvas at a photo pixel, as the user sees it. */
export async function canvasPixel(page: Page, x: number, y: number): Promise<number[]> {
  const s = await screenPoint(page, x, y)
  const box = (await page.locator('.canvas-host').boundingBox())!
  return page.evaluate(
    ({ cx, cy }) => {
      // runs in the page; the node-side tsconfig has no DOM types
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const canvas = (globalThis as any).document.querySelector('.canvas-host canvas.lower-canvas, .canvas-host canvas')
      const ratio = canvas.width / canvas.clientWidth
      const ctx = canvas.getContext('2d')!
      return Array.from(ctx.getImageData(Math.round(cx * ratio), Math.round(cy * ratio), 1, 1).data as ArrayLike<number>)
    },
    { cx: s.x - box.x, cy: s.y - box.y },
  )
}

/** Mean of the RGB channels over the canvas pixels within `radius` screen pixels (a square) of a photo point. */
export async function canvasMean(page: Page, x: number, y: number, radius = 4): Promise<number> {
  const s = await screenPoint(page, x, y)
  const box = (await page.locator('.canvas-host').boundingBox())!
  return page.evaluate(
    ({ cx, cy, r }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const canvas = (globalThis as any).document.querySelector('.canvas-host canvas.lower-canvas, .canvas-host canvas')
      const ratio = canvas.width / canvas.clientWidth
      const side = Math.round(2 * r * ratio) + 1
      const data = canvas.getContext('2d')!.getImageData(Math.round((cx - r) * ratio), Math.round((cy - r) * ratio), side, side).data as ArrayLike<number>
      let sum = 0
      for (let i = 0; i < data.length; i += 4) sum += (data[i] + data[i + 1] + data[i + 2]) / 3
      return sum / (side * side)
    },
    { cx: s.x - box.x, cy: s.y - box.y, r: radius },
  )
}

export interface ImageDiff {
  width: number
  height: number
  /** mean absolute RGB difference per pixel, row-major */
  diff: number[]
}

/** Per-pixel difference between the before and after images of the compare view. */
export async function beforeAfterDiff(page: Page): Promise<ImageDiff> {
  await expect(page.getByRole('img', { name: 'After' })).toBeVisible()
  await expect(page.getByRole('img', { name: 'Before' })).toBeVisible()
  return page.evaluate(async () => {
    const read = async (alt: string) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const doc = (globalThis as any).document
      const img = doc.querySelector(`img[alt="${alt}"]`)
      await img.decode()
      const c = doc.createElement('canvas')
      c.width = img.naturalWidth
      c.height = img.naturalHeight
      const ctx = c.getContext('2d')!
      ctx.drawImage(img, 0, 0)
      return { width: c.width, height: c.height, data: ctx.getImageData(0, 0, c.width, c.height).data }
    }
    const a = await read('Before')
    const b = await read('After')
    if (a.width !== b.width || a.height !== b.height) throw new Error(`before ${a.width}x${a.height} vs after ${b.width}x${b.height}`)
    const diff: number[] = []
    for (let i = 0; i < a.width * a.height; i++) {
      const o = i * 4
      diff.push((Math.abs(a.data[o] - b.data[o]) + Math.abs(a.data[o + 1] - b.data[o + 1]) + Math.abs(a.data[o + 2] - b.data[o + 2])) / 3)
    }
    return { width: a.width, height: a.height, diff }
  })
}

/** Mean of the diff over pixels whose (x, y) satisfy `where`. */
export function meanWhere(d: ImageDiff, where: (x: number, y: number) => boolean): { mean: number; count: number; max: number } {
  let sum = 0
  let count = 0
  let max = 0
  for (let y = 0; y < d.height; y++)
    for (let x = 0; x < d.width; x++) {
      if (!where(x, y)) continue
      const v = d.diff[y * d.width + x]
      sum += v
      count++
      if (v > max) max = v
    }
  return { mean: count ? sum / count : 0, count, max }
}

/** Largest per-channel difference of two RGBA pixels. */
export function pixelDiff(p: number[], q: number[]): number {
  return Math.max(...p.map((v, i) => Math.abs(v - q[i])))
}

/** The page and the fixtures that put files in front of its dialogs: what the editing steps below drive. */
export interface Editor {
  page: Page
  bridge: Bridge
  photoFile: (name: string, options?: PhotoOptions) => Promise<string>
  faceFile: (index: number) => Promise<string>
}

/** A crop frame in photo pixels, as the status bar shows it. */
export interface CropFrame {
  x: number
  y: number
  size: number
}

export const statusBar = (page: Page) => page.getByRole('contentinfo', { name: 'Status bar' })
export const referenceLayers = (page: Page) => page.getByRole('listbox', { name: 'Reference layers' })

/** The canvas pixel at the centre of the crop. */
export const cropCentrePixel = (page: Page, crop: CropFrame) => canvasPixel(page, crop.x + crop.size / 2, crop.y + crop.size / 2)

/**
 * Presses the toolbar's Reset frame with the Crop tool: the photo's crop (or, while a
 * reference's crop is placed, that reference's) goes back to the default framing, unturned.
 * The tool that was chosen before is chosen again.
 */
export async function resetFrame(page: Page): Promise<void> {
  const tool = page.getByRole('radiogroup', { name: 'Tool' })
  const before = (await tool.getByRole('radio', { checked: true }).textContent())?.trim()
  const placingReference = await page.getByText('Placing the crop frame on').isVisible()
  if (!placingReference) await tool.getByRole('radio', { name: 'Crop' }).click()
  await page.getByRole('button', { name: 'Reset frame' }).click()
  if (!placingReference && before && before !== 'Crop') await tool.getByRole('radio', { name: before, exact: true }).click()
}

/**
 * Opens portrait.jpg: a face photo stored sideways (EXIF orientation 6) that is 480 x 360
 * upright. Opening snaps the crop to the face (a turned frame); the specs that test other
 * things start from the default framing, so this checks the snap happened, then presses
 * Reset frame: the largest centred square, 360 px at 60,0, with the Brush chosen as before.
 */
export async function openPortrait({ page, bridge, photoFile }: Editor): Promise<void> {
  const photoPath = await photoFile('portrait.jpg', { sideways: true, width: 480, height: 360, face: 3 })
  bridge.dialogs.answer('openImage', photoPath)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  const photoSize = statusBar(page).getByLabel('Photo size')
  await expect(photoSize).toContainText('portrait.jpg · 480 × 360')
  await expect(photoSize, 'opening frames the face').toContainText(/turned -?[\d.]+°/)
  await resetFrame(page)
  await expect(photoSize).toContainText(/crop 360px at 60,0$/)
  await expect(page.getByRole('radio', { name: 'Brush' })).toHaveAttribute('aria-checked', 'true')
}

/**
 * With the Crop tool, shrinks the portrait's crop frame from its bottom-right corner, then
 * moves it down and right: a frame the app would never choose by itself.
 */
export async function frameCrop(page: Page): Promise<CropFrame> {
  const photoSize = statusBar(page).getByLabel('Photo size')
  await page.getByRole('radio', { name: 'Crop' }).click()
  await dragCropCorner(page, [420, 360], [380, 320], 8)
  await expect(photoSize).toContainText(/crop 3[12]\dpx at 60,0/)
  const size = Number(/crop (\d+)px/.exec((await photoSize.textContent())!)![1])
  const from = await screenPoint(page, 60 + size / 2, size / 2)
  const to = await screenPoint(page, 60 + size / 2 + 30, size / 2 + 20)
  await page.mouse.move(from.x, from.y)
  await page.mouse.down()
  await page.mouse.move(to.x, to.y, { steps: 8 })
  await page.mouse.up()
  await expect(photoSize).toContainText(new RegExp(`crop ${size}px at (8[5-9]|9\\d),(1[5-9]|2\\d)`))
  const [, x, y] = /at (\d+),(\d+)/.exec((await photoSize.textContent())!)!.map(Number)
  return { x, y, size }
}

/** Adds face 11 as a reference photo: it becomes the one layer, selected. */
export async function addReference({ page, bridge, faceFile }: Editor): Promise<void> {
  bridge.dialogs.answer('openImage', await faceFile(11))
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  const layers = referenceLayers(page)
  await expect(layers.getByRole('option')).toHaveCount(1)
  await expect(layers.getByRole('option').first()).toHaveAttribute('aria-selected', 'true')
}

/** The brush size `paintStroke` paints with, in photo pixels. */
export const brushSize = 70

export interface PaintedStroke {
  /** The stroke's points in photo pixels. */
  stroke: [number, number][]
  /** The crop centre before painting (the photo itself). */
  photoBefore: number[]
  /** The crop centre once the live preview of the stroke has arrived. */
  painted: number[]
}

/** Paints one stroke with the 70 px brush across the middle of the crop and waits for its live preview. */
export async function paintStroke(page: Page, crop: CropFrame): Promise<PaintedStroke> {
  const status = statusBar(page)
  await page.getByRole('radio', { name: 'Brush' }).click()
  for (let i = 0; i < 3; i++) await page.keyboard.press(']')
  await expect(page.getByLabel('Brush size value')).toHaveText(`${brushSize}px`)
  const photoBefore = await cropCentrePixel(page, crop)
  const stroke: [number, number][] = [
    [crop.x + crop.size * 0.35, crop.y + crop.size * 0.45],
    [crop.x + crop.size * 0.5, crop.y + crop.size * 0.5],
    [crop.x + crop.size * 0.65, crop.y + crop.size * 0.45],
  ]
  await drag(page, stroke)
  await expect(page.getByRole('button', { name: 'Undo' })).toBeEnabled()
  // the live preview has arrived once the status bar shows its render time and nothing renders
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)
  await expect(page.getByRole('progressbar', { name: 'Rendering preview' })).toHaveCount(0)
  return { stroke, photoBefore, painted: await cropCentrePixel(page, crop) }
}

/** Opens the portrait, frames a crop, adds a reference and paints a stroke: a document with an edit in it. */
export async function paintedPortrait(editor: Editor): Promise<{ crop: CropFrame } & PaintedStroke> {
  await openPortrait(editor)
  const crop = await frameCrop(editor.page)
  await addReference(editor)
  return { crop, ...(await paintStroke(editor.page, crop)) }
}

/** The model in use edits: on the portrait as opened (its face framed), with a reference, a stroke changes the preview. */
export async function strokeChangesPortrait(editor: Editor): Promise<void> {
  await openPortrait(editor)
  const crop = await photoCrop(editor.page)
  await addReference(editor)
  const { photoBefore, painted } = await paintStroke(editor.page, crop)
  expect(pixelDiff(painted, photoBefore)).toBeGreaterThan(8)
}

/** A crop as the editor shows it ("crop 312px at 60,0 turned 24.9°"); `angle` only for a turned frame. */
export interface ShownCrop extends CropFrame {
  angle?: number
}

/** Reads a crop from the status bar's or the layer list's text. */
export function parseCrop(text: string): ShownCrop {
  const m = /crop (\d+)px at (-?\d+),(-?\d+)(?: turned (-?[\d.]+)°)?/i.exec(text)
  if (!m) throw new Error(`no crop in "${text}"`)
  const crop: ShownCrop = { size: Number(m[1]), x: Number(m[2]), y: Number(m[3]) }
  if (m[4] !== undefined) crop.angle = Number(m[4])
  return crop
}

/** The photo's crop as the status bar shows it. */
export async function photoCrop(page: Page): Promise<ShownCrop> {
  return parseCrop((await statusBar(page).getByLabel('Photo size').textContent()) ?? '')
}

/** The photo pixel under a screen point (the inverse of screenPoint). */
export async function photoPoint(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const area = page.getByRole('region', { name: 'Photo canvas' })
  const vpt = (await area.getAttribute('data-viewport'))!.split(',').map(Number)
  const box = (await page.locator('.canvas-host').boundingBox())!
  return { x: (x - box.x - vpt[4]) / vpt[0], y: (y - box.y - vpt[5]) / vpt[3] }
}

/**
 * 1 for the pixels of a width x height mask farther than `radius` pixels (Euclidean) from every
 * painted (non-zero) mask pixel, 0 for the others.
 */
export function farFromMask(mask: { width: number; height: number; data: Uint8Array }, radius: number): Uint8Array {
  const { width, height, data } = mask
  const painted: [number, number][] = []
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (data[y * width + x]) painted.push([x, y])
  const far = new Uint8Array(width * height).fill(1)
  const r = Math.ceil(radius)
  // stamp a disc around each painted pixel that has an unpainted neighbour (the inside is painted anyway)
  for (const [px, py] of painted) {
    const edge = px === 0 || py === 0 || px === width - 1 || py === height - 1 || !data[py * width + px - 1] || !data[py * width + px + 1] || !data[(py - 1) * width + px] || !data[(py + 1) * width + px]
    far[py * width + px] = 0
    if (!edge) continue
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        const x = px + dx
        const y = py + dy
        if (x < 0 || y < 0 || x >= width || y >= height || dx * dx + dy * dy > radius * radius) continue
        far[y * width + x] = 0
      }
  }
  return far
}

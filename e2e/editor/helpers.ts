// What the editor specs share: where a photo point is on screen, painting with the mouse,
// reading what the canvas and the before/after images show, screenshots.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Page, TestInfo } from '@playwright/test'
import { expect } from '../fixtures'
import { repoRoot } from '../bridge/server'

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

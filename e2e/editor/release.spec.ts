// The images main holds for the editor are released once nothing can show them again: a
// removed reference stays held while undo can bring it back; opening another photo releases
// the previous photo and its references, once per hold. The recent-files panel clears its list.
import { basename } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test } from '../fixtures'

/** Whether main still holds an image: ask it for a small display copy, as the page would. */
function mainHolds(page: Page, imageId: string): Promise<boolean> {
  return page.evaluate(async (id) => {
    // runs in the page; the node-side tsconfig has no DOM types
    const api = (globalThis as unknown as { stylemap: Record<string, (req: unknown) => Promise<{ ok: boolean }>> }).stylemap
    return (await api['image:preview']({ imageId: id, maxSize: 32 })).ok
  }, imageId)
}

test('images are released once nothing can show them again; recent files can be cleared', async ({ app: page, bridge, photoFile, faceFile }) => {
  // one entry per hold main handed out, and per release the page sent
  const held: string[] = []
  const released: string[] = []
  page.on('request', (request) => {
    if (decodeURIComponent(new URL(request.url()).pathname) !== '/__bridge/ipc/image:release') return
    released.push((JSON.parse(request.postData() ?? '{}') as { payload: { imageId: string } }).payload.imageId)
  })
  page.on('response', async (response) => {
    if (decodeURIComponent(new URL(response.url()).pathname) !== '/__bridge/ipc/image:open') return
    const result = (await response.json()) as { ok: boolean; value?: { canceled: boolean; image?: { imageId: string } } }
    if (result.ok && result.value?.image) held.push(result.value.image.imageId)
  })
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  const layers = page.getByRole('listbox', { name: 'Reference layers' })
  const addReference = async (path: string, count: number) => {
    bridge.dialogs.answer('openImage', path)
    await page.getByRole('button', { name: 'Add reference', exact: true }).click()
    await expect(layers.getByRole('option')).toHaveCount(count)
  }

  bridge.dialogs.answer('openImage', await photoFile('first.jpg', { face: 3, width: 320, height: 320 }))
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('first.jpg')
  // the same reference photo twice (two holds on one image), and a second one
  const refA = await faceFile(30)
  const refB = await faceFile(31)
  await addReference(refA, 1)
  await addReference(refA, 2)
  await addReference(refB, 3)
  await expect.poll(() => held.length).toBe(4)
  const [photo, a, , b] = held

  // removing a reference releases nothing: undo brings it back, and it still shows
  await layers.getByRole('button', { name: `Remove ${basename(refB)}` }).click()
  await layers
    .getByRole('button', { name: `Remove ${basename(refA)}` })
    .first()
    .click()
  await expect(layers.getByRole('option')).toHaveCount(1)
  await page.keyboard.press('Control+z')
  await page.keyboard.press('Control+z')
  await expect(layers.getByRole('option')).toHaveCount(3)
  await expect(page.getByRole('img', { name: `${basename(refB)} thumbnail` })).toBeVisible()
  expect(await mainHolds(page, b)).toBe(true)
  expect(released).toEqual([])

  // another photo replaces the document: everything the old one held goes, once per hold
  bridge.dialogs.answer('openImage', await photoFile('second.jpg', { face: 4, width: 300, height: 300 }))
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('second.jpg')
  await expect.poll(() => [...released].sort()).toEqual([photo, a, a, b].sort())
  for (const id of [photo, a, b]) expect(await mainHolds(page, id), id).toBe(false)
  expect(await mainHolds(page, held[4])).toBe(true)

  const recent = page.getByRole('region', { name: 'Recent files' })
  await expect(recent.getByRole('button', { name: /second\.jpg/ })).toBeVisible()
  await recent.getByRole('button', { name: 'Clear recent files' }).click()
  await expect(recent).toHaveCount(0)
})

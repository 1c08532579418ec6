// One edit pipeline, seen from the editor: a part transplanted with the offset tool changes the
// exported photo only under the painted mask (and its feather), whichever way it is moved, and
// `stylemap render --project` of the saved project writes the very bytes the app exported.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import sharp from 'sharp'
import { parseProject } from '../../src-main/app/projectFile'
import { decodeImage } from '../../src-main/engine/images'
import { repoRoot } from '../bridge/server'
import { expect, test } from '../fixtures'
import { drag, screenshot } from './helpers'

const run = promisify(execFile)

/** Pixels within `radius` (Chebyshev) of a non-zero mask pixel, for a width x height mask. */
function near(mask: { width: number; height: number; data: Uint8Array }, radius: number): Uint8Array {
  const { width, height, data } = mask
  const rows = new Uint8Array(width * height)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!data[y * width + x]) continue
      for (let xx = Math.max(0, x - radius); xx <= Math.min(width - 1, x + radius); xx++) rows[y * width + xx] = 1
    }
  const out = new Uint8Array(width * height)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      if (!rows[y * width + x]) continue
      for (let yy = Math.max(0, y - radius); yy <= Math.min(height - 1, y + radius); yy++) out[yy * width + x] = 1
    }
  return out
}

test('the offset tool moves where the content comes from, never where the photo changes; render --project equals the export', async ({
  app: page,
  bridge,
  photoFile,
  faceFile,
  workDir,
  modelDir,
}, testInfo) => {
  test.setTimeout(180_000)
  const status = page.getByRole('contentinfo', { name: 'Status bar' })
  const layers = page.getByRole('listbox', { name: 'Reference layers' })
  const photoPath = await photoFile('me.jpg', { face: 7, width: 400, height: 400 })
  bridge.dialogs.answer('openImage', photoPath)
  await page.getByRole('button', { name: 'Open', exact: true }).click()
  await expect(status.getByLabel('Photo size')).toContainText('me.jpg · 400 × 400')
  bridge.dialogs.answer('openImage', await faceFile(20))
  await page.getByRole('button', { name: 'Add reference', exact: true }).click()
  await expect(layers.getByRole('option')).toHaveCount(1)
  // a stroke across the mouth
  await drag(page, [
    [150, 280],
    [250, 280],
  ])
  await expect(status.getByLabel('Last render time')).toContainText(/\d+ ms/)

  const original = await decodeImage({ path: photoPath })
  const exportAs = async (file: string) => {
    bridge.dialogs.answer('saveImage', join(workDir, file))
    await page.keyboard.press('Control+e')
    const dialog = page.getByRole('dialog', { name: 'Export' })
    await dialog.getByLabel('Format').selectOption('png')
    await dialog.getByRole('button', { name: 'Export…' }).click()
    await expect(status.getByLabel('Notice')).toContainText(`Exported ${file} (400 × 400, PNG)`)
    return sharp(join(workDir, file)).raw().toBuffer()
  }
  const saveProject = async (file: string) => {
    bridge.dialogs.answer('saveProject', join(workDir, file))
    await page.keyboard.press('Control+Shift+s')
    await expect(status.getByLabel('Notice')).toContainText(`Saved ${file}`)
    return parseProject(await readFile(join(workDir, file)))
  }

  const offsetTool = page.getByRole('radio', { name: 'Offset' })
  const exports: Buffer[] = []
  // right and down, then left and up past the start: positive and negative offsets
  for (const [step, from, to, expected] of [
    ['positive', [200, 200], [230, 220], /Offset (29|30|31), (19|20|21) px/],
    ['negative', [230, 220], [160, 190], /Offset -(39|40|41), -(9|10|11) px/],
  ] as const) {
    await offsetTool.click()
    await drag(page, [[...from], [...to]])
    await expect(layers.getByLabel(/^Offset of/)).toContainText(expected)
    await screenshot(page, testInfo, `transplant-${step}`)
    const exported = await exportAs(`${step}.png`)
    exports.push(exported)
    const project = await saveProject(`${step}.smproj`)
    const [layer] = project.document.references
    expect(Math.sign(layer.offset.dx), step).toBe(step === 'positive' ? 1 : -1)
    // the mask is stored at the photo's size here; feather 8 (the default), one pixel of rounding
    expect([layer.mask.width, layer.mask.height]).toEqual([400, 400])
    const reach = near(layer.mask, project.document.settings.feather + 1)
    let changedUnderMask = 0
    let painted = 0
    for (let i = 0; i < 400 * 400; i++) {
      const same = exported[i * 3] === original.pixels.data[i * 3] && exported[i * 3 + 1] === original.pixels.data[i * 3 + 1] && exported[i * 3 + 2] === original.pixels.data[i * 3 + 2]
      if (!reach[i] && !same) throw new Error(`${step} offset: pixel ${i % 400},${Math.floor(i / 400)} changed away from the painted mask`)
      if (layer.mask.data[i] === 255) {
        painted++
        if (!same) changedUnderMask++
      }
    }
    expect(changedUnderMask / painted, `${step}: the edit shows under the mask`).toBeGreaterThan(0.5)

    // the saved project rendered from the command line: the same bytes as the app's export
    const out = join(workDir, `${step}-cli.png`)
    const cli = await run(process.execPath, [join(repoRoot, 'bin', 'stylemap.mjs'), 'render', '--model', modelDir, '--project', join(workDir, `${step}.smproj`), '--out', out], { cwd: repoRoot })
    expect(cli.stdout).toContain('wrote')
    expect((await readFile(out)).equals(await readFile(join(workDir, `${step}.png`))), `${step}: render --project equals the export`).toBe(true)
  }
  // the two offsets took different parts of the reference
  expect(exports[0].equals(exports[1])).toBe(false)
})

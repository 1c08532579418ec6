// Models › Add: a released checkpoint downloaded from a local server standing in for the
// authors' link (the connection breaks half-way once, and the download resumes), with visible
// progress; the new model is then the one in use and edits a photo. The 64 px small test
// checkpoint stands in for the 256 px release; importCheckpoint imports it. Models › Import
// checkpoint… can be canceled while it imports.
import { readFile } from 'node:fs/promises'
import { htmlPage, startCheckpointServer, type CheckpointServer } from '../../src-main/app/testing/checkpointServer'
import { smallCheckpoint } from '../../src-main/app/testing/checkpoints'
import { startBridge } from '../bridge/server'
import { expect, test as base } from '../fixtures'
import { screenshot, strokeChangesPortrait } from './helpers'

const test = base.extend<{ checkpoints: CheckpointServer }>({
  checkpoints: async ({}, use) => {
    const server = await startCheckpointServer()
    await use(server)
    await server.close()
  },
  // the bridge with the catalog's celeba_hq and afhq entries pointing at the local server
  bridge: async ({ engine, modelDir, bridgeToken, checkpoints }, use) => {
    const bridge = await startBridge({
      engine,
      modelsDir: modelDir,
      token: bridgeToken,
      downloads: {
        urls: { celeba_hq: checkpoints.url('/celeba_hq_256_8x8.pt'), afhq: checkpoints.url('/uc') },
        retryDelayMs: 200,
      },
    })
    await use(bridge)
    await bridge.close()
    // the worker's engine goes on to other specs with the model they expect
    await engine.loadModel(modelDir)
  },
})

test('Models › Add downloads a released checkpoint with visible progress, resumes after a broken connection, and the new model edits', async ({ app: page, bridge, checkpoints, photoFile, faceFile }, testInfo) => {
  test.setTimeout(900_000)
  const bytes = await readFile(await smallCheckpoint())
  const half = Math.floor(bytes.length / 2)
  checkpoints.serve('/celeba_hq_256_8x8.pt', { bytes, interruptOnceAt: half, pieceDelayMs: 150 })
  checkpoints.serve('/uc', { bytes: htmlPage, type: 'text/html; charset=utf-8' })

  await page.getByRole('button', { name: 'Models' }).click()
  const dialog = page.getByRole('dialog', { name: 'Models' })
  const released = dialog.getByRole('region', { name: 'Add a model' }).getByRole('list', { name: 'Released checkpoints' })
  await expect(released.getByRole('listitem')).toHaveCount(4)
  const celeba = released.getByRole('listitem', { name: 'CelebA-HQ faces' })
  await expect(celeba).toContainText('celeba_hq')
  await expect(celeba).toContainText('256 px, stylemap 8×8')
  await expect(celeba).toContainText('CC BY-NC 4.0')
  await expect(celeba).toContainText('github.com/naver-ai/StyleMapGAN')
  await expect(celeba).toContainText('about 1.9 GB')
  await screenshot(page, testInfo, '60-models-add')

  // a link that answers a web page: the error says what to do, in words
  const afhq = released.getByRole('listitem', { name: 'AFHQ animal faces' })
  await afhq.getByRole('button', { name: 'Download AFHQ animal faces' }).click()
  await expect(afhq.getByRole('alert')).toContainText(/web page.*instead of the checkpoint.*web browser.*Models › Import checkpoint/)
  await expect(afhq.getByRole('alert')).toContainText('E_DOWNLOAD_NOT_CHECKPOINT')
  await screenshot(page, testInfo, '61-download-web-page')

  await celeba.getByRole('button', { name: 'Download CelebA-HQ faces' }).click()
  const status = celeba.getByRole('status', { name: 'Download of CelebA-HQ faces progress' })
  // percentage and megabytes while it downloads; after the broken connection, where it resumed
  await expect(status).toContainText(/\d+% · \d+(\.\d)? MB of 258 MB/)
  await expect(status.getByRole('button', { name: 'Cancel' })).toBeVisible()
  await screenshot(page, testInfo, '62-downloading')
  await expect(status).toContainText(/resumed at 129 MB/, { timeout: 60_000 })
  await expect(status).toContainText('Importing into a model', { timeout: 60_000 })
  await screenshot(page, testInfo, '63-importing')
  await expect(celeba.getByText('Installed', { exact: true })).toBeVisible({ timeout: 600_000 })
  await expect(status).toHaveCount(0)
  expect(checkpoints.requests.filter((r) => r.path === '/celeba_hq_256_8x8.pt').map((r) => [r.status, r.range])).toEqual([
    [200, null],
    [206, `bytes=${half}-`],
  ])

  const inUse = dialog.getByRole('list', { name: 'Available models' }).getByRole('listitem').filter({ hasText: 'In use' })
  await expect(inUse).toContainText('StyleMapGAN CelebA-HQ faces (256 px)')
  await expect(inUse).toContainText('CC BY-NC 4.0')
  await expect(inUse).toContainText('64 px')
  await screenshot(page, testInfo, '64-downloaded-model-in-use')
  await page.keyboard.press('Escape')
  await expect(dialog).toHaveCount(0)

  // the new model edits: a stroke on the photo changes the preview
  await strokeChangesPortrait({ page, bridge, photoFile, faceFile })
  await screenshot(page, testInfo, '65-edited-with-downloaded-model')
})

test('Models › Import checkpoint… can be canceled while it imports: no error, no new model', async ({ app: page, bridge }) => {
  test.setTimeout(300_000)
  bridge.dialogs.answer('openCheckpoint', await smallCheckpoint())
  await page.getByRole('button', { name: 'Models' }).click()
  const dialog = page.getByRole('dialog', { name: 'Models' })
  const models = dialog.getByRole('list', { name: 'Available models' }).getByRole('listitem')
  await expect(models.first()).toBeVisible()
  const before = await models.allTextContents()
  await dialog.getByRole('button', { name: 'Import checkpoint…' }).click()
  const status = dialog.getByRole('status', { name: 'Checkpoint import progress' })
  // the folder is written in a second or two; its check (a process of its own) takes a few more
  await expect(status).toContainText('Importing into a model', { timeout: 60_000 })
  await status.getByRole('button', { name: 'Cancel' }).click()
  await expect(status).toHaveCount(0)
  await expect(dialog.getByRole('alert')).toHaveCount(0)
  await expect(dialog.getByRole('button', { name: 'Import checkpoint…' })).toBeEnabled()
  expect(await models.allTextContents()).toEqual(before)
})

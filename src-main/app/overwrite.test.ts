// Writing onto an open photo's file: export, save image and save project all refuse with
// E_WOULD_OVERWRITE_ORIGINAL unless the user confirms, however the path reaches the photo.
import { link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProjectDocument } from '../../src-shared/contract'
import { gradientPng } from '../engine/testing/photos'
import { makeTestApp, type TestApp } from './testing/harness'

let t: TestApp
let photoPath: string
let photoBytes: Buffer

beforeEach(async () => {
  t = await makeTestApp()
  await mkdir(join(t.dir, 'photos'))
  photoPath = join(t.dir, 'photos', 'holiday.jpg')
  photoBytes = await sharp(await gradientPng(96, 64))
    .jpeg({ quality: 90 })
    .toBuffer()
  await writeFile(photoPath, photoBytes)
})
afterEach(async () => {
  await t.close()
})

/** Opens the photo through File > Open, as the user does. */
async function openPhoto(path = photoPath): Promise<ProjectDocument> {
  t.dialogs.answer('openImage', path)
  const opened = await t.ok('image:open', { purpose: 'original' })
  if (opened.canceled) throw new Error('the open dialog was answered')
  return {
    original: { imageId: opened.image.imageId, crop: { x: 16, y: 0, size: 64 } },
    references: [],
    settings: { space: 'w', feather: 8, detail: true, livePreview: false },
  }
}

async function pngBytes(): Promise<{ bytes: Uint8Array; mime: 'image/png'; width: number; height: number }> {
  return { bytes: await gradientPng(8, 8), mime: 'image/png', width: 8, height: 8 }
}

const confirmations = () => t.dialogs.asked.filter((a) => a.kind === 'confirmOverwriteOriginal')

describe('the open photo is never overwritten without asking', () => {
  it('export onto the photo is refused, the photo kept byte for byte, unless the user confirms', async () => {
    const document = await openPhoto()
    t.dialogs.answer('saveImage', photoPath)
    const refused = await t.call('file:export', { document, format: 'jpeg' })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')
    expect(refused.ok ? '' : refused.error.message).toContain('holiday.jpg')
    expect(confirmations()).toEqual([{ kind: 'confirmOverwriteOriginal', suggestion: 'holiday.jpg' }])
    expect(await readFile(photoPath)).toEqual(photoBytes)

    t.dialogs.answer('saveImage', photoPath)
    t.dialogs.confirm(true)
    const written = await t.ok('file:export', { document, format: 'png' })
    expect(written).toMatchObject({ canceled: false, name: 'holiday.jpg', format: 'png' })
    expect((await readFile(photoPath)).subarray(1, 4).toString()).toBe('PNG')
  })

  it('saving an image through a symlink to the photo is refused', async () => {
    await openPhoto()
    const alias = join(t.dir, 'alias.png')
    await symlink(photoPath, alias)
    t.dialogs.answer('saveImage', alias)
    const refused = await t.call('file:saveImage', { image: await pngBytes(), suggestedName: 'preview' })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')
    expect(await readFile(photoPath)).toEqual(photoBytes)
  })

  it('a photo opened through a symlink is protected at its real path too', async () => {
    const alias = join(t.dir, 'alias.jpg')
    await symlink(photoPath, alias)
    await openPhoto(alias)
    t.dialogs.answer('saveImage', photoPath)
    const refused = await t.call('file:saveImage', { image: await pngBytes(), suggestedName: 'preview' })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')
    expect(await readFile(photoPath)).toEqual(photoBytes)
  })

  it('Save Project As onto a hard link of the photo is refused, and the JPEG stays a JPEG', async () => {
    const document = await openPhoto()
    const twin = join(t.dir, 'twin.smproj')
    await link(photoPath, twin)
    t.dialogs.answer('saveProject', twin)
    const refused = await t.call('project:saveAs', { document })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')
    expect(await readFile(photoPath)).toEqual(photoBytes)
    expect(await readFile(twin)).toEqual(photoBytes)

    t.dialogs.answer('saveProject', photoPath)
    expect((await t.call('project:saveAs', { document })).ok).toBe(false)
    expect(await readFile(photoPath)).toEqual(photoBytes)
    expect(confirmations()).toHaveLength(2)
  })

  it('a reference photo is protected like the original; once released its file is free again', async () => {
    const document = await openPhoto()
    const referencePath = join(t.dir, 'photos', 'reference.png')
    await writeFile(referencePath, await gradientPng(64, 64, 3))
    t.dialogs.answer('openImage', referencePath)
    const reference = await t.ok('image:open', { purpose: 'reference' })
    if (reference.canceled) throw new Error('the open dialog was answered')
    t.dialogs.answer('saveImage', referencePath)
    const refused = await t.call('file:export', { document, format: 'png' })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')

    await t.ok('image:release', { imageId: reference.image.imageId })
    t.dialogs.answer('saveImage', referencePath)
    expect(await t.ok('file:export', { document, format: 'png' })).toMatchObject({ canceled: false, name: 'reference.png' })
  })

  it('a dropped photo (bytes, no path) is protected by its content: export onto its file is refused', async () => {
    const dropped = await t.ok('image:import', { name: 'holiday.jpg', bytes: new Uint8Array(photoBytes) })
    const document: ProjectDocument = {
      original: { imageId: dropped.image.imageId, crop: { x: 16, y: 0, size: 64 } },
      references: [],
      settings: { space: 'w', feather: 8, detail: true, livePreview: false },
    }
    t.dialogs.answer('saveImage', photoPath)
    const refused = await t.call('file:export', { document, format: 'jpeg' })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')
    expect(await readFile(photoPath)).toEqual(photoBytes)
  })

  it('a photo held from a project is protected by its content: Save Project As onto the photo is refused', async () => {
    const document = await openPhoto()
    const project = join(t.dir, 'holiday.smproj')
    t.dialogs.answer('saveProject', project)
    await t.ok('project:saveAs', { document })
    await t.ok('image:release', { imageId: document.original.imageId })
    t.dialogs.answer('openProject', project)
    const opened = await t.ok('project:open', {})
    if (opened.canceled) throw new Error('the open dialog was answered')
    t.dialogs.answer('saveProject', photoPath)
    const refused = await t.call('project:saveAs', { document: opened.project.document })
    expect(refused.ok ? null : refused.error.code).toBe('E_WOULD_OVERWRITE_ORIGINAL')
    expect(await readFile(photoPath)).toEqual(photoBytes)
  })

  it('an export to a new file asks nothing', async () => {
    const document = await openPhoto()
    t.dialogs.answer('saveImage', join(t.dir, 'holiday-edited.png'))
    expect(await t.ok('file:export', { document, format: 'png' })).toMatchObject({ canceled: false, name: 'holiday-edited.png' })
    expect(confirmations()).toEqual([])
  })
})

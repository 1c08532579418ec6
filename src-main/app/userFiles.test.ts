// Only regular files open as photos or projects: a device, a FIFO or a folder is refused at
// once with a coded error, before a byte is read (a FIFO would hang, /dev/zero never ends).
import { execFileSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { makeTestApp, type TestApp } from './testing/harness'

let t: TestApp
beforeEach(async () => {
  t = await makeTestApp()
})
afterEach(async () => {
  await t.close()
})

async function fifo(name: string): Promise<string> {
  const path = join(t.dir, name)
  execFileSync('mkfifo', [path])
  return path
}

async function openPhoto(path: string) {
  t.dialogs.answer('openImage', path)
  return t.call('image:open', { purpose: 'original' })
}

describe('photos and projects must be regular files', () => {
  it.skipIf(process.platform === 'win32')('a FIFO as a photo is refused at once with E_IMAGE_NOT_FILE', { timeout: 5000 }, async () => {
    const result = await openPhoto(await fifo('photo.jpg'))
    expect(result.ok ? null : result.error).toMatchObject({ code: 'E_IMAGE_NOT_FILE', message: expect.stringContaining('photo.jpg') })
  })

  it.skipIf(process.platform === 'win32')(
    '/dev/zero as a photo is refused with E_IMAGE_NOT_FILE, not read until memory runs out',
    { timeout: 5000 },
    async () => {
      const result = await openPhoto('/dev/zero')
      expect(result.ok ? null : result.error.code).toBe('E_IMAGE_NOT_FILE')
    },
  )

  it('a folder as a photo is refused with E_IMAGE_NOT_FILE', async () => {
    const folder = join(t.dir, 'album.jpg')
    await mkdir(folder)
    const result = await openPhoto(folder)
    expect(result.ok ? null : result.error.code).toBe('E_IMAGE_NOT_FILE')
  })

  it.skipIf(process.platform === 'win32')('a FIFO or a folder as a project is refused with E_PROJECT_IO', { timeout: 5000 }, async () => {
    t.dialogs.answer('openProject', await fifo('portrait.smproj'))
    const piped = await t.call('project:open', {})
    expect(piped.ok ? null : piped.error).toMatchObject({ code: 'E_PROJECT_IO', message: expect.stringContaining('not a project file') })
    const folder = join(t.dir, 'folder.smproj')
    await mkdir(folder)
    t.dialogs.answer('openProject', folder)
    const opened = await t.call('project:open', {})
    expect(opened.ok ? null : opened.error.code).toBe('E_PROJECT_IO')
  })
})

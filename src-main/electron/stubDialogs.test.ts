import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createStubDialogs, type DialogRequestLog } from './stubDialogs'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-dialogs-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('stubbed dialogs for end-to-end tests', () => {
  it('answer each kind from its own queue, in order, then cancel', async () => {
    const file = join(dir, 'dialogs.json')
    await writeFile(file, JSON.stringify({ openImage: ['/photos/me.jpg', '/photos/ref.jpg'], saveImage: ['/out/edit.png'] }))
    const log: DialogRequestLog[] = []
    const dialogs = createStubDialogs(file, log)
    expect(await dialogs.openImage('original')).toBe('/photos/me.jpg')
    expect(await dialogs.saveImage('me-edited.png', 'png')).toBe('/out/edit.png')
    expect(await dialogs.openImage('reference')).toBe('/photos/ref.jpg')
    expect(await dialogs.openImage('reference')).toBeNull()
    expect(await dialogs.openProject()).toBeNull()
    expect(log.map((l) => [l.kind, l.detail, l.answer])).toEqual([
      ['openImage', 'original', '/photos/me.jpg'],
      ['saveImage', 'me-edited.png (png)', '/out/edit.png'],
      ['openImage', 'reference', '/photos/ref.jpg'],
      ['openImage', 'reference', null],
      ['openProject', '', null],
    ])
  })

  it('pick up answers a test queues while the app runs, and an explicit null cancels', async () => {
    const file = join(dir, 'dialogs.json')
    await writeFile(file, JSON.stringify({ saveProject: [null] }))
    const dialogs = createStubDialogs(file)
    expect(await dialogs.saveProject('untitled.smproj')).toBeNull()
    const left = JSON.parse(await readFile(file, 'utf8')) as { saveProject: unknown[] }
    expect(left.saveProject).toEqual([])
    await writeFile(file, JSON.stringify({ ...left, saveProject: ['/projects/a.smproj'] }))
    expect(await dialogs.saveProject('untitled.smproj')).toBe('/projects/a.smproj')
  })

  it('confirm replacing an original only when a test queued true; none queued means not confirmed', async () => {
    const file = join(dir, 'dialogs.json')
    await writeFile(file, JSON.stringify({ confirmOverwriteOriginal: [true, false] }))
    const log: DialogRequestLog[] = []
    const dialogs = createStubDialogs(file, log)
    expect(await dialogs.confirmOverwriteOriginal('holiday.jpg')).toBe(true)
    expect(await dialogs.confirmOverwriteOriginal('holiday.jpg')).toBe(false)
    expect(await dialogs.confirmOverwriteOriginal('holiday.jpg')).toBe(false)
    expect(log.map((l) => l.answer)).toEqual([true, false, false])
  })

  it('serve concurrent calls one at a time without losing an answer', async () => {
    const file = join(dir, 'dialogs.json')
    await writeFile(file, JSON.stringify({ openImage: ['/a.png', '/b.png', '/c.png'] }))
    const dialogs = createStubDialogs(file)
    const answers = await Promise.all([dialogs.openImage('original'), dialogs.openImage('reference'), dialogs.openImage('reference')])
    expect(answers).toEqual(['/a.png', '/b.png', '/c.png'])
  })

  it('fail loudly on a malformed answer file instead of silently cancelling', async () => {
    const file = join(dir, 'dialogs.json')
    await writeFile(file, JSON.stringify({ openImage: [42] }))
    await expect(createStubDialogs(file).openImage('original')).rejects.toThrow()
  })
})

import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProjectDocument } from '../../src-shared/contract'
import { faces } from '../testing/utkface'
import { makeTestApp, type TestApp } from './testing/harness'

let dir: string
const apps: TestApp[] = []
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-autosave-'))
})
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
  await rm(dir, { recursive: true, force: true })
})

/** One app session on the shared user-data folder (a new engine each time, like a relaunch). */
async function session(): Promise<TestApp> {
  const app = await makeTestApp({ dir })
  apps.push(app)
  return app
}

async function document(app: TestApp, strength: number): Promise<ProjectDocument> {
  const [a, b] = faces(2, 10)
  const photo = await app.ok('image:import', { name: 'me.jpg', bytes: a.bytes })
  const ref = await app.ok('image:import', { name: 'ref.jpg', bytes: b.bytes })
  const data = new Uint8Array(64 * 64)
  data.fill(255, 64 * 40, 64 * 52)
  return {
    original: { imageId: photo.image.imageId, crop: { x: 0, y: 0, size: 64 } },
    references: [
      {
        id: 'r1',
        imageId: ref.image.imageId,
        crop: { x: 0, y: 0, size: 64 },
        name: '',
        color: '#00ff00',
        visible: true,
        strength,
        offset: { dx: 0, dy: 0 },
        mask: { width: 64, height: 64, data },
      },
    ],
    settings: { space: 'wplus', feather: 8, detail: true, livePreview: true },
  }
}

describe('autosave and recovery', () => {
  it('a session that crashes leaves its latest document for the next one to recover', async () => {
    const first = await session()
    expect(await first.ok('autosave:check', {})).toEqual({ recovery: null })
    await first.ok('autosave:write', { document: await document(first, 0.25) })
    const latest = await document(first, 0.75)
    const { savedAt } = await first.ok('autosave:write', { document: latest })
    // no cleanExit: the process "crashed"

    const second = await session()
    expect(await second.ok('autosave:check', {})).toEqual({ recovery: { savedAt, name: null } })
    const { project } = await second.ok('autosave:recover', {})
    expect(project.document.references[0].strength).toBe(0.75)
    expect(Buffer.from(project.document.references[0].mask.data).equals(Buffer.from(latest.references[0].mask.data))).toBe(true)
    const { preview } = await second.ok('image:preview', { imageId: project.document.original.imageId })
    const [a] = faces(1, 10)
    expect((await sharp(preview.bytes).raw().toBuffer()).equals(await sharp(a.bytes).raw().toBuffer())).toBe(true)
  })

  it('a recovered document remembers its project file, and saving it clears the recovery copy', async () => {
    const first = await session()
    const doc = await document(first, 1)
    first.dialogs.answer('saveProject', join(dir, 'work.smproj'))
    await first.ok('project:save', { document: doc })
    await first.ok('autosave:write', { document: { ...doc, settings: { ...doc.settings, feather: 20 } } })

    const second = await session()
    expect((await second.ok('autosave:check', {})).recovery?.name).toBe('work.smproj')
    const { project } = await second.ok('autosave:recover', {})
    expect(project.name).toBe('work.smproj')
    expect(project.document.settings.feather).toBe(20)
    expect(await second.ok('project:save', { document: project.document })).toEqual({ canceled: false, name: 'work.smproj' })
    expect(second.dialogs.asked).toEqual([])
    expect(await second.ok('autosave:check', {})).toEqual({ recovery: null })
  })

  it('a truncated or damaged recovery copy is not offered, and is discarded', async () => {
    for (const damage of [(bytes: Buffer) => bytes.subarray(0, bytes.length >> 1), () => Buffer.from('{"format":"stylemap-project","version":1}')]) {
      const first = await session()
      await first.ok('autosave:write', { document: await document(first, 1) })
      const data = join(dir, 'user', 'recovery', 'autosave.smproj')
      await writeFile(data, damage(await readFile(data)))

      const second = await session()
      expect(await second.ok('autosave:check', {})).toEqual({ recovery: null })
      expect(await readdir(join(dir, 'user', 'recovery'))).toEqual([])
      expect(await second.call('autosave:recover', {})).toMatchObject({ ok: false, error: { code: 'E_NO_RECOVERY' } })
    }
  })

  it('a recovery copy that cannot be read just now is not offered, and not discarded either', async () => {
    const first = await session()
    await first.ok('autosave:write', { document: await document(first, 1) })
    // a read error that says nothing about the copy (here EISDIR; on a real disk EACCES, EIO,
    // or EBUSY while a virus scanner holds the file)
    const data = join(dir, 'user', 'recovery', 'autosave.smproj')
    await rm(data)
    await mkdir(data)

    const second = await session()
    expect(await second.ok('autosave:check', {})).toEqual({ recovery: null })
    expect((await readdir(join(dir, 'user', 'recovery'))).sort()).toEqual(['autosave.json', 'autosave.smproj'])
  })

  it('a recovery copy from a newer version is not offered but kept', async () => {
    const first = await session()
    await first.ok('autosave:write', { document: await document(first, 1) })
    const data = join(dir, 'user', 'recovery', 'autosave.smproj')
    const newer = (await readFile(data, 'utf8')).replace('"version":1', '"version":2')
    await writeFile(data, newer)

    const second = await session()
    expect(await second.ok('autosave:check', {})).toEqual({ recovery: null })
    expect(await readFile(data, 'utf8')).toBe(newer)
  })

  it('a clean exit or a discard leaves nothing to recover', async () => {
    const first = await session()
    await first.ok('autosave:write', { document: await document(first, 1) })
    await first.app.cleanExit()
    const second = await session()
    expect(await second.ok('autosave:check', {})).toEqual({ recovery: null })
    expect(await second.call('autosave:recover', {})).toMatchObject({ ok: false, error: { code: 'E_NO_RECOVERY' } })

    await second.ok('autosave:write', { document: await document(second, 1) })
    await second.ok('autosave:discard', {})
    expect(await second.ok('autosave:check', {})).toEqual({ recovery: null })
    expect(await readdir(join(dir, 'user', 'recovery'))).toEqual([])
  })
})

import { createHash } from 'node:crypto'
import { readFile, readdir, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32, deflateSync } from 'node:zlib'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProjectDocument } from '../../src-shared/contract'
import { sidewaysPhoto } from '../engine/testing/photos'
import { faces } from '../testing/utkface'
import { parseProject, projectMaxBytes } from './projectFile'
import { makeTestApp, type TestApp } from './testing/harness'

let t: TestApp
let other: TestApp | null = null
beforeEach(async () => {
  t = await makeTestApp()
})
afterEach(async () => {
  await other?.close()
  other = null
  await t.close()
})

/** A soft round brush dab, the way the editor paints. */
function roundMask(width: number, height: number, cx: number, cy: number, r: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height)
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[y * width + x] = Math.max(0, Math.min(255, Math.round((r - Math.hypot(x - cx, y - cy)) * 32)))
  return { width, height, data }
}

async function openDocument(app: TestApp): Promise<ProjectDocument> {
  const [a, b, c] = faces(3)
  const photo = await app.ok('image:import', { name: 'phone.jpg', bytes: await sidewaysPhoto(a.bytes) })
  const ref1 = await app.ok('image:import', { name: b.name, bytes: b.bytes })
  const ref2 = await app.ok('image:import', { name: c.name, bytes: c.bytes })
  return {
    original: { imageId: photo.image.imageId, crop: { x: 60, y: 0, size: 360 } },
    references: [
      {
        id: 'ref-1',
        imageId: ref1.image.imageId,
        crop: { x: 0, y: 0, size: 64 },
        name: 'mouth',
        color: '#ff3366',
        visible: true,
        strength: 0.8,
        offset: { dx: 0, dy: 0 },
        mask: roundMask(240, 180, 120, 120, 20),
      },
      {
        id: 'ref-2',
        imageId: ref2.image.imageId,
        crop: { x: 4, y: 4, size: 56 },
        name: 'eyes',
        color: '#33aaff',
        visible: false,
        strength: 0.5,
        offset: { dx: 12, dy: -6 },
        mask: roundMask(240, 180, 100, 70, 15),
      },
    ],
    settings: { space: 'w', coarseStrength: 0.7, feather: 12, detail: false, livePreview: false, modelId: 'utkface-64' },
  }
}

async function previewPixels(app: TestApp, imageId: string): Promise<Buffer> {
  const { preview } = await app.ok('image:preview', { imageId, maxSize: 4096 })
  return sharp(preview.bytes).raw().toBuffer()
}

describe('project files', () => {
  it('save then open in a fresh app gives back the same document, images and masks', async () => {
    const document = await openDocument(t)
    const path = join(t.dir, 'portrait.smproj')
    t.dialogs.answer('saveProject', path)
    const saved = await t.ok('project:save', { document })
    expect(saved).toEqual({ canceled: false, name: 'portrait.smproj' })
    expect(t.dialogs.asked).toEqual([{ kind: 'saveProject', suggestion: 'phone.smproj' }])
    expect((await readdir(t.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])

    other = await makeTestApp()
    other.dialogs.answer('openProject', path)
    const opened = await other.ok('project:open', {})
    if (opened.canceled) throw new Error('canceled')
    const { project } = opened
    expect(project.name).toBe('portrait.smproj')
    expect(project.images.map((i) => [i.name, i.width, i.height]).sort()).toEqual(
      [
        ['phone.jpg', 480, 360],
        ...faces(3)
          .slice(1)
          .map((f) => [f.name, 64, 64]),
      ].sort(),
    )
    const back = project.document
    expect(back.settings).toEqual(document.settings)
    expect(back.original.crop).toEqual(document.original.crop)
    expect(back.references.map(({ mask, imageId, ...rest }) => rest)).toEqual(document.references.map(({ mask, imageId, ...rest }) => rest))
    for (const [i, reference] of back.references.entries()) {
      expect([reference.mask.width, reference.mask.height]).toEqual([240, 180])
      expect(Buffer.from(reference.mask.data).equals(Buffer.from(document.references[i].mask.data))).toBe(true)
      expect((await previewPixels(other, reference.imageId)).equals(await previewPixels(t, document.references[i].imageId))).toBe(true)
    }
    expect((await previewPixels(other, back.original.imageId)).equals(await previewPixels(t, document.original.imageId))).toBe(true)

    // the project is now the current file: Save writes there without asking
    const before = other.dialogs.asked.length
    expect(await other.ok('project:save', { document: back })).toEqual({ canceled: false, name: 'portrait.smproj' })
    expect(other.dialogs.asked.length).toBe(before)
    const recent = await other.ok('recent:list', {})
    expect(recent.items[0]).toMatchObject({ kind: 'project', name: 'portrait.smproj' })
  })

  it('keeps the original photo file byte for byte (so export keeps its EXIF)', async () => {
    const document = await openDocument(t)
    const path = join(t.dir, 'p.smproj')
    t.dialogs.answer('saveProject', path)
    await t.ok('project:save', { document })
    const json = JSON.parse(await readFile(path, 'utf8'))
    expect(json).toMatchObject({ format: 'stylemap-project', version: 1 })
    const [a] = faces(1)
    const photo = await sidewaysPhoto(a.bytes)
    const key = createHash('sha256').update(photo).digest('hex')
    expect(Buffer.from(json.images[key].data, 'base64').equals(photo)).toBe(true)
  })

  describe('a damaged file fails clearly and changes nothing', () => {
    async function damaged(mutate: (text: string, bytes: Buffer) => Buffer | string): Promise<{ code: string; message: string; asked: number }> {
      const document = await openDocument(t)
      const good = join(t.dir, 'good.smproj')
      t.dialogs.answer('saveProject', good)
      await t.ok('project:save', { document })
      const goodBytes = await readFile(good)
      const bad = join(t.dir, 'bad.smproj')
      await writeFile(bad, mutate(goodBytes.toString('utf8'), goodBytes))
      const badBytes = await readFile(bad)

      t.dialogs.answer('openProject', bad)
      const result = await t.call('project:open', {})
      if (result.ok) throw new Error('a damaged project opened')

      // nothing changed: the open document still works and Save still goes to good.smproj
      expect((await previewPixels(t, document.original.imageId)).length).toBe(480 * 360 * 3)
      const asked = t.dialogs.asked.length
      expect(await t.ok('project:save', { document })).toEqual({ canceled: false, name: 'good.smproj' })
      expect(t.dialogs.asked.length).toBe(asked)
      expect((await readFile(bad)).equals(badBytes)).toBe(true)
      expect((await t.ok('recent:list', {})).items.map((i) => i.name)).toEqual(['good.smproj'])
      return { ...result.error, asked }
    }

    it('truncated', async () => {
      const error = await damaged((_text, bytes) => bytes.subarray(0, bytes.length >> 1))
      expect(error.code).toBe('E_PROJECT_CORRUPT')
      expect(error.message).toMatch(/truncated/)
    })

    it('not a project at all', async () => {
      expect((await damaged(() => Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]))).code).toBe('E_PROJECT_CORRUPT')
      expect((await damaged(() => '{"hello": "world"}')).code).toBe('E_PROJECT_CORRUPT')
      expect((await damaged(() => '')).code).toBe('E_PROJECT_CORRUPT')
    })

    it('an image that no longer matches its checksum', async () => {
      const error = await damaged((text) => {
        const json = JSON.parse(text)
        const entry = Object.values(json.images)[0] as { data: string }
        entry.data = entry.data.slice(0, 100) + (entry.data[100] === 'A' ? 'B' : 'A') + entry.data.slice(101)
        return JSON.stringify(json)
      })
      expect(error.code).toBe('E_PROJECT_CORRUPT')
      expect(error.message).toMatch(/checksum/)
    })

    it('an image that is not a picture, with a matching checksum', async () => {
      const error = await damaged((text) => {
        const json = JSON.parse(text)
        const junk = Buffer.from('definitely not a jpeg')
        const key = createHash('sha256').update(junk).digest('hex')
        json.images[key] = { name: 'junk.jpg', sha256: key, data: junk.toString('base64') }
        json.document.references[0].image = key
        return JSON.stringify(json)
      })
      expect(error.code).toBe('E_PROJECT_CORRUPT')
      expect(error.message).toContain('E_IMAGE_DECODE')
    })

    it('a broken mask', async () => {
      const error = await damaged((text) => {
        const json = JSON.parse(text)
        json.document.references[1].mask.png = Buffer.from('not a png').toString('base64')
        return JSON.stringify(json)
      })
      expect(error.code).toBe('E_PROJECT_CORRUPT')
      expect(error.message).toMatch(/reference 2/)
    })

    it('a field of the wrong type', async () => {
      const error = await damaged((text) => {
        const json = JSON.parse(text)
        json.document.references[0].strength = 'strong'
        return JSON.stringify(json)
      })
      expect(error.code).toBe('E_PROJECT_CORRUPT')
      expect(error.message).toContain('strength')
    })

    it('from a newer version', async () => {
      const error = await damaged((text) => text.replace('"version":1', '"version":2'))
      expect(error.code).toBe('E_PROJECT_VERSION')
      expect(error.message).toMatch(/newer/)
    })
  })

  it('Save As always asks; a cancelled dialog writes nothing', async () => {
    const document = await openDocument(t)
    t.dialogs.answer('saveProject', null)
    expect(await t.ok('project:saveAs', { document })).toEqual({ canceled: true })
    expect((await readdir(t.dir)).filter((f) => f.endsWith('.smproj'))).toEqual([])
  })

  it('a project naming an image that is not open fails with E_IMAGE_UNKNOWN and asks nothing', async () => {
    const document = await openDocument(t)
    const result = await t.call('project:save', { document: { ...document, original: { ...document.original, imageId: 'img:gone' } } })
    expect(result).toMatchObject({ ok: false, error: { code: 'E_IMAGE_UNKNOWN' } })
    expect(t.dialogs.asked).toEqual([])
  })

  it('a recent project that was deleted answers E_RECENT_MISSING and leaves the list', async () => {
    const document = await openDocument(t)
    const path = join(t.dir, 'gone.smproj')
    t.dialogs.answer('saveProject', path)
    await t.ok('project:save', { document })
    const [item] = (await t.ok('recent:list', {})).items
    await import('node:fs/promises').then((fs) => fs.rm(path))
    expect(await t.call('recent:open', { id: item.id })).toMatchObject({ ok: false, error: { code: 'E_RECENT_MISSING' } })
    expect((await t.ok('recent:list', {})).items).toEqual([])
  })
})

/**
 * A black 1-bit grayscale PNG: a few KB of file for any number of pixels, which a decoder
 * turns into width x height bytes. `mark` sets one pixel so two such images differ.
 */
function blankPng(width: number, height: number, mark = false): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data])
    const out = Buffer.alloc(body.length + 8)
    out.writeUInt32BE(data.length, 0)
    body.copy(out, 4)
    out.writeUInt32BE(crc32(body), body.length + 4)
    return out
  }
  const header = Buffer.alloc(13)
  header.writeUInt32BE(width, 0)
  header.writeUInt32BE(height, 4)
  header[8] = 1 // bit depth
  header[9] = 0 // grayscale
  const rowBytes = 1 + Math.ceil(width / 8)
  const raw = Buffer.alloc(rowBytes * height)
  if (mark) raw[1] = 0x80
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

describe('a hostile project file is refused before it costs memory', () => {
  /** A real saved project's JSON, changed by `mutate`, opened through project:open. */
  interface DiskProject {
    images: Record<string, { name: string; sha256: string; data: string }>
    document: { references: Array<Record<string, unknown>> }
  }

  async function openChanged(mutate: (json: DiskProject) => void) {
    const document = await openDocument(t)
    const good = join(t.dir, 'good.smproj')
    t.dialogs.answer('saveProject', good)
    await t.ok('project:save', { document })
    const json = JSON.parse(await readFile(good, 'utf8'))
    mutate(json)
    const path = join(t.dir, 'changed.smproj')
    const bytes = Buffer.from(JSON.stringify(json))
    await writeFile(path, bytes)
    const opensBefore = t.calls.filter((c) => c === 'openImage').length
    t.dialogs.answer('openProject', path)
    const result = await t.call('project:open', {})
    return { result, bytes: bytes.length, opens: t.calls.filter((c) => c === 'openImage').length - opensBefore }
  }

  it('16 references with 16383 x 16383 masks in a small file: E_PROJECT_CORRUPT, nothing decoded', async () => {
    const bomb = blankPng(16383, 16383).toString('base64')
    const { result, bytes, opens } = await openChanged((json) => {
      const [first] = json.document.references
      json.document.references = Array.from({ length: 16 }, (_, i) => ({ ...first, id: `bomb-${i}`, mask: { width: 16383, height: 16383, png: bomb } }))
    })
    expect(bytes).toBeLessThan(2 * 2 ** 20)
    expect(result).toMatchObject({ ok: false, error: { code: 'E_PROJECT_CORRUPT', message: expect.stringMatching(/2048/) } })
    expect(opens).toBe(0)
  })

  it('a mask whose PNG is bigger than the size the file declares is refused', async () => {
    const { result } = await openChanged((json) => {
      json.document.references[0].mask = { width: 64, height: 64, png: blankPng(16383, 16383).toString('base64') }
    })
    expect(result).toMatchObject({ ok: false, error: { code: 'E_PROJECT_CORRUPT', message: expect.stringMatching(/reference 1.*16383x16383/) } })
  })

  it('images nothing references are dropped, not decoded', async () => {
    const { result, opens } = await openChanged((json) => {
      for (const [width, height] of [
        [10000, 10000],
        [10000, 9999],
        [9999, 10000],
      ]) {
        const png = blankPng(width, height, true)
        const key = createHash('sha256').update(png).digest('hex')
        json.images[key] = { name: `huge-${width}x${height}.png`, sha256: key, data: png.toString('base64') }
      }
    })
    if (!result.ok || result.value.canceled) throw new Error(`did not open: ${JSON.stringify(result)}`)
    expect(result.value.project.images.map((i) => i.name).sort()).toEqual(
      [
        'phone.jpg',
        ...faces(3)
          .slice(1)
          .map((f) => f.name),
      ].sort(),
    )
    expect(opens).toBe(3)
  })

  it(`a project file over ${projectMaxBytes / 2 ** 20} MiB: E_PROJECT_TOO_LARGE, without reading it`, async () => {
    const path = join(t.dir, 'huge.smproj')
    await writeFile(path, '')
    await truncate(path, projectMaxBytes + 1) // sparse: no disk used
    t.dialogs.answer('openProject', path)
    expect(await t.call('project:open', {})).toMatchObject({ ok: false, error: { code: 'E_PROJECT_TOO_LARGE', message: expect.stringMatching(/512 MiB/) } })
    expect((await t.ok('recent:list', {})).items).toEqual([])
  })

  it('parseProject refuses bytes over the cap too (recovery copies, stylemap render --project)', async () => {
    await expect(parseProject(new Uint8Array(projectMaxBytes + 1))).rejects.toMatchObject({ code: 'E_PROJECT_TOO_LARGE' })
  })

  it('image names are shown as their base name only, printable and bounded', async () => {
    const { result } = await openChanged((json) => {
      const [original, second, third] = Object.keys(json.images)
      json.images[original].name = '../../home/me/Private/\u0007phone\u202Egpj.exe\n.jpg'
      json.images[second].name = 'C:\\Users\\me\\Secret folder\\' + 'x'.repeat(200) + '.png'
      json.images[third].name = '/etc/'
    })
    if (!result.ok || result.value.canceled) throw new Error(`did not open: ${JSON.stringify(result)}`)
    const names = result.value.project.images.map((i) => i.name)
    expect(names).toContain('phonegpj.exe.jpg')
    expect(names).toContain('image')
    const long = names.find((n) => n.startsWith('xxx'))!
    expect(long.length).toBeLessThanOrEqual(120)
    expect(long.endsWith('….png')).toBe(true)
    // eslint-disable-next-line no-control-regex -- the test is that none are left
    for (const name of names) expect(name).not.toMatch(/[\\/\u0000-\u001f\u007f\u202e]/)
  })
})

describe('saving keeps what a project can hold', () => {
  it('a mask bigger than a project holds (the live IPC allows 16384) is saved at 2048 a side, so the file opens again', async () => {
    const document = await openDocument(t)
    const big = roundMask(3000, 1500, 1500, 750, 400)
    const path = join(t.dir, 'big-mask.smproj')
    t.dialogs.answer('saveProject', path)
    await t.ok('project:save', { document: { ...document, references: [{ ...document.references[0], mask: big }] } })
    other = await makeTestApp()
    other.dialogs.answer('openProject', path)
    const opened = await other.ok('project:open', {})
    if (opened.canceled) throw new Error('canceled')
    const [mask] = opened.project.document.references.map((r) => r.mask)
    expect([mask.width, mask.height]).toEqual([2048, 1024])
    // the same dab, scaled: inside, outside and a corner
    expect(mask.data[512 * 2048 + 1024]).toBe(255)
    expect(mask.data[0]).toBe(0)
  })
})

import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatch } from './dispatch'
import { sidewaysPhoto } from '../engine/testing/photos'
import { faces } from '../testing/utkface'
import { makeTestApp, type TestApp } from './testing/harness'

let t: TestApp
beforeEach(async () => {
  t = await makeTestApp()
})
afterEach(async () => {
  await t.close()
})

const crop = { x: 0, y: 0, size: 64 }
const mask = { width: 4, height: 4, data: new Uint8Array(16) }
const edit = { original: { imageId: 'img:a', crop }, layers: [{ reference: { imageId: 'img:b', crop }, mask }] }

describe('dispatch', () => {
  const malformed: Array<[string, unknown]> = [
    ['image:import', { name: 'a.jpg', bytes: 'not bytes' }],
    ['image:import', { name: 'a.jpg', bytes: [255, 216, 255] }],
    ['image:import', { name: 'a.jpg' }],
    ['engine:morph', { a: { imageId: 5, crop }, b: { imageId: 'img:b', crop }, t: 0.5 }],
    ['engine:morph', { a: { imageId: 'img:a', crop: { x: -1, y: 0, size: 64 } }, b: { imageId: 'img:b', crop }, t: 0.5 }],
    ['engine:morph', { a: { imageId: 'img:a', crop: { x: 0, y: 0, size: 0 } }, b: { imageId: 'img:b', crop }, t: 0.5 }],
    ['engine:morph', null],
    ['engine:morph', 'img:a'],
    ['engine:morph', 42],
    ['engine:generate', { seq: 1, edit: { ...edit, layers: [{ reference: { imageId: 'img:b', crop }, mask: { ...mask, data: new Uint8Array(15) } }] } }],
    ['engine:generate', { seq: -1, edit }],
    ['engine:generate', { seq: 1, edit: { ...edit, space: 'z' } }],
    ['engine:generate', { seq: 1, edit: { ...edit, layers: [{ ...edit.layers[0], strength: 2 }] } }],
    ['engine:generate', { seq: 1, edit: { ...edit, layers: [{ ...edit.layers[0], offset: { dx: 'left', dy: 0 } }] } }],
    ['engine:prepare', null],
    ['engine:prepare', { original: { imageId: 5, crop } }],
    ['engine:prepare', { original: { imageId: 'img:a', crop }, references: [{ imageId: 'img:b', crop: { x: 0, y: 0, size: 0 } }] }],
    ['engine:prepare', { original: { imageId: 'img:a', crop }, references: Array.from({ length: 17 }, () => ({ imageId: 'img:b', crop })) }],
    ['engine:random', { seed: -3 }],
    ['image:preview', { imageId: 'img:a', maxSize: 1e9 }],
    ['model:select', {}],
    ['file:export', { document: { original: { imageId: 'img:a', crop }, references: [], settings: {} }, format: 'gif' }],
    ['file:export', { document: { original: { imageId: 'img:a', crop }, references: [], settings: {} }, quality: 0 }],
    ['file:export', { edit, format: 'png' }],
    ['project:save', { document: { original: { imageId: 'img:a', crop }, references: [{ id: 'r', imageId: 'img:b', crop, color: 'red', mask }], settings: {} } }],
    ['recent:open', { id: '' }],
  ]

  it.each(malformed)('rejects a malformed %s payload with E_IPC_PAYLOAD before anything runs', async (channel, payload) => {
    const result = await dispatch(channel, payload, t.app.handlers)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('E_IPC_PAYLOAD')
    expect(result.error.message).toContain(channel)
    expect(t.calls).toEqual([])
    expect(t.dialogs.asked).toEqual([])
  })

  it.each(['engine:evil', '__proto__', 'toString', 'constructor', ''])('rejects the unknown channel %j with E_IPC_CHANNEL', async (channel) => {
    const result = await dispatch(channel, {}, t.app.handlers)
    expect(result).toMatchObject({ ok: false, error: { code: 'E_IPC_CHANNEL' } })
    expect(t.calls).toEqual([])
  })

  it('keeps the engine’s own codes for bad images', async () => {
    const garbage = await t.call('image:import', { name: 'notes.jpg', bytes: new TextEncoder().encode('this is not a picture at all') })
    expect(garbage).toMatchObject({ ok: false, error: { code: 'E_IMAGE_DECODE' } })
    const empty = await t.call('image:import', { name: 'empty.jpg', bytes: new Uint8Array(0) })
    expect(empty).toMatchObject({ ok: false, error: { code: 'E_IMAGE_EMPTY' } })
    const [face] = faces(1)
    const truncated = await t.call('image:import', { name: 'cut.jpg', bytes: face.bytes.subarray(0, 200) })
    expect(truncated).toMatchObject({ ok: false, error: { code: 'E_IMAGE_DECODE' } })
  })

  it('names an image that is not open with E_IMAGE_UNKNOWN', async () => {
    const result = await t.call('image:preview', { imageId: 'img:nope' })
    expect(result).toMatchObject({ ok: false, error: { code: 'E_IMAGE_UNKNOWN' } })
  })

  it('opens a photo through the dialog, upright, and previews it downscaled', async () => {
    const [face] = faces(1)
    const path = join(t.dir, 'phone.jpg')
    await writeFile(path, await sidewaysPhoto(face.bytes))
    t.dialogs.answer('openImage', path)
    const opened = await t.ok('image:open', { purpose: 'original' })
    if (opened.canceled) throw new Error('canceled')
    // stored 360 x 480 sideways; EXIF orientation 6 makes it 480 x 360
    expect(opened.image).toMatchObject({ name: 'phone.jpg', width: 480, height: 360, format: 'jpeg' })
    expect(JSON.stringify(opened)).not.toContain(t.dir)

    const { preview, fullWidth, fullHeight } = await t.ok('image:preview', { imageId: opened.image.imageId, maxSize: 240 })
    expect([fullWidth, fullHeight]).toEqual([480, 360])
    expect(preview).toMatchObject({ mime: 'image/png', width: 240, height: 180 })
    const meta = await sharp(preview.bytes).metadata()
    expect([meta.width, meta.height, meta.format]).toEqual([240, 180, 'png'])

    const recent = await t.ok('recent:list', {})
    expect(recent.items.map((item) => item.name)).toEqual(['phone.jpg'])
  })

  it('answers a cancelled dialog with canceled, not an error', async () => {
    t.dialogs.answer('openImage', null)
    expect(await t.ok('image:open', {})).toEqual({ canceled: true })
  })
})

// Smoke test of the bridge itself: a page calls `window.stylemap` end to end (stub dialog ->
// main reads the file -> engine process -> bytes back as Uint8Array) on the real model.
import sharp from 'sharp'
import type { StylemapApi } from '../../src-shared/contract'
import { expect, test } from '../fixtures'

const crop = { x: 60, y: 0, size: 360 }
// a round mask over the mouth, painted at half the photo's size (as on a downscaled preview)
const centre = { x: 240, y: 250 }
const radius = 40

test('a page opens a photo, previews and generates through window.stylemap', async ({ app, bridge, photoFile, faceFile, shot }) => {
  const photo = await photoFile('phone.jpg', { sideways: true })
  const reference = await faceFile(7)
  bridge.dialogs.answer('openImage', photo, reference)

  const result = await app.evaluate(
    async ({ crop, centre, radius }) => {
      // the node-side tsconfig has no DOM library: name the few page globals used here
      interface ImageElement {
        src: string
        alt: string
        style: { cssText: string }
        naturalWidth: number
        naturalHeight: number
        decode(): Promise<void>
      }
      const page = globalThis as unknown as {
        stylemap: StylemapApi
        document: { createElement(tag: 'img'): ImageElement; body: { prepend(node: ImageElement): void } }
        Blob: new (parts: Uint8Array[], options: { type: string }) => object
        URL: { createObjectURL(blob: object): string }
        btoa(text: string): string
      }
      const api = page.stylemap
      const toBase64 = (bytes: Uint8Array) => {
        let text = ''
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
        return page.btoa(text)
      }
      const show = async (bytes: Uint8Array, label: string) => {
        const img = page.document.createElement('img')
        img.src = page.URL.createObjectURL(new page.Blob([bytes], { type: 'image/png' }))
        img.alt = label
        img.style.cssText = 'position:relative;z-index:10;margin:8px;border:1px solid #888;image-rendering:pixelated'
        page.document.body.prepend(img)
        await img.decode()
        return [img.naturalWidth, img.naturalHeight]
      }
      const must = <T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T => {
        if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
        return r.value
      }

      const opened = must(await api['image:open']({ purpose: 'original' }))
      const openedRef = must(await api['image:open']({ purpose: 'reference' }))
      if (opened.canceled || openedRef.canceled) throw new Error('dialog cancelled')
      const { preview, fullWidth, fullHeight } = must(await api['image:preview']({ imageId: opened.image.imageId }))

      const mask = { width: 240, height: 180, data: new Uint8Array(240 * 180) }
      for (let y = 0; y < 180; y++)
        for (let x = 0; x < 240; x++) if (Math.hypot(x + 0.5 - centre.x / 2, y + 0.5 - centre.y / 2) <= radius / 2) mask.data[y * 240 + x] = 255
      const generated = must(
        await api['engine:generate']({
          seq: 1,
          edit: {
            original: { imageId: opened.image.imageId, crop },
            layers: [{ reference: { imageId: openedRef.image.imageId, crop: { x: 0, y: 0, size: 64 } }, mask }],
          },
        }),
      )
      if (generated.status !== 'rendered') throw new Error(`generate ${generated.status}`)

      const malformed = await api['engine:morph']({ a: { imageId: 7 } } as never)
      return {
        image: opened.image,
        full: [fullWidth, fullHeight],
        preview: { size: [preview.width, preview.height], shown: await show(preview.bytes, 'preview'), isBytes: preview.bytes instanceof Uint8Array, base64: toBase64(preview.bytes) },
        generated: {
          seq: generated.seq,
          crop: generated.crop,
          pasted: { size: [generated.pasted.width, generated.pasted.height], shown: await show(generated.pasted.bytes, 'pasted'), base64: toBase64(generated.pasted.bytes) },
          raw: { size: [generated.raw.width, generated.raw.height], shown: await show(generated.raw.bytes, 'raw') },
        },
        malformed: malformed.ok ? null : malformed.error.code,
      }
    },
    { crop, centre, radius },
  )
  await shot('bridge-smoke')

  expect(bridge.dialogs.asked.map((d) => d.kind)).toEqual(['openImage', 'openImage'])
  // upright (the file is stored sideways with EXIF orientation 6), full size, real PNG bytes
  expect(result.image).toMatchObject({ name: 'phone.jpg', width: 480, height: 360, format: 'jpeg' })
  expect(result.full).toEqual([480, 360])
  expect(result.preview).toMatchObject({ size: [480, 360], shown: [480, 360], isBytes: true })
  expect(result.malformed).toBe('E_IPC_PAYLOAD')

  const resolution = (await bridge.engine.modelInfo())!.model.resolution
  expect(result.generated).toMatchObject({ seq: 1, crop, pasted: { size: [360, 360], shown: [360, 360] }, raw: { size: [resolution, resolution], shown: [resolution, resolution] } })

  // the pasted crop equals the photo except near the mask: compare pixel by pixel
  const before = await sharp(Buffer.from(result.preview.base64, 'base64')).extract({ left: crop.x, top: crop.y, width: crop.size, height: crop.size }).removeAlpha().raw().toBuffer()
  const after = await sharp(Buffer.from(result.generated.pasted.base64, 'base64')).removeAlpha().raw().toBuffer()
  let outsideChanged = 0
  let insideDiff = 0
  let insideCount = 0
  for (let y = 0; y < crop.size; y++) {
    for (let x = 0; x < crop.size; x++) {
      const distance = Math.hypot(crop.x + x + 0.5 - centre.x, crop.y + y + 0.5 - centre.y)
      const i = (y * crop.size + x) * 3
      const diff = Math.abs(before[i] - after[i]) + Math.abs(before[i + 1] - after[i + 1]) + Math.abs(before[i + 2] - after[i + 2])
      if (distance > radius + 8 + 6 && diff !== 0) outsideChanged++
      if (distance < radius - 10) {
        insideDiff += diff / 3
        insideCount++
      }
    }
  }
  expect(outsideChanged).toBe(0)
  expect(insideDiff / insideCount).toBeGreaterThan(2)
})

test('main -> renderer events reach window.stylemap.on listeners, and unsubscribe works', async ({ app, bridge }) => {
  await app.evaluate(() => {
    const api = (globalThis as unknown as { stylemap: StylemapApi }).stylemap
    const seen: unknown[] = []
    ;(globalThis as unknown as { seen: unknown[] }).seen = seen
    const off = api.on['menu:command']((payload) => {
      seen.push(payload)
      off()
    })
  })
  // the page subscribes asynchronously; keep sending until the first arrives
  await expect
    .poll(async () => {
      bridge.emit('menu:command', { command: 'save' })
      return app.evaluate(() => (globalThis as unknown as { seen: unknown[] }).seen.length)
    })
    .toBeGreaterThan(0)
  bridge.emit('menu:command', { command: 'export' })
  await app.waitForTimeout(300)
  expect(await app.evaluate(() => (globalThis as unknown as { seen: unknown[] }).seen)).toEqual([{ command: 'save' }])
  expect(() => bridge.emit('menu:command', { command: 'format-disk' })).toThrow()
})

test('the bridge answers only requests that carry its per-run token', async ({ app, bridge }) => {
  const post = (path: string, headers: Record<string, string> = {}) =>
    fetch(new URL(path, bridge.url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payload: {} }) })
  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, bridge.url), { headers })

  // what a page from elsewhere could send: no token, a wrong one, a token-shaped guess
  const tries: Record<string, string>[] = [{}, { 'x-stylemap-bridge-token': 'guess' }, { 'x-stylemap-bridge-token': '0'.repeat(64) }]
  for (const headers of tries) {
    expect((await post('/__bridge/ipc/recent:list', headers)).status).toBe(403)
    expect((await post('/__test/dialog', headers)).status).toBe(403)
    expect((await get('/__test/dialogs', headers)).status).toBe(403)
  }
  expect((await get('/__bridge/events')).status).toBe(403)
  expect((await get('/__bridge/events?token=guess')).status).toBe(403)
  expect(bridge.dialogs.asked).toEqual([])

  // the page's own calls carry it (the init script holds it), and so does a test's
  expect(await app.evaluate(async () => (await (globalThis as unknown as { stylemap: StylemapApi }).stylemap['recent:list']({})).ok)).toBe(true)
  const allowed = await post('/__bridge/ipc/recent:list', { 'x-stylemap-bridge-token': bridge.token })
  expect(allowed.status).toBe(200)
  expect(await allowed.json()).toEqual({ ok: true, value: { items: [] } })
})

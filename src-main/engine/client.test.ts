// The engine in its own process (child_process.fork + tsx), driven through the client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GeneratedImage, Mask } from './api.js'
import { EngineClient, type Sequenced } from './client.js'
import { forkEngine } from './spawn.js'
import { testModelDir } from './testing/models.js'
import { gradientPng, rectMask } from './testing/photos.js'

let client: EngineClient
let modelDir: string
beforeAll(async () => {
  modelDir = await testModelDir()
  client = new EngineClient(() => forkEngine())
})
afterAll(async () => {
  await client.close()
})

function settle<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: string }> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (e: { code: string }) => ({ ok: false as const, code: e.code }),
  )
}

describe('engine process', () => {
  it('answers engine requests with typed arrays intact', async () => {
    const { model } = await client.loadModel(modelDir)
    const img = await client.openImage({ bytes: await gradientPng(160, 120) })
    const sm = await client.encode({ imageId: img.imageId })
    const rec = await client.reconstruct(sm.stylemapId)
    expect(rec.image.data).toBeInstanceOf(Uint8Array)
    expect(rec.image.data.length).toBe(model.resolution * model.resolution * 3)
    await expect(client.encode({ imageId: 'img:unknown' })).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
    // the live preview's paste-back crosses the process too, as crop-region pixels only
    const crop = { x: 20, y: 0, size: 120 }
    const preview = await client.pastePreview({ imageId: img.imageId, crop, generated: rec.image, mask: rectMask(120, 120, 30, 30, 40, 40), maxSize: 60 })
    expect(preview.data).toBeInstanceOf(Uint8Array)
    expect([preview.width, preview.height, preview.data.length]).toEqual([60, 60, 60 * 60 * 3])
  })

  it('coalesces a lane: while one edit runs only the newest waiting one is kept, results carry their sequence number', async () => {
    const { model } = (await client.modelInfo()) ?? (await client.loadModel(modelDir))
    const R = model.resolution
    const a = await client.encode({ imageId: (await client.openImage({ bytes: await gradientPng(128, 128, 1) })).imageId })
    const b = await client.encode({ imageId: (await client.openImage({ bytes: await gradientPng(128, 128, 2) })).imageId })
    const masks: Mask[] = [8, 12, 16, 20, 24].map((s) => rectMask(R, R, 4, 4, s, s))
    // five mask changes in one burst, as a brush stroke produces them
    const tickets = masks.map((mask) => client.preview({ original: a.stylemapId, layers: [{ reference: b.stylemapId, mask }] }))
    const results = await Promise.all(tickets.map((t) => settle(t.result)))
    expect(tickets.map((t) => t.seq)).toEqual([...tickets.map((t) => t.seq)].sort((x, y) => x - y))
    expect(results[0].ok).toBe(true)
    expect(results.slice(1, 4).map((r) => (r.ok ? 'ok' : r.code))).toEqual(['E_SUPERSEDED', 'E_SUPERSEDED', 'E_SUPERSEDED'])
    const last = results[4]
    expect(last.ok).toBe(true)
    const lastValue = (last as { value: Sequenced<GeneratedImage> }).value
    expect(lastValue.seq).toBe(tickets[4].seq)
    // the newest request really rendered the newest mask
    const direct = await client.edit({ original: a.stylemapId, layers: [{ reference: b.stylemapId, mask: masks[4] }] })
    expect(Buffer.from(lastValue.value.image.data).equals(Buffer.from(direct.image.data))).toBe(true)
  })

  it('cancel: a waiting request never runs, a running one resolves as cancelled', async () => {
    const running = client.submit('ping', [400], { lane: 'work' })
    const waiting = client.submit('ping', [0], { lane: 'work' })
    waiting.cancel()
    running.cancel()
    expect(await settle(waiting.result)).toEqual({ ok: false, code: 'E_CANCELLED' })
    expect(await settle(running.result)).toEqual({ ok: false, code: 'E_CANCELLED' })
    // the lane keeps working afterwards
    const next = await client.submit('ping', [0], { lane: 'work' }).result
    expect(next.seq).toBe(3)
  })

  it('a crash fails the request in flight with E_ENGINE_CRASHED; the next request restarts the engine with its model', async () => {
    await client.loadModel(modelDir)
    const firstPid = (await client.ping()).pid
    const slow = settle(client.ping(5000))
    await new Promise((r) => setTimeout(r, 300))
    process.kill(firstPid, 'SIGKILL')
    expect(await slow).toEqual({ ok: false, code: 'E_ENGINE_CRASHED' })
    const restarted = await client.ping()
    expect(restarted.pid).not.toBe(firstPid)
    expect(client.restartCount).toBeGreaterThanOrEqual(1)
    // the model came back without the app asking
    const info = await client.modelInfo()
    expect(info?.model.dir).toContain(modelDir.split('/').at(-1) as string)
    const img = await client.openImage({ bytes: await gradientPng(90, 90) })
    expect((await client.encode({ imageId: img.imageId })).cached).toBe(false)
  })
})

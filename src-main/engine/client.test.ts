// The engine in its own process (child_process.fork + tsx), driven through the client: every
// EngineApi method is forwarded, and a crash fails only the request in flight.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EngineClient } from './client.js'
import { servedMethods } from './host.js'
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
  it('serves exactly the public engine methods, read from the Engine class', () => {
    expect([...servedMethods].sort()).toEqual(['closeImage', 'getPixels', 'loadModel', 'modelInfo', 'morph', 'openImage', 'random', 'render'])
  })

  it('answers a whole edit in one request, typed arrays intact', async () => {
    const { model } = await client.loadModel(modelDir)
    const img = await client.openImage({ bytes: await gradientPng(160, 120) })
    const crop = { x: 20, y: 0, size: 120 }
    const edit = { original: { imageId: img.imageId, crop }, layers: [{ reference: { imageId: img.imageId, crop: { x: 0, y: 0, size: 120 } }, mask: rectMask(160, 120, 50, 30, 40, 40) }] }
    const preview = await client.render({ edit, output: { kind: 'preview', maxSize: 60 } })
    expect(preview.kind).toBe('preview')
    expect(preview.pasted.data).toBeInstanceOf(Uint8Array)
    expect([preview.pasted.width, preview.pasted.height, preview.pasted.data.length]).toEqual([60, 60, 60 * 60 * 3])
    expect(preview.generated.data.length).toBe(model.resolution * model.resolution * 3)
    expect(preview.encoded).toBe(2)
    expect((await client.render({ edit, output: { kind: 'preview', maxSize: 60 } })).encoded).toBe(0)
    await expect(client.render({ edit: { ...edit, original: { imageId: 'img:unknown' } }, output: { kind: 'preview' } })).rejects.toMatchObject({ code: 'E_IMAGE_UNKNOWN' })
  })

  it('refuses a method the engine does not serve', async () => {
    const unserved = client as unknown as { dispose(): Promise<void> }
    await expect(unserved.dispose()).rejects.toMatchObject({ code: 'E_BAD_ARGUMENT' })
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
    expect((await client.render({ edit: { original: { imageId: img.imageId }, layers: [] }, output: { kind: 'generated' } })).encoded).toBe(1)
  })
})

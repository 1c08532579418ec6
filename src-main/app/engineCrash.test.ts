// The app layer over the engine in its own process: when that process dies under a request,
// the renderer gets the contract's code, and the app carries on once the engine is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testModelDir } from '../engine/testing/models'
import { sidewaysPhoto } from '../engine/testing/photos'
import { faces } from '../testing/utkface'
import { engineFailureCodes, type ChannelName, type EditInput } from '../../src-shared/contract'
import { makeForkedApp, type ForkedTestApp } from './testing/harness'

let forked: ForkedTestApp
const restarts: number[] = []
const call = (name: ChannelName, request: unknown) => forked.call(name, request)

beforeAll(async () => {
  forked = await makeForkedApp({ modelsDir: await testModelDir() })
  // what Electron main does on a crash
  forked.client.onCrash(({ restarts: count }) => {
    restarts.push(count)
    void forked.app.engineRestarted()
  })
})
afterAll(async () => {
  await forked.close()
})

describe('engine crash seen from the app', () => {
  it('a generate in flight fails with E_ENGINE_CRASHED; the next one renders on the restarted engine', async () => {
    const [a, b] = faces(2, 7)
    const opened = await call('image:import', { name: 'phone.jpg', bytes: await sidewaysPhoto(a.bytes) })
    const reference = await call('image:import', { name: 'ref.jpg', bytes: b.bytes })
    if (!opened.ok || !reference.ok) throw new Error('import failed')
    const photoId = (opened.value as { image: { imageId: string } }).image.imageId
    const referenceId = (reference.value as { image: { imageId: string } }).image.imageId
    const mask = { width: 48, height: 36, data: new Uint8Array(48 * 36).fill(255) }
    const edit: EditInput = {
      original: { imageId: photoId, crop: { x: 60, y: 0, size: 360 } },
      layers: [{ reference: { imageId: referenceId, crop: { x: 0, y: 0, size: 64 } }, mask }],
    }
    expect(await call('engine:generate', { seq: 1, edit })).toMatchObject({ ok: true, value: { status: 'rendered' } })

    // keep the engine busy so the next generate is surely in flight when the process dies
    const firstPid = forked.client.pid as number
    const busy = forked.client.ping(5000).catch(() => undefined)
    const lost = call('engine:generate', { seq: 2, edit })
    await new Promise((resolve) => setTimeout(resolve, 300))
    process.kill(firstPid, 'SIGKILL')
    expect(await lost).toMatchObject({ ok: false, error: { code: engineFailureCodes.engineCrashed } })
    await busy
    expect(restarts).toEqual([1])

    const again = await call('engine:generate', { seq: 3, edit })
    expect(again).toMatchObject({ ok: true, value: { status: 'rendered', seq: 3 } })
    expect(forked.client.pid).not.toBe(firstPid)
  }, 60_000)
})

// The app layer over the engine in its own process: when that process dies under a request,
// the renderer gets the contract's code, and the app carries on once the engine is back.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EngineClient } from '../engine/client'
import { forkEngine } from '../engine/spawn'
import { testModelDir } from '../engine/testing/models'
import { engineFailureCodes, type EditInput } from '../../src-shared/contract'
import { dispatch } from './dispatch'
import { createApp, type App } from './handlers'
import { createFileRecentStore } from './recent'
import { ScriptedDialogs } from './testing/harness'
import { sidewaysPhoto } from '../engine/testing/photos'
import { faces } from '../testing/utkface'

let client: EngineClient
let app: App
let dir: string
const restarts: number[] = []

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-crash-'))
  client = new EngineClient(() => forkEngine())
  app = createApp({
    engine: client,
    dialogs: new ScriptedDialogs(),
    recent: createFileRecentStore(join(dir, 'user', 'recent.json')),
    userDataDir: join(dir, 'user'),
    bundledModelsDir: await testModelDir(),
    app: { name: 'Stylemap Studio', version: 'test' },
  })
  // what Electron main does on a crash
  client.onCrash(({ restarts: count }) => {
    restarts.push(count)
    void app.engineRestarted()
  })
})
afterAll(async () => {
  await client.close()
  await rm(dir, { recursive: true, force: true })
})

async function call(name: string, request: unknown) {
  return dispatch(name, request, app.handlers)
}

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
    const firstPid = client.pid as number
    const busy = client.ping(5000).catch(() => undefined)
    const lost = call('engine:generate', { seq: 2, edit })
    await new Promise((resolve) => setTimeout(resolve, 300))
    process.kill(firstPid, 'SIGKILL')
    expect(await lost).toMatchObject({ ok: false, error: { code: engineFailureCodes.engineCrashed } })
    await busy
    expect(restarts).toEqual([1])

    const again = await call('engine:generate', { seq: 3, edit })
    expect(again).toMatchObject({ ok: true, value: { status: 'rendered', seq: 3 } })
    expect(client.pid).not.toBe(firstPid)
  }, 60_000)
})

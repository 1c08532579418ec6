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
    expect([...servedMethods].sort()).toEqual(['closeImage', 'detectFaces', 'getPixels', 'loadModel', 'modelInfo', 'morph', 'openImage', 'prepare', 'random', 'render'])
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

  it('prepare gives way to a request sent behind it, answering that it is not complete; asked again, it does the rest', async () => {
    await client.loadModel(modelDir)
    const photo = await client.openImage({ bytes: await gradientPng(160, 120, 3) })
    const reference = await client.openImage({ bytes: await gradientPng(140, 140, 9) })
    const request = { original: { imageId: photo.imageId, crop: { x: 20, y: 0, size: 120 } }, references: [{ imageId: reference.imageId, crop: { x: 0, y: 0, size: 140 } }] }
    // the engine is kept busy while both come in: the ping is there behind prepare from its start,
    // or from its first step (the process reads its messages when a step waits)
    const answered: string[] = []
    const [, first] = await Promise.all([
      client.ping(300),
      client.prepare(request).then((r) => (answered.push('prepare'), r)),
      client.ping().then(() => answered.push('ping')),
    ])
    expect(first.complete).toBe(false)
    expect(first.encoded).toBeLessThan(2)
    expect(answered).toEqual(['prepare', 'ping'])
    // what it made is kept: the next one encodes the rest
    expect(await client.prepare(request)).toMatchObject({ encoded: 2 - first.encoded, complete: true })
    expect(await client.prepare(request)).toMatchObject({ encoded: 0, complete: true })
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

describe('engine restarts back off', () => {
  type SpawnEngine = ConstructorParameters<typeof EngineClient>[0]

  /** An engine process that dies as soon as it starts (a model that crashes onnxruntime on load, say). */
  function dyingEngine(): { spawn: SpawnEngine; started: () => number } {
    let started = 0
    const spawn: SpawnEngine = () => {
      started++
      const exits: ((code: number | null) => void)[] = []
      setImmediate(() => exits.forEach((l) => l(134)))
      return { send: () => {}, onMessage: () => {}, onExit: (l) => void exits.push(l), kill: () => {} }
    }
    return { spawn, started: () => started }
  }

  it('an engine that keeps crashing is started at most 3 times a minute; later requests fail at once with E_ENGINE_CRASHED', async () => {
    let now = 1_000_000
    const engine = dyingEngine()
    const dying = new EngineClient(engine.spawn, { maxCrashes: 3, windowMs: 60_000, now: () => now })
    const outcomes: { code: string; message: string }[] = []
    for (let i = 0; i < 10; i++) {
      outcomes.push(await dying.ping().then(() => ({ code: 'ok', message: '' }), (e: { code: string; message: string }) => e))
      now += 1000
    }
    expect(engine.started()).toBe(3)
    expect(outcomes.map((o) => o.code)).toEqual(new Array(10).fill('E_ENGINE_CRASHED'))
    expect(outcomes[0].message).toContain('restarts with the next request')
    expect(outcomes[2].message).toMatch(/keeps crashing/)
    expect(outcomes[9].message).toMatch(/keeps crashing \(3 times in the last 60 s\).*in \d+ s/)
    // once the minute has passed, it is tried again
    now += 60_000
    await dying.ping().catch(() => undefined)
    expect(engine.started()).toBe(4)
    await dying.close()
  })
})

describe('a stuck engine', () => {
  it('a request with no answer within the timeout fails with E_ENGINE_TIMEOUT; the engine is stopped and the next request gets a new one', async () => {
    const impatient = new EngineClient(() => forkEngine(), undefined, 1500)
    try {
      const firstPid = (await impatient.ping()).pid
      const crashes: number[] = []
      impatient.onCrash(({ restarts }) => crashes.push(restarts))
      const started = Date.now()
      // the engine is kept busy far past the timeout, as a hung read would keep it
      await expect(impatient.ping(20_000)).rejects.toMatchObject({ code: 'E_ENGINE_TIMEOUT' })
      expect(Date.now() - started).toBeLessThan(15_000)
      // main hears of it as of a crash, so it hands the new engine its photos again
      expect(crashes).toEqual([1])
      const next = await impatient.ping()
      expect(next.pid).not.toBe(firstPid)
    } finally {
      await impatient.close()
    }
  }, 30_000)

  it('the timeout counts from the last answer of the engine: requests queued behind others are not taken for stuck', async () => {
    const patient = new EngineClient(() => forkEngine(), undefined, 1500)
    try {
      const pid = (await patient.ping()).pid
      // three 700 ms requests at once: the last answers 2.1 s after it was sent, each 0.7 s after the one before
      const answers = await Promise.all([700, 700, 700].map((ms) => patient.ping(ms)))
      expect(answers.map((a) => a.pid)).toEqual([pid, pid, pid])
      expect(patient.restartCount).toBe(0)
    } finally {
      await patient.close()
    }
  }, 30_000)
})

// IPC validation end to end inside main: the registration Electron uses, the app's real
// dispatch and handlers, and an engine that records every call. A wrong sender or a
// malformed payload is answered with a code and never reaches the engine.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { channels } from '../../src-shared/contract'
import type { Result } from '../../src-shared/ipc'
import { dispatch } from '../app/dispatch'
import { createApp } from '../app/handlers'
import { createFileRecentStore } from '../app/recent'
import type { EngineApi, ImageInfo } from '../engine/api'
import { registerIpcHandlers, type InvokeEventLike, type IpcMainLike } from './ipc'
import { appOrigin } from './rendererProtocol'
import { createStubDialogs } from './stubDialogs'

type Listener = (event: InvokeEventLike, payload: unknown) => Promise<unknown>

function fakeIpcMain() {
  const handlers = new Map<string, Listener>()
  const ipc: IpcMainLike = {
    handle(channel, listener) {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`)
      handlers.set(channel, listener)
    },
    removeHandler(channel) {
      handlers.delete(channel)
    },
  }
  const invoke = async (channel: string, payload: unknown, frame: InvokeEventLike['senderFrame']) => {
    const handler = handlers.get(channel)
    if (!handler) throw new Error(`No handler registered for '${channel}'`)
    return (await handler({ senderFrame: frame }, payload)) as Result<unknown>
  }
  return { ipc, handlers, invoke }
}

/** An engine that answers openImage like the real one would for a small photo and records every call. */
function recordingEngine() {
  const calls: string[] = []
  const engine = new Proxy({} as EngineApi, {
    get(_target, method: string) {
      return async (...args: unknown[]) => {
        calls.push(method)
        if (method === 'openImage') {
          const info: ImageInfo = {
            imageId: 'sha-photo',
            width: 32,
            height: 24,
            hasAlpha: false,
            format: 'png',
            space: 'srgb',
            bitDepth: 8,
            orientation: 1,
            hasIccProfile: false,
            hasExif: false,
          }
          return info
        }
        throw Object.assign(new Error(`engine.${method} not available in this test (${args.length} args)`), { code: 'E_MODEL_NOT_LOADED' })
      }
    },
  })
  return { engine, calls }
}

const ourPage = { url: `${appOrigin}/index.html`, parent: null }
const subFrame = { url: `${appOrigin}/index.html`, parent: ourPage }
const foreignPage = { url: 'https://example.com/', parent: null }

let dir: string
let engineCalls: string[]
let ipcFake: ReturnType<typeof fakeIpcMain>
let rejected: string[]
let unregister: () => void

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-ipc-'))
  const { engine, calls } = recordingEngine()
  engineCalls = calls
  const app = createApp({
    engine,
    dialogs: createStubDialogs(join(dir, 'dialogs.json')),
    recent: createFileRecentStore(join(dir, 'recent.json')),
    userDataDir: dir,
    bundledModelsDir: join(dir, 'models'),
    app: { name: 'Stylemap Studio', version: '0.0.0-test' },
  })
  ipcFake = fakeIpcMain()
  rejected = []
  unregister = registerIpcHandlers(ipcFake.ipc, {
    channels: Object.keys(channels),
    trusted: () => ({ origin: appOrigin }),
    dispatch: (channel, payload) => dispatch(channel, payload, app.handlers),
    onRejected: (channel) => rejected.push(channel),
  })
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

async function smallPng(): Promise<Uint8Array> {
  return sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .png()
    .toBuffer()
}

describe('IPC registration', () => {
  it('registers exactly the contract channels and removes them again', () => {
    expect([...ipcFake.handlers.keys()].sort()).toEqual(Object.keys(channels).sort())
    unregister()
    expect(ipcFake.handlers.size).toBe(0)
  })

  it('serves a valid call from our page: the image reaches the engine', async () => {
    const result = await ipcFake.invoke('image:import', { name: 'photo.png', bytes: await smallPng() }, ourPage)
    expect(result).toMatchObject({ ok: true, value: { image: { imageId: 'sha-photo', name: 'photo.png', width: 32, height: 24 } } })
    expect(engineCalls).toEqual(['openImage'])
  })

  it('refuses a sub-frame, a foreign page and a destroyed frame with E_IPC_SENDER before any work', async () => {
    const payload = { name: 'photo.png', bytes: await smallPng() }
    for (const frame of [subFrame, foreignPage, null, { ...ourPage, detached: true }]) {
      const result = await ipcFake.invoke('image:import', payload, frame)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.code).toBe('E_IPC_SENDER')
    }
    expect(engineCalls).toEqual([])
    expect(rejected).toEqual(['image:import', 'image:import', 'image:import', 'image:import'])
  })

  it('refuses malformed payloads with E_IPC_PAYLOAD, never reaching the engine', async () => {
    const bad: [string, unknown][] = [
      ['image:import', { name: 'photo.png', bytes: 'not bytes' }],
      ['image:import', { name: 42, bytes: await smallPng() }],
      ['engine:morph', { a: { imageId: 'sha-photo', crop: { x: -1, y: 0, size: 64 } }, b: { imageId: 'sha-photo', crop: { x: 0, y: 0, size: 64 } }, t: 0 }],
      ['engine:morph', { a: { imageId: 'sha-photo', crop: { x: 0, y: 0, size: 0 } }, b: { imageId: 'sha-photo', crop: { x: 0, y: 0, size: 64 } }, t: 0 }],
      ['engine:random', { seed: 1.5 }],
      [
        'engine:generate',
        {
          seq: 1,
          edit: { original: { imageId: 'sha-photo', crop: { x: 0, y: 0, size: 8 } }, layers: [{ mask: { width: 2, height: 2, data: new Uint8Array(3) } }] },
        },
      ],
      ['model:select', { id: '' }],
      ['engine:morph', null],
      ['engine:morph', 'engine:morph'],
    ]
    for (const [channel, payload] of bad) {
      const result = await ipcFake.invoke(channel, payload, ourPage)
      expect(result.ok, `${channel} ${JSON.stringify(payload)?.slice(0, 60)}`).toBe(false)
      if (!result.ok) expect(result.error.code).toBe('E_IPC_PAYLOAD')
    }
    expect(engineCalls).toEqual([])
  })

  it('has no handler at all for a channel outside the contract', async () => {
    await expect(ipcFake.invoke('engine:run-any-file', {}, ourPage)).rejects.toThrow(/No handler registered/)
  })
})

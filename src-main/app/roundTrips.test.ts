// How many requests reach the engine process for what the user does: a warm live preview
// with one reference is one request (it used to be seven: three model look-ups, two encodes,
// an edit and a paste-back, with the generated pixels travelling engine -> main -> engine).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { forkEngine } from '../engine/spawn'
import { testModelDir } from '../engine/testing/models'
import { gradientPng } from '../engine/testing/photos'
import type { ChannelName, EditInput } from '../../src-shared/contract'
import { makeForkedApp, type ForkedTestApp } from './testing/harness'

let forked: ForkedTestApp
/** Every request sent to the engine process, by method. */
const sent: string[] = []
const ok = <T>(name: ChannelName, request: unknown) => forked.ok<T>(name, request)

beforeAll(async () => {
  forked = await makeForkedApp({
    modelsDir: await testModelDir(),
    spawn: () => {
      const channel = forkEngine()
      return {
        ...channel,
        pid: channel.pid,
        send(message) {
          sent.push(message.method)
          channel.send(message)
        },
      }
    },
  })
})
afterAll(async () => {
  await forked.close()
})

describe('round trips to the engine process', () => {
  it('one warm live preview with one reference is one request', async () => {
    const photo = await ok<{ image: { imageId: string } }>('image:import', { name: 'photo.png', bytes: await gradientPng(320, 240, 1) })
    const reference = await ok<{ image: { imageId: string } }>('image:import', { name: 'ref.png', bytes: await gradientPng(200, 200, 4) })
    const mask = (x0: number) => {
      const data = new Uint8Array(160 * 120)
      for (let y = 40; y < 80; y++) for (let x = x0; x < x0 + 40; x++) data[y * 160 + x] = 255
      return { width: 160, height: 120, data }
    }
    const edit = (x0: number): EditInput => ({
      original: { imageId: photo.image.imageId, crop: { x: 40, y: 0, size: 240 } },
      layers: [{ reference: { imageId: reference.image.imageId, crop: { x: 0, y: 0, size: 200 } }, mask: mask(x0), offset: { dx: 12, dy: -6 } }],
    })
    // the first preview loads the model and encodes both crops
    expect((await ok<{ status: string }>('engine:generate', { seq: 1, edit: edit(40), maxSize: 256 })).status).toBe('rendered')
    // the user paints on: the mask changes, caches are warm
    sent.length = 0
    expect((await ok<{ status: string }>('engine:generate', { seq: 2, edit: edit(50), maxSize: 256 })).status).toBe('rendered')
    expect(sent).toEqual(['render'])
  }, 60_000)
})

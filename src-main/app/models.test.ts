// The model list over the real engine: a folder shipped with the app, and imports beside it.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../engine/engine'
import { testModelDir } from '../engine/testing/models'
import { ModelRegistry } from './models'

let work: string
let bundled: string
let engine: Engine

/** A copy of the test model with its model.json changed by `change`. */
async function modelCopy(name: string, change: (manifest: Record<string, unknown>) => void): Promise<string> {
  const dir = join(work, name)
  await cp(await testModelDir(), dir, { recursive: true })
  const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>
  change(manifest)
  await writeFile(join(dir, 'model.json'), JSON.stringify(manifest))
  return dir
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'stylemap-models-'))
  bundled = join(work, 'bundled')
  await modelCopy('bundled/shipped', (m) => void ((m.id = 'shipped'), (m.default = true)))
  engine = new Engine()
})
afterAll(async () => {
  await engine.dispose()
  await rm(work, { recursive: true, force: true })
})

describe('importing a model folder', () => {
  it("refuses a folder that reuses a shipped model's id: the shipped model stays active, nothing is remembered or listed as shipped", async () => {
    const models = new ModelRegistry(engine, bundled, join(work, 'user-a'))
    await models.ensureLoaded()
    const impostor = await modelCopy('impostor', (m) => void ((m.id = 'shipped'), (m.name = 'Not the shipped model')))
    await expect(models.import(impostor)).rejects.toMatchObject({ code: 'E_MODEL_ID_TAKEN', message: expect.stringContaining('shipped') })
    expect((await engine.modelInfo())?.model.dir).toBe(join(bundled, 'shipped'))
    const listed = await models.list()
    expect(listed.map((m) => [m.id, m.name, m.builtIn])).toEqual([['shipped', (await models.listed())[0].manifest.name, true]])
    expect(listed[0].name).not.toBe('Not the shipped model')
    await expect(readFile(join(work, 'user-a', 'models.json'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('imports a folder with an id of its own and lists it after the shipped one', async () => {
    const models = new ModelRegistry(engine, bundled, join(work, 'user-b'))
    const own = await modelCopy('own', (m) => void ((m.id = 'my-model'), (m.default = false)))
    const info = await models.import(own)
    expect([info.id, info.builtIn, info.active]).toEqual(['my-model', false, true])
    expect((await models.list()).map((m) => [m.id, m.builtIn])).toEqual([
      ['shipped', true],
      ['my-model', false],
    ])
  })
})

describe('face framing in the model list', () => {
  it('lists whether a model frames faces and where it wants the landmarks; a malformed alignment lists the model without it', async () => {
    const template: [number, number][] = [
      [0.3, 0.3],
      [0.7, 0.3],
      [0.5, 0.5],
      [0.35, 0.7],
      [0.65, 0.7],
    ]
    const root = join(work, 'aligned-bundle')
    await modelCopy('aligned-bundle/faces', (m) => void ((m.id = 'faces'), (m.default = true), (m.alignment = { landmarks: template, source: 'test' })))
    await modelCopy('aligned-bundle/scenes', (m) => void ((m.id = 'scenes'), (m.default = false), delete m.alignment))
    await modelCopy('aligned-bundle/broken', (m) => void ((m.id = 'broken'), (m.default = false), (m.alignment = { landmarks: [[0.5, 0.5]] })))
    const models = new ModelRegistry(engine, root, join(work, 'user-c'))
    const listed = Object.fromEntries((await models.list()).map((m) => [m.id, m]))
    expect([listed.faces.alignsFaces, listed.faces.faceLandmarks]).toEqual([true, template])
    expect([listed.scenes.alignsFaces, listed.scenes.faceLandmarks]).toEqual([false, undefined])
    expect([listed.broken.alignsFaces, listed.broken.faceLandmarks]).toEqual([false, undefined])
  })
})

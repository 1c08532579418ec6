// upgradeFolder on a folder imported the way the app imported checkpoints on 2026-12-04: the
// templates of that day (testing/oldTemplates.ts) filled from a torch-made checkpoint by
// today's importer. The upgraded folder must be today's template, load in the
// engine and render what the old one rendered; folders that cannot be upgraded fail with a code,
// and no failure changes the folder.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cp, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RawImage } from '../engine/api.js'
import { ModelRegistry } from '../app/models.js'
import { Engine } from '../engine/engine.js'
import { defaultModelDir, repoRoot, testModelDir } from '../engine/testing/models.js'
import { gradientPng, rectMask } from '../engine/testing/photos.js'
import { importCheckpoint } from './importCheckpoint.js'
import { defaultTemplatesDir } from './templates.js'
import { python, torchUnavailable } from './testing/fixtures.js'
import { templatesOf20261204 } from './testing/oldTemplates.js'
import { folderVersion, upgradeFolder } from './upgradeFolder.js'
import { failure } from './testing/refusal.js'

const run = promisify(execFile)
const skip = await torchUnavailable()
let work: string
/** The 2026-12-04 templates. */
let oldTemplates: string
/** A folder imported with them, never changed: each test copies it. */
let imported: string

/** sha256 of every file in `dir`, by name: what a failed upgrade must leave as it was. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of (await readdir(dir)).sort()) out[name] = createHash('sha256').update(await readFile(join(dir, name))).digest('hex')
  return out
}

async function copyOf(name: string): Promise<string> {
  const dir = join(work, name)
  await cp(imported, dir, { recursive: true })
  return dir
}

/** Staging folders an upgrade could leave beside the folder. */
async function leftovers(): Promise<string[]> {
  return (await readdir(work)).filter((n) => n.startsWith('.upgrade-'))
}

/** The upgrade `start` runs fails; every file of `dir` is as it was and nothing is left beside it. Its error. */
async function failsLeaving(dir: string, start: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  const before = await snapshot(dir)
  const e = await failure(start())
  expect(await snapshot(dir)).toEqual(before)
  expect(await leftovers()).toEqual([])
  return e
}

/** The generated crop of one W+ edit (a photo, a reference, a mask) with the model in `dir`. */
async function editWith(dir: string): Promise<RawImage> {
  const engine = new Engine()
  try {
    await engine.loadModel(dir, { threads: 1 })
    const a = await engine.openImage({ bytes: await gradientPng(96, 96, 1) })
    const b = await engine.openImage({ bytes: await gradientPng(96, 96, 7) })
    const edit = { original: { imageId: a.imageId }, layers: [{ reference: { imageId: b.imageId }, mask: rectMask(96, 96, 20, 30, 40, 30), strength: 0.8 }], space: 'wplus' as const }
    return (await engine.render({ edit, output: { kind: 'generated' } })).generated
  } finally {
    await engine.dispose()
  }
}

beforeAll(async () => {
  if (skip) return
  work = await mkdtemp(join(os.tmpdir(), 'stylemap-upgrade-'))
  oldTemplates = await templatesOf20261204()
  const checkpoint = join(work, 'faces_64_small.pt')
  await run(python, ['-m', 'smgan.fixtures', 'checkpoint', '--size', '64', '--small-generator', '--out', checkpoint], { cwd: join(repoRoot, 'models'), timeout: 600_000 })
  imported = join(work, 'imported')
  await importCheckpoint(checkpoint, imported, { templatesDir: oldTemplates, name: 'Faces of 2026-12-04', license: 'test licence' })
}, 600_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe.skipIf(skip)('upgradeFolder', () => {
  it('brings a folder imported on 2026-12-04 to today\'s template; it renders what it rendered before', async () => {
    const dir = await copyOf('upgraded')
    // a file of the user's own in the folder
    await writeFile(join(dir, 'NOTES.txt'), 'where these weights came from')
    const before = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    const template = JSON.parse(await readFile(join(defaultTemplatesDir, '64-small-cm2', 'template.json'), 'utf8'))
    // the old graphs are not today's
    expect(Object.keys(template.files).some((k) => before.sha256[template.files[k]] !== template.sha256[template.files[k]])).toBe(true)
    expect(await folderVersion(dir)).toEqual({ state: 'upgradable', template: '64-small-cm2' })
    const old = await editWith(dir)
    const stages: string[] = []
    const result = await upgradeFolder(dir, { onProgress: (_f, stage) => stages.push(stage) })
    expect(result).toMatchObject({ dir, template: '64-small-cm2', upgraded: true })
    expect(result.maxRelativeError).toBeLessThan(1e-4)
    expect([...new Set(stages)]).toEqual(['hash', 'weights', 'verify', 'move', 'done'])
    expect(await folderVersion(dir)).toEqual({ state: 'current', template: '64-small-cm2' })
    expect(await leftovers()).toEqual([])

    const after = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    // what the user or the import gave stays
    for (const field of ['id', 'name', 'license', 'source', 'domain', 'default']) expect(after[field]).toEqual(before[field])
    expect(await readFile(join(dir, 'NOTES.txt'), 'utf8')).toBe('where these weights came from')
    expect((await readdir(dir)).sort()).toEqual(['NOTES.txt', 'model.json', ...Object.keys(after.sha256)].sort())
    // the graphs are today's, byte for byte, and every file model.json names is what it says
    for (const name of Object.values(template.files) as string[]) {
      expect(await readFile(join(dir, name))).toEqual(await readFile(join(defaultTemplatesDir, '64-small-cm2', name)))
    }
    const files = await snapshot(dir)
    for (const [name, digest] of Object.entries(after.sha256)) expect(files[name]).toBe(digest)
    // the data files hold today's layout: their size is the template's
    for (const [name, entry] of Object.entries(template.weights) as [string, { size: number }][]) expect((await readFile(join(dir, name))).length).toBe(entry.size)

    // the engine loads it (checking every hash) and the same edit comes out as before
    const now = await editWith(dir)
    expect([now.width, now.height]).toEqual([old.width, old.height])
    let worst = 0
    for (let k = 0; k < old.data.length; k++) worst = Math.max(worst, Math.abs(old.data[k] - now.data[k]))
    expect(worst).toBeLessThanOrEqual(1)

    // a second upgrade finds it current and writes nothing
    expect(await upgradeFolder(dir)).toMatchObject({ upgraded: false })
    expect(await snapshot(dir)).toEqual(files)
  }, 300_000)

  it('refuses a damaged data file and leaves the folder as it was', async () => {
    const dir = await copyOf('damaged')
    const file = await open(join(dir, 'generator.weights'), 'r+')
    await file.write(Buffer.from([1, 2, 3, 4]), 0, 4, 8192)
    await file.close()
    const e = await failsLeaving(dir, () => upgradeFolder(dir))
    expect(e.code).toBe('E_UPGRADE_DAMAGED')
    expect(e.message).toContain('generator.weights')
  }, 120_000)

  it('checks the new folder against the old one: weights moved to the wrong place fail it, and the folder stays as it was', async () => {
    const dir = await copyOf('mismoved')
    // today's templates with a history that swaps two tensors of one size in the old layout
    const templates = join(work, 'swapped-templates')
    await cp(defaultTemplatesDir, templates, { recursive: true })
    const historyPath = join(templates, '64-small-cm2', 'history.json')
    const history = JSON.parse(await readFile(historyPath, 'utf8'))
    const old = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    const version = history.versions.find((v: { sha256: Record<string, string> }) => Object.entries(v.sha256).every(([f, d]) => old.sha256[f] === d))
    const tensors: [string, number, number][] = history.layouts[version.layout]['generator.weights'].tensors
    const convs = tensors.filter(([key]) => /decoder\.convs\.\d+\.conv2\.conv\.weight$/.test(key))
    const [a, b] = convs.filter((t) => t[2] === convs[convs.length - 1][2]).slice(-2)
    expect(a && b).toBeTruthy()
    ;[a[1], b[1]] = [b[1], a[1]]
    await writeFile(historyPath, JSON.stringify(history))
    const e = await failsLeaving(dir, () => upgradeFolder(dir, { templatesDir: templates }))
    expect(e.code).toBe('E_UPGRADE_VERIFY')
    expect(e.message).toContain('differ from the folder it replaces')
  }, 300_000)

  it('stops when canceled, leaving the folder as it was', async () => {
    const dir = await copyOf('canceled')
    const controller = new AbortController()
    const e = await failsLeaving(dir, () => upgradeFolder(dir, { signal: controller.signal, onProgress: (_f, stage) => stage === 'weights' && controller.abort() }))
    expect(e.code).toBe('E_UPGRADE_CANCELED')
  }, 120_000)

  it('says why a folder cannot be upgraded: the first templates\' folders, and folders no template made', async () => {
    const dir = await copyOf('early')
    // a folder from 2026-12-02, whose graphs read some weights transformed: its model.json names those graphs
    const history = JSON.parse(await readFile(join(defaultTemplatesDir, '64-small-cm2', 'history.json'), 'utf8'))
    const first = history.versions.find((v: { layout: number | null }) => v.layout === null)
    const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    manifest.files = Object.fromEntries(Object.keys(first.sha256).map((f) => [f.replace(/\.onnx$/, ''), f]))
    manifest.sha256 = { ...first.sha256, 'generator.weights': manifest.sha256['generator.weights'], 'encoder.weights': manifest.sha256['encoder.weights'] }
    await writeFile(join(dir, 'model.json'), JSON.stringify(manifest))
    expect(await folderVersion(dir)).toEqual({ state: 'early', template: '64-small-cm2' })
    expect(await failsLeaving(dir, () => upgradeFolder(dir))).toMatchObject({ code: 'E_UPGRADE_EARLY' })

    // the bundled model was exported by Python: its graphs are no template's
    expect(await folderVersion(defaultModelDir)).toMatchObject({ state: 'unknown' })
    expect((await failure(upgradeFolder(defaultModelDir))).code).toBe('E_UPGRADE_UNKNOWN')
    // a folder without model.json
    const empty = join(work, 'empty')
    await mkdir(empty, { recursive: true })
    expect(await folderVersion(empty)).toMatchObject({ state: 'unknown' })
    expect((await failure(upgradeFolder(empty))).code).toBe('E_UPGRADE_UNKNOWN')
  }, 120_000)

  it("the app's model list offers the update, runs one at a time, and lists the model as up to date after", async () => {
    const dir = await copyOf('listed')
    const userData = join(work, 'user-data')
    await mkdir(userData, { recursive: true })
    await writeFile(join(userData, 'models.json'), JSON.stringify({ imported: [dir] }))
    const engine = new Engine()
    try {
      const models = new ModelRegistry(engine, await testModelDir(), userData)
      const listed = async () => (await models.list()).find((m) => m.name === 'Faces of 2026-12-04')
      expect((await listed())?.upgrade).toBe('available')
      // the shipped model is the app's own
      expect((await models.list()).filter((m) => m.upgrade)).toHaveLength(1)
      const id = (await listed())!.id
      const fractions: number[] = []
      // two at once (a double click that got through): one runs, the other is refused, whichever comes first
      const results = await Promise.allSettled([models.upgrade(id, (f) => fractions.push(f)), models.upgrade(id, (f) => fractions.push(f))])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'E_DOWNLOAD_BUSY' } })
      expect(fractions.at(-1)).toBe(1)
      expect((await listed())?.upgrade).toBeUndefined()
      expect(await folderVersion(dir)).toMatchObject({ state: 'current' })
    } finally {
      await engine.dispose()
    }
  }, 300_000)

  it("with the templates' history.json damaged, the app's model list still lists the folder, offers no update, and an update asked for says the templates are damaged", async () => {
    const dir = await copyOf('listed-damaged-history')
    const templates = join(work, 'templates-damaged-history')
    await cp(defaultTemplatesDir, templates, { recursive: true })
    const userData = join(work, 'user-data-damaged-history')
    await mkdir(userData, { recursive: true })
    await writeFile(join(userData, 'models.json'), JSON.stringify({ imported: [dir] }))
    const engine = new Engine()
    try {
      const models = new ModelRegistry(engine, await testModelDir(), userData, templates)
      const listed = async () => (await models.list()).find((m) => m.name === 'Faces of 2026-12-04')
      // intact, the update is offered
      expect((await listed())?.upgrade).toBe('available')
      await writeFile(join(templates, '64-small-cm2', 'history.json'), '{"layouts": [')
      const entry = await listed()
      expect(entry).toBeDefined()
      expect(entry!.upgrade).toBeUndefined()
      const before = await snapshot(dir)
      expect(await failure(models.upgrade(entry!.id))).toMatchObject({ code: 'E_CONVERT_TEMPLATE', message: expect.stringContaining('history.json is not valid JSON') })
      expect(await snapshot(dir)).toEqual(before)
    } finally {
      await engine.dispose()
    }
  }, 300_000)

  it('runs from the command line: --check says where a folder stands, then upgrade brings it up', async () => {
    const dir = await copyOf('cli')
    const cli = (...args: string[]) => run(process.execPath, [join(repoRoot, 'bin', 'stylemap.mjs'), ...args], { cwd: repoRoot, timeout: 300_000 })
    const checked = JSON.parse((await cli('upgrade', '--model', dir, '--check')).stdout)
    expect(checked).toEqual({ dir, state: 'upgradable', template: '64-small-cm2' })
    const done = JSON.parse((await cli('upgrade', '--model', dir)).stdout)
    expect(done).toMatchObject({ dir, template: '64-small-cm2', upgraded: true })
    expect(JSON.parse((await cli('upgrade', '--model', dir, '--check')).stdout).state).toBe('current')
    const refused = await failure(cli('upgrade', '--model', defaultModelDir))
    expect((refused as unknown as { code: number; stderr: string }).code).toBe(11)
    expect((refused as unknown as { stderr: string }).stderr).toMatch(/^stylemap: E_UPGRADE_UNKNOWN: /)
  }, 300_000)
})

// importCheckpoint on checkpoints made by torch (random weights, released layout): the folder
// it writes loads in the engine and is checked file by file, a damaged data file is caught,
// and bad input fails with a code and leaves nothing behind. Its outputs against the Python
// converter's are models/importParity.test.ts's.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, open, readFile, readdir, rm, truncate, writeFile, copyFile, stat } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Engine } from '../engine/engine.js'
import { repoRoot } from '../engine/testing/models.js'
import { importCheckpoint } from './importCheckpoint.js'
import { python, torchUnavailable } from './testing/fixtures.js'

const run = promisify(execFile)
const skip = await torchUnavailable()
let work: string
let checkpoint: string

async function fixture(module: string, ...args: string[]): Promise<void> {
  await run(python, ['-m', module, ...args], { cwd: join(repoRoot, 'models'), maxBuffer: 1 << 24, timeout: 600_000 })
}

/** Names in `dir` a failed import could leave (staging folders). */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('.convert-'))
}

async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (e) {
    return e as { code: string; message: string }
  }
  throw new Error('the import did not fail')
}

beforeAll(async () => {
  if (skip) return
  work = await mkdtemp(join(os.tmpdir(), 'stylemap-import-'))
  // a face data set's name: the model gets the FFHQ-style alignment
  checkpoint = join(work, 'celeba_hq_64_small.pt')
  await fixture('smgan.release_fixture', '--size', '64', '--small-generator', '--layout', 'zip', '--out', checkpoint)
}, 600_000)

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe.skipIf(skip)('importCheckpoint', () => {
  it('writes a folder the engine loads, with every file hashed and the converter metadata', async () => {
    const out = join(work, 'models', 'faces')
    const progress: [number, string][] = []
    const result = await importCheckpoint(checkpoint, out, { id: 'faces-64', default: true, onProgress: (f, s) => progress.push([f, s]) })
    expect(result.dir).toBe(out)
    const manifest = JSON.parse(await readFile(join(out, 'model.json'), 'utf8'))
    expect(manifest).toEqual(result.manifest)
    expect(manifest).toMatchObject({
      format: 'stylemap-onnx/1',
      id: 'faces-64',
      name: 'celeba_hq_64_small',
      resolution: 64,
      stylemap: { channels: 64, size: 8 },
      domain: 'face',
      source: 'converted from celeba_hq_64_small.pt',
      license: expect.stringContaining('CC BY-NC 4.0'),
      default: true,
      architecture: { size: 64, small_generator: true, channel_multiplier: 2, channel_cap: null },
    })
    expect(manifest.alignment.landmarks).toHaveLength(5)
    // the same key order as export.py writes
    expect(Object.keys(manifest)).toEqual(['format', 'id', 'name', 'resolution', 'stylemap', 'styles', 'mapping', 'domain', 'files', 'source', 'license', 'architecture', 'sha256', 'default', 'alignment'])
    const files = (await readdir(out)).filter((f) => f !== 'model.json').sort()
    expect(Object.keys(manifest.sha256).sort()).toEqual(files)
    expect(files).toEqual(expect.arrayContaining(['generator.weights', 'encoder.weights']))
    // the weights are outside the graphs
    expect((await stat(join(out, 'decoder.onnx'))).size).toBeLessThan(1 << 20)
    expect(result.check?.maxRelativeError).toBeLessThanOrEqual(1e-4)
    expect(Object.keys(result.seconds)).toEqual(expect.arrayContaining(['read', 'weights', 'verify', 'total']))
    const fractions = progress.map(([f]) => f)
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b))
    expect(progress.at(-1)).toEqual([1, 'done'])
    expect(await leftovers(join(work, 'models'))).toEqual([])

    const engine = new Engine()
    try {
      const loaded = await engine.loadModel(out, { verify: true, provider: 'cpu' })
      expect(loaded.model.features).toEqual({ wplus: true, random: true })
    } finally {
      await engine.dispose()
    }
  }, 300_000)

  it('a damaged weights file fails the engine with E_MODEL_HASH', async () => {
    const out = join(work, 'damaged')
    await importCheckpoint(checkpoint, out, { alignment: 'none' })
    const file = await open(join(out, 'generator.weights'), 'r+')
    const byte = Buffer.alloc(1)
    await file.read(byte, 0, 1, 5000)
    byte[0] ^= 0x40
    await file.write(byte, 0, 1, 5000)
    await file.close()
    const engine = new Engine()
    try {
      const err = await failure(engine.loadModel(out, { provider: 'cpu' }))
      expect(err.code).toBe('E_MODEL_HASH')
      expect(err.message).toContain('generator.weights')
    } finally {
      await engine.dispose()
    }
  }, 300_000)

  it('replaces a folder only with force, and never a file', async () => {
    const out = join(work, 'existing')
    await mkdir(out)
    await writeFile(join(out, 'notes.txt'), 'keep\n')
    expect((await failure(importCheckpoint(checkpoint, out))).code).toBe('E_CONVERT_OUTPUT_EXISTS')
    expect(await readFile(join(out, 'notes.txt'), 'utf8')).toBe('keep\n')
    const file = join(work, 'a-file')
    await writeFile(file, 'keep\n')
    expect((await failure(importCheckpoint(checkpoint, file, { force: true }))).code).toBe('E_CONVERT_OUTPUT_NOT_DIR')
    expect(await readFile(file, 'utf8')).toBe('keep\n')
    await importCheckpoint(checkpoint, out, { force: true, alignment: 'none' })
    expect(existsSync(join(out, 'notes.txt'))).toBe(false)
    expect(existsSync(join(out, 'model.json'))).toBe(true)
    expect(await leftovers(work)).toEqual([])
  }, 300_000)

  describe('bad input: a code and no folder', () => {
    const cases: { name: string; make: (file: string) => Promise<void>; code: string }[] = [
      { name: 'missing file', make: async () => {}, code: 'E_CONVERT_NOT_FOUND' },
      { name: 'an HTML page', make: (f) => writeFile(f, '<!DOCTYPE html><html><body>Google Drive</body></html>\n'), code: 'E_CONVERT_NOT_CHECKPOINT' },
      {
        name: 'truncated (zip)',
        make: async (f) => {
          await copyFile(checkpoint, f)
          await truncate(f, Math.floor((await stat(f)).size / 2))
        },
        code: 'E_CHECKPOINT_TRUNCATED',
      },
      {
        name: 'truncated (legacy)',
        make: async (f) => {
          await fixture('smgan.release_fixture', '--size', '64', '--small-generator', '--layout', 'legacy', '--lean', '--out', f)
          await truncate(f, Math.floor((await stat(f)).size * 0.9))
        },
        code: 'E_CHECKPOINT_TRUNCATED',
      },
      { name: 'e_ema missing', make: (f) => fixture('smgan.fixtures', 'checkpoint', '--break', 'missing-e-ema', '--out', f), code: 'E_CONVERT_KEYS' },
      { name: 'a g_ema key missing', make: (f) => fixture('smgan.fixtures', 'checkpoint', '--size', '64', '--small-generator', '--break', 'missing-key', '--out', f), code: 'E_CONVERT_KEYS' },
      { name: 'pickled code', make: (f) => fixture('smgan.fixtures', 'checkpoint', '--break', 'pickled-code', '--out', f), code: 'E_CONVERT_UNSAFE' },
      { name: 'unsupported normalize_mode', make: (f) => fixture('smgan.fixtures', 'checkpoint', '--break', 'normalize', '--out', f), code: 'E_CONVERT_NORMALIZE' },
      // 64 px with the full-size generator and channel_multiplier 1: no template
      {
        name: 'an architecture without a template',
        make: (f) => fixture('smgan.release_fixture', '--size', '64', '--channel-multiplier', '1', '--lean', '--out', f),
        code: 'E_CONVERT_ARCHITECTURE',
      },
    ]
    it.each(cases)('$name -> $code', async ({ name, make, code }) => {
      const slug = name.replace(/\W+/g, '-')
      const file = join(work, `bad-${slug}.pt`)
      const parent = join(work, `bad-${slug}`)
      await mkdir(parent)
      await make(file)
      const err = await failure(importCheckpoint(file, join(parent, 'model')))
      expect(err.code, err.message).toBe(code)
      if (code === 'E_CONVERT_ARCHITECTURE') expect(err.message).toContain('--via python')
      expect(await readdir(parent)).toEqual([])
      expect(existsSync(`${file}.marker`), 'a pickled call ran').toBe(false)
    }, 300_000)
  })
})

// importCheckpoint on checkpoints made by torch (random weights, released layout): the folder
// it writes loads in the engine and is checked file by file, a damaged data file is caught
// (by the engine later, and by the import's own check in its check process), bad input fails
// with a code and a cancel stops it, and neither leaves anything behind. Its outputs against the Python
// converter's are models/importParity.test.ts's.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
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
import { forkVerify, type SpawnVerify, type VerifyChild } from './verifyProcess.js'
import { failure } from './testing/refusal.js'

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

/** Whether process `pid` still runs. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
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
    expect(Object.keys(manifest)).toEqual(['format', 'id', 'name', 'resolution', 'stylemap', 'styles', 'modulations', 'preview', 'mapping', 'domain', 'files', 'source', 'license', 'architecture', 'sha256', 'default', 'alignment'])
    const files = (await readdir(out)).filter((f) => f !== 'model.json').sort()
    expect(Object.keys(manifest.sha256).sort()).toEqual(files)
    expect(files).toEqual(expect.arrayContaining(['generator.weights', 'encoder.weights']))
    // the weights are outside the graphs
    expect((await stat(join(out, 'decoder.onnx'))).size).toBeLessThan(1 << 20)
    expect(result.check?.maxRelativeError).toBeLessThanOrEqual(1e-4)
    expect(Object.keys(result.seconds)).toEqual(expect.arrayContaining(['read', 'weights', 'verify', 'check', 'total']))
    // the graphs were loaded by the check process, never by this one
    expect(result.peakRssMiB?.verify).toBeGreaterThan(0)
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
      // a skip's blur the exported graphs do not read (a Resize builds the architecture's in)
      { name: 'another blur in a skip', make: (f) => fixture('smgan.fixtures', 'checkpoint', '--size', '64', '--small-generator', '--break', 'skip-blur', '--out', f), code: 'E_CONVERT_ARCHITECTURE' },
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
  describe('the check process', () => {
    /** forkVerify, with `before` run on the staging folder before the check process sees it; the pids it started. */
    function spawning(before?: (dir: string) => Promise<void>): { spawn: SpawnVerify; pids: number[] } {
      const pids: number[] = []
      const spawn: SpawnVerify = () => {
        const child = forkVerify()
        if (child.pid) pids.push(child.pid)
        const wrapped: VerifyChild = {
          pid: child.pid,
          send: (message) => void (before ?? (async () => undefined))(message.dir).then(() => child.send(message)),
          onMessage: (listener) => child.onMessage(listener),
          onExit: (listener) => child.onExit(listener),
          kill: () => child.kill(),
        }
        return wrapped
      }
      return { spawn, pids }
    }

    /** Rewrites generator.weights with `damage` and model.json's hash of it, so the engine's hash check passes. */
    const damageWeights = (damage: (bytes: Buffer) => Buffer) => async (dir: string) => {
      const file = join(dir, 'generator.weights')
      const bytes = damage(await readFile(file))
      await writeFile(file, bytes)
      const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
      manifest.sha256['generator.weights'] = createHash('sha256').update(bytes).digest('hex')
      await writeFile(join(dir, 'model.json'), JSON.stringify(manifest))
    }

    it('runs in a process of its own, which has ended when the import resolves', async () => {
      const { spawn, pids } = spawning()
      const parent = join(work, 'own-process')
      const result = await importCheckpoint(checkpoint, join(parent, 'model'), { alignment: 'none', spawnVerify: spawn })
      expect(pids).toHaveLength(1)
      expect(pids[0]).not.toBe(process.pid)
      expect(alive(pids[0]!)).toBe(false)
      expect(result.peakRssMiB).toMatchObject({ weights: expect.any(Number), total: expect.any(Number), verify: expect.any(Number) })
      expect(await readdir(parent)).toEqual(['model'])
    }, 300_000)

    it("weights that load but compute NaN fail the graphs' agreement (features(modulation(resizer)) = synthesis(resizer)) with E_CONVERT_VERIFY; no folder", async () => {
      const nan = Buffer.from(new Float32Array([Number.NaN]).buffer)
      const { spawn } = spawning(damageWeights((bytes) => Buffer.alloc(bytes.length, nan)))
      const parent = join(work, 'nan-weights')
      await mkdir(parent)
      const err = await failure(importCheckpoint(checkpoint, join(parent, 'model'), { alignment: 'none', spawnVerify: spawn }))
      expect(err.code).toBe('E_CONVERT_VERIFY')
      expect(err.message).toMatch(/features\(modulation\(resizer\)\) and synthesis\(resizer\) disagree/)
      expect(await readdir(parent)).toEqual([])
    }, 300_000)

    it('a cut weights file does not load: E_CONVERT_VERIFY; no folder', async () => {
      const { spawn } = spawning(damageWeights((bytes) => bytes.subarray(0, bytes.length >> 1)))
      const parent = join(work, 'cut-weights')
      await mkdir(parent)
      const err = await failure(importCheckpoint(checkpoint, join(parent, 'model'), { alignment: 'none', spawnVerify: spawn }))
      expect(err.code).toBe('E_CONVERT_VERIFY')
      expect(err.message).toContain('does not load')
      expect(await readdir(parent)).toEqual([])
    }, 300_000)
  })

  describe('cancel (AbortSignal)', () => {
    it.each(['read', 'weights', 'verify'])('stopped while %s: E_CONVERT_CANCELED, no folder, no check process left', async (stage) => {
      const parent = join(work, `cancel-${stage}`)
      await mkdir(parent)
      const controller = new AbortController()
      const pids: number[] = []
      const spawnVerify: SpawnVerify = () => {
        const child = forkVerify()
        if (child.pid) pids.push(child.pid)
        return child
      }
      const stages: string[] = []
      const err = await failure(
        importCheckpoint(checkpoint, join(parent, 'model'), {
          alignment: 'none',
          signal: controller.signal,
          spawnVerify,
          onProgress: (_fraction, name) => {
            stages.push(name)
            // in the verify stage: once the check process has started
            if (name === stage) setTimeout(() => controller.abort(), stage === 'verify' ? 500 : 0)
          },
        }),
      )
      expect(err.code).toBe('E_CONVERT_CANCELED')
      expect(stages).toContain(stage)
      expect(stages).not.toContain('move')
      expect(await readdir(parent)).toEqual([])
      expect(pids).toHaveLength(stage === 'verify' ? 1 : 0)
      for (const pid of pids) expect(alive(pid)).toBe(false)
    }, 300_000)

    it('an aborted signal stops it before it reads anything', async () => {
      const parent = join(work, 'cancel-before')
      await mkdir(parent)
      const err = await failure(importCheckpoint(checkpoint, join(parent, 'model'), { signal: AbortSignal.abort() }))
      expect(err.code).toBe('E_CONVERT_CANCELED')
      expect(await readdir(parent)).toEqual([])
    })
  })
})

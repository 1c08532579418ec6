// The converter, driven the way a user runs it (`stylemap convert`, the TypeScript path: graph
// templates filled from the checkpoint, no Python), on checkpoints in the released layout that
// these tests create with random weights. The ONNX outputs are then compared with PyTorch's
// here, independently of the converter's own check (decoder = synthesis(resizer)); the
// Python path (--via python) against it is models/importParity.test.ts.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relativeError } from '../src-main/engine/compare.js'
import { expectCleanFailure, runCli } from '../src-main/cli/testing/runCli.js'

const run = promisify(execFile)
const repo = path.resolve(import.meta.dirname, '..')
const python = '/usr/bin/python3'
let work: string

const cli = (...args: string[]) => runCli(args)

async function fixture(...args: string[]): Promise<void> {
  await run(python, ['-m', 'smgan.fixtures', ...args], { cwd: path.join(repo, 'models'), maxBuffer: 1 << 24 })
}


async function tensorFrom(dir: string, t: { file: string; shape: number[] }): Promise<ort.Tensor> {
  const buf = await readFile(path.join(dir, 'parity', t.file))
  return new ort.Tensor('float32', new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)), t.shape)
}

async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('.convert-'))
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'stylemap-convert-'))
})

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

// the released face checkpoints are named after their data set (celeba_hq_...), which tells
// the converter how the model frames faces; other names get no alignment
const configs = [
  { name: 'released architecture, size 128, channel_multiplier 2', args: ['--size', '128', '--channel-multiplier', '2'], resolution: 128, file: 'celeba_hq_128_8x8.pt', aligned: true },
  { name: 'size 64 with the small generator', args: ['--size', '64', '--small-generator'], resolution: 64, file: 'ck-64.pt', aligned: false },
]

describe.each(configs)('stylemap convert: $name', ({ args, resolution, file, aligned }) => {
  let ckpt: string
  let out: string

  beforeAll(async () => {
    ckpt = path.join(work, file)
    out = path.join(work, `model-${resolution}`)
    await fixture('checkpoint', ...args, '--out', ckpt)
  }, 600_000)

  it('writes a model folder whose ONNX output matches PyTorch for batch 1 and 3', async () => {
    const t0 = Date.now()
    const result = await cli('convert', '--checkpoint', ckpt, '--out', out)
    expect(result.stderr).not.toContain('Traceback')
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}')
    expect(summary.via).toBe('typescript')
    expect(summary.maxRelativeError).toBeLessThanOrEqual(1e-3)
    console.log(`convert ${resolution}px: ${((Date.now() - t0) / 1000).toFixed(1)} s, converter parity ${summary.maxRelativeError}`)

    const manifest = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'))
    expect(manifest.format).toBe('stylemap-onnx/1')
    expect(manifest.resolution).toBe(resolution)
    expect(manifest.stylemap).toEqual({ channels: 64, size: 8 })
    if (aligned) {
      // FFHQ-style framing: five points, eyes level and above the nose, the nose above the mouth
      const [leftEye, rightEye, nose, leftMouth, rightMouth] = manifest.alignment.landmarks as [number, number][]
      expect(manifest.alignment.landmarks).toHaveLength(5)
      expect(leftEye[1]).toBeCloseTo(rightEye[1], 2)
      expect(leftEye[0]).toBeLessThan(0.5)
      expect(rightEye[0]).toBeGreaterThan(0.5)
      expect(nose[1]).toBeGreaterThan(leftEye[1])
      expect(leftMouth[1]).toBeGreaterThan(nose[1])
      expect(rightMouth[0]).toBeGreaterThan(leftMouth[0])
      expect(manifest.alignment.source).toMatch(/FFHQ/)
    } else expect(manifest.alignment).toBeUndefined()
    for (const [file, hash] of Object.entries(manifest.sha256 as Record<string, string>)) {
      const digest = createHash('sha256').update(await readFile(path.join(out, file))).digest('hex')
      expect(digest, file).toBe(hash)
    }
    expect(existsSync(path.join(out, 'parity'))).toBe(false)
    expect(await leftovers(work)).toEqual([])

    // independent check: PyTorch outputs for fresh random inputs vs onnxruntime-node
    const ref = path.join(work, `ref-${resolution}`)
    await fixture('reference', '--checkpoint', ckpt, '--out', ref, '--batch', '1', '--batch', '3')
    const { cases } = JSON.parse(await readFile(path.join(ref, 'parity.json'), 'utf8'))
    const sessions: Record<string, ort.InferenceSession> = {}
    let worst = 0
    const batches = new Set<number>()
    for (const c of cases) {
      sessions[c.graph] ??= await ort.InferenceSession.create(path.join(out, manifest.files[c.graph]))
      const feeds: Record<string, ort.Tensor> = {}
      for (const [name, t] of Object.entries(c.inputs)) feeds[name] = await tensorFrom(ref, t as never)
      const got = await sessions[c.graph].run(feeds)
      for (const [name, t] of Object.entries(c.outputs)) {
        const expected = (await tensorFrom(ref, t as never)).data as Float32Array
        const err = relativeError(got[name].data as Float32Array, expected)
        expect(err, `${c.graph}/${name} batch ${c.batch}`).toBeLessThanOrEqual(1e-3)
        worst = Math.max(worst, err)
      }
      batches.add(c.batch)
    }
    for (const s of Object.values(sessions)) await s.release()
    expect([...batches].sort()).toEqual([1, 3])
    console.log(`parity ${resolution}px (onnxruntime-node vs torch, batch 1 and 3): max relative error ${worst.toExponential(2)}`)
  }, 900_000)
})

describe('stylemap convert: bad checkpoints get one clear line and leave nothing behind', () => {
  const cases: { name: string; make: (file: string) => Promise<void>; code: string }[] = [
    { name: 'missing file', make: async () => {}, code: 'E_CONVERT_NOT_FOUND' },
    { name: 'not a torch checkpoint', make: (f) => writeFile(f, Buffer.from('this is a text file, not a checkpoint\n')), code: 'E_CONVERT_NOT_CHECKPOINT' },
    { name: 'empty file', make: (f) => writeFile(f, Buffer.alloc(0)), code: 'E_CONVERT_NOT_CHECKPOINT' },
    { name: 'not a dict', make: (f) => fixture('checkpoint', '--break', 'not-a-dict', '--out', f), code: 'E_CONVERT_NOT_CHECKPOINT' },
    { name: 'e_ema missing', make: (f) => fixture('checkpoint', '--break', 'missing-e-ema', '--out', f), code: 'E_CONVERT_KEYS' },
    // an architecture with a graph template, so the state dict is what fails
    { name: 'a g_ema key missing', make: (f) => fixture('checkpoint', '--size', '64', '--small-generator', '--break', 'missing-key', '--out', f), code: 'E_CONVERT_KEYS' },
    { name: 'unsupported normalize_mode', make: (f) => fixture('checkpoint', '--break', 'normalize', '--out', f), code: 'E_CONVERT_NORMALIZE' },
    // its train_args unpickles as os.makedirs(FILE.marker): refused, and the call never runs
    { name: 'pickled code', make: (f) => fixture('checkpoint', '--break', 'pickled-code', '--out', f), code: 'E_CONVERT_UNSAFE' },
  ]
  it.each(cases)('$name -> $code', async ({ name, make, code }) => {
    const file = path.join(work, `bad-${name.replace(/\W+/g, '-')}.pt`)
    const out = path.join(work, `bad-out-${name.replace(/\W+/g, '-')}`)
    await make(file)
    const result = await cli('convert', '--checkpoint', file, '--out', out)
    expectCleanFailure(result, code, name)
    expect(existsSync(out)).toBe(false)
    expect(existsSync(`${file}.marker`), 'a pickled call ran').toBe(false)
    expect(await leftovers(work)).toEqual([])
  }, 300_000)
})

describe('stylemap convert: --out must be a folder', () => {
  it('--force onto an existing regular file fails at once with E_CONVERT_OUTPUT_NOT_DIR and keeps the file', async () => {
    const ckpt = path.join(work, 'ck-out-file.pt')
    await fixture('checkpoint', '--size', '64', '--small-generator', '--out', ckpt)
    const out = path.join(work, 'notes.txt')
    await writeFile(out, 'keep me\n')
    const t0 = Date.now()
    const result = await cli('convert', '--checkpoint', ckpt, '--out', out, '--force')
    expectCleanFailure(result, 'E_CONVERT_OUTPUT_NOT_DIR', '--force onto a file')
    // the same one-line shape as every other command's failure
    expect(result.stderr).toMatch(/^stylemap: E_CONVERT_OUTPUT_NOT_DIR: \S*notes\.txt is a file/)
    // up front, not after the export and parity check (those take tens of seconds)
    expect(Date.now() - t0).toBeLessThan(30_000)
    expect(await readFile(out, 'utf8')).toBe('keep me\n')
    expect(await leftovers(work)).toEqual([])
  }, 300_000)
})

// The TypeScript import (graph templates + streamed weights) against the Python converter
// (`stylemap convert --via python`, the reference) on the same checkpoint: both folders are
// run with onnxruntime-node on the same random inputs and every graph's outputs must agree
// within 1e-5 (max abs difference relative to max abs). The checkpoints are made here with
// random weights in the released layout, training entries (generator, encoder,
// discriminator, Adam states) included, in both torch.save layouts.
// 256 px costs minutes on a small CPU (the Python export and its own parity check dominate);
// STYLEMAP_PARITY_SIZES=64,128 runs a subset.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import * as ort from 'onnxruntime-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { relativeError } from '../src-main/engine/compare.js'
import { padZero } from '../src-main/engine/model.js'
import { runCli } from '../src-main/cli/testing/runCli.js'
import { torchUnavailable } from '../src-main/torch/testing/fixtures.js'

const run = promisify(execFile)
const repo = path.resolve(import.meta.dirname, '..')
const python = '/usr/bin/python3'
const skip = await torchUnavailable()
const sizes = (process.env.STYLEMAP_PARITY_SIZES ?? '64,128,256').split(',').map(Number)
let work: string

const configs = [
  { size: 64, args: ['--small-generator'], layout: 'legacy', file: 'ck_64_small.pt' },
  { size: 128, args: [], layout: 'zip', file: 'celeba_hq_128_8x8.pt' },
  { size: 256, args: [], layout: 'legacy', file: 'afhq_256_8x8.pt' },
].filter((c) => sizes.includes(c.size))


/** Standard normal values from a seeded generator (Box-Muller), so a failure can be rerun. */
function normal(n: number, seed: number): Float32Array {
  let s = seed >>> 0
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return (s + 0.5) / 4294967296
  }
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()))
}

interface Manifest {
  id: string
  resolution: number
  stylemap: { channels: number; size: number }
  styles: { channels: number; size: number }[]
  mapping: { zDim: number }
  preview?: { fineLayer: number; grid: number; channels: number; margin: number }
  files: Record<string, string>
  sha256: Record<string, string>
  architecture: Record<string, unknown>
  alignment?: unknown
  license: string
  domain: string
}

/** A [n, c, r, r] tensor with a one-cell border of zeros (the modulation graph's whole-map input). */
function padded(t: ort.Tensor, n: number, c: number, r: number): ort.Tensor {
  return new ort.Tensor('float32', padZero(t.data as Float32Array, n, c, r, r, 1), [n, c, r + 2, r + 2])
}

async function outputs(dir: string, graph: string, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(path.join(dir, graph), { logSeverityLevel: 3 })
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'stylemap-parity-'))
})

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true })
})

describe.skipIf(skip).each(configs)('TypeScript import = Python conversion: $size px ($layout layout)', ({ size, args, layout, file }) => {
  let ckpt: string
  const ts = () => path.join(work, `ts-${size}`)
  const py = () => path.join(work, `py-${size}`)

  beforeAll(async () => {
    ckpt = path.join(work, file)
    const { stdout } = await run(python, ['-m', 'smgan.release_fixture', '--size', String(size), ...args, '--layout', layout, '--out', ckpt], {
      cwd: path.join(repo, 'models'),
      maxBuffer: 1 << 24,
    })
    const made = JSON.parse(stdout) as { bytes: number; entries: string[] }
    expect(made.entries).toEqual(expect.arrayContaining(['generator', 'discriminator', 'g_optim', 'd_optim', 'e_optim']))
    const t0 = Date.now()
    const reference = await runCli(['convert', '--via', 'python', '--checkpoint', ckpt, '--out', py()])
    expect(reference.stderr).not.toContain('Traceback')
    expect(reference.code, reference.stderr).toBe(0)
    const t1 = Date.now()
    const typescript = await runCli(['convert', '--checkpoint', ckpt, '--out', ts()])
    expect(typescript.code, typescript.stderr).toBe(0)
    const summary = JSON.parse(typescript.stdout.trim().split('\n').pop() ?? '{}')
    expect(summary.via).toBe('typescript')
    console.log(
      `${size} px (${(made.bytes / 2 ** 20).toFixed(0)} MiB ${layout} checkpoint): --via python ${((t1 - t0) / 1000).toFixed(1)} s, ` +
        `TypeScript ${((Date.now() - t1) / 1000).toFixed(1)} s ${JSON.stringify(summary.seconds)}`,
    )
  }, 1_800_000)

  it('writes the same model.json, apart from the files and their hashes', async () => {
    const a = JSON.parse(await readFile(path.join(ts(), 'model.json'), 'utf8')) as Manifest
    const b = JSON.parse(await readFile(path.join(py(), 'model.json'), 'utf8')) as Manifest
    const { sha256: ha, ...restA } = a
    const { sha256: hb, ...restB } = b
    expect(restA).toEqual({ ...restB, id: restA.id })
    // every file of the folder is hashed, the data files included
    expect(Object.keys(ha).sort()).toEqual([...Object.values(a.files), 'encoder.weights', 'generator.weights'].sort())
    expect(Object.keys(hb).sort()).toEqual(Object.values(b.files).sort())
    expect(existsSync(path.join(ts(), 'generator.weights'))).toBe(true)
  })

  it('gives the same encoder, decoder, resizer, synthesis, modulation, features, coarse, fine and mapping outputs within 1e-5', async () => {
    const m = JSON.parse(await readFile(path.join(ts(), 'model.json'), 'utf8')) as Manifest
    const { channels: C, size: S } = m.stylemap
    const R = m.resolution
    const n = 2
    const image = new ort.Tensor('float32', normal(n * 3 * R * R, 1).map((v) => Math.tanh(v)), [n, 3, R, R])
    const stylemap = new ort.Tensor('float32', normal(n * C * S * S, 2), [n, C, S, S])
    const z = new ort.Tensor('float32', normal(n * m.mapping.zDim, 3), [n, m.mapping.zDim])
    const styles = await outputs(py(), m.files.resizer, { stylemap })
    // windows of 3 x 5 cells and more for the modulation graph, whose sizes are free
    const windows = Object.fromEntries(
      m.styles.map((l, i) => [`style_${i}`, new ort.Tensor('float32', normal(n * l.channels * (3 + (i % 4)) * 5, 4 + i), [n, l.channels, 3 + (i % 4), 5])]),
    )
    const mods = await outputs(py(), m.files.modulation!, windows)
    const whole = await outputs(py(), m.files.modulation!, Object.fromEntries(m.styles.map((l, i) => [`style_${i}`, padded(styles[`style_${i}`], n, l.channels, l.size)])))
    const cases: [string, Record<string, ort.Tensor>][] = [
      ['encoder', { image }],
      ['decoder', { stylemap }],
      ['resizer', { stylemap }],
      ['synthesis', styles],
      ['modulation', windows],
      ['features', whole],
      ['mapping', { z }],
    ]
    if (m.preview && m.files.coarse && m.files.fine) {
      // the draft graphs: coarse on whole maps, fine on the whole map with its own statistics and frozen to others
      const F = m.preview.fineLayer
      const levels = (from: number, to: number) => Object.fromEntries(Object.entries(whole).filter(([name]) => Number(name.split('_')[1]) >= from && Number(name.split('_')[1]) < to))
      const { x } = await outputs(py(), m.files.coarse, levels(0, F))
      const L = m.styles.length - F
      const stats = new ort.Tensor('float32', normal(n * L * 2, 9).map((v) => 1 + 0.1 * v), [n, L, 2])
      const flag = (on: boolean) => new ort.Tensor('float32', new Float32Array([on ? 1 : 0]), [1])
      cases.push(['coarse', levels(0, F)], ['fine', { x, ...levels(F, m.styles.length), stats, frozen: flag(false) }], ['fine', { x, ...levels(F, m.styles.length), stats, frozen: flag(true) }])
    }
    expect(Object.keys(mods).length).toBe(2 * m.styles.length)
    const errors: Record<string, number> = {}
    for (const [graph, feeds] of cases) {
      const got = await outputs(ts(), m.files[graph], feeds)
      const want = await outputs(py(), m.files[graph], feeds)
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort())
      for (const name of Object.keys(want)) {
        const err = relativeError(got[name].data as Float32Array, want[name].data as Float32Array)
        errors[`${graph}/${name}`] = err
        expect(err, `${graph}/${name}`).toBeLessThanOrEqual(1e-5)
      }
    }
    const worst = Object.entries(errors).sort((x, y) => y[1] - x[1])[0]
    console.log(`${size} px parity (batch ${n}): worst ${worst[0]} ${worst[1].toExponential(2)}`)
  }, 900_000)
})

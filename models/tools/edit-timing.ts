// Times the edit of `stylemap bench` (edit_ms) for model folders, e.g. the random-weight
// candidates of tools/arch_candidates.py, without the bench's heavy parts (24 MP previews and
// exports, face detection, the reference pipeline).
// Usage: node --import tsx models/tools/edit-timing.ts [--rounds 10] [--per-round 3] [--threads N] DIR...
// Every folder is loaded at once and timed in turns (a warm-up round, then `rounds` rounds of
// `per-round` runs each). Prints one JSON line per folder, {median, p20, min} milliseconds of:
//   edit_wplus, edit_w  bench's edit_ms: engine.render of one reference on a 512 px photo with
//                       the bench's square brush mask (25-40 % of the side, moved each run),
//                       output 'generated' (mix and decode; the incremental path when the folder
//                       has the modulation and features graphs), in W+ (what bench reports for
//                       these models) and W space;
//   encode, features, modulate_full  the graphs alone through ModelRuntime (modulate_full:
//                       gamma/beta of every layer over whole style tensors).
// Same threads as the bench (every core). On a shared machine the medians move with the load
// of other processes; the minimum is the best estimate of the time on a quiet machine.
import { availableParallelism } from 'node:os'
import type { MixSpace } from '../../src-main/engine/api.js'
import { Engine } from '../../src-main/engine/engine.js'
import { benchPhoto, squareMask } from '../../src-main/engine/benchInputs.js'
import { ModelRuntime } from '../../src-main/engine/model.js'

interface Timing {
  median: number
  p20: number
  min: number
}

function randomArray(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = (s / 2 ** 32) * 2 - 1
  }
  return out
}

function summary(values: number[]): Timing {
  const s = [...values].sort((a, b) => a - b)
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] * 10) / 10
  return { median: at(0.5), p20: at(0.2), min: at(0) }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  let rounds = 10
  let perRound = 3
  let threads = availableParallelism()
  const dirs: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--rounds') rounds = Number(args[++i])
    else if (args[i] === '--per-round') perRound = Number(args[++i])
    else if (args[i] === '--threads') threads = Number(args[++i])
    else dirs.push(args[i])
  }
  // every folder loaded at once, timed in turns: a load spike on a shared machine then hits
  // every candidate alike instead of whichever ran during it
  const models = []
  for (const dir of dirs) {
    const engine = new Engine()
    const { model } = await engine.loadModel(dir, { threads })
    const original = await engine.openImage({ bytes: await benchPhoto(0) })
    const reference = await engine.openImage({ bytes: await benchPhoto(3) })
    const runtime = await ModelRuntime.load(dir, { threads })
    const R = runtime.manifest.resolution
    const { channels, size } = runtime.manifest.stylemap
    const styles = await runtime.resize(randomArray(channels * size * size, 2), 1)
    models.push({
      dir, engine, model, runtime, original, reference,
      image: randomArray(3 * R * R, 1),
      styles,
      mods: runtime.incremental ? await runtime.modulations(styles, 1) : null,
      times: { edit_wplus: [] as number[], edit_w: [] as number[], encode: [] as number[], modulate_full: [] as number[], features: [] as number[] },
    })
  }
  const time = async (into: number[], f: () => Promise<unknown>) => {
    const t = performance.now()
    await f()
    into.push(performance.now() - t)
  }
  try {
    for (let round = -1; round < rounds; round++) {
      for (const m of models) {
        const crop = { x: 0, y: 0, size: Math.min(m.original.width, m.original.height) }
        for (let k = 0; k < perRound; k++) {
          const i = Math.max(0, round) * perRound + k
          for (const space of ['wplus', 'w'] as MixSpace[]) {
            const times = round < 0 ? [] : m.times[`edit_${space}` as 'edit_w']
            await time(times, () =>
              m.engine.render({
                edit: { original: { imageId: m.original.imageId, crop }, layers: [{ reference: { imageId: m.reference.imageId }, mask: squareMask(m.original.width, i) }], space },
                output: { kind: 'generated' },
              }),
            )
          }
          await time(round < 0 ? [] : m.times.encode, () => m.runtime.encode(m.image, 1))
          if (m.mods) {
            await time(round < 0 ? [] : m.times.modulate_full, () => m.runtime.modulations(m.styles, 1))
            const mods = m.mods
            await time(round < 0 ? [] : m.times.features, () => m.runtime.features(mods, 1))
          }
        }
      }
    }
  } finally {
    for (const m of models) {
      await m.engine.dispose()
      await m.runtime.release()
    }
  }
  for (const m of models) {
    const row: Record<string, unknown> = {
      dir: m.dir, resolution: m.model.resolution,
      stylemap: `${m.model.stylemap.channels}x${m.model.stylemap.size}x${m.model.stylemap.size}`,
      threads, runs: rounds * perRound,
    }
    for (const [k, v] of Object.entries(m.times)) if (v.length) row[k] = summary(v)
    console.log(JSON.stringify(row))
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})

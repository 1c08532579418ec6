// `stylemap bench`'s memory measurement: an editing session in a process of its own, as the
// app's engine process holds it (the model, a photo and three references encoded, gamma/beta
// of the photo's crop, every pyramid), so its peak RSS is the session's and not what the rest of
// the bench touched before (24 MP photos, the reference demo's batches).
//
// The process gets the engine process's environment (engineEnv: its malloc settings), so run
// from the command line it starts that process too. It runs this file bundled, as the app runs
// its engine process (electron-vite's out/main/host.js), not through tsx (bundledSession).
//
//   node --import tsx src-main/engine/benchSession.ts MODEL_DIR THREADS  -> one JSON line
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Edit, Mask } from './api.js'
import { benchPhoto, nextRequest } from './benchInputs.js'
import { Engine } from './engine.js'
import { childExecArgv, engineEnv } from './spawn.js'
import { peakRssMiB } from './peakRss.js'

export interface SessionBench {
  /** Peak RSS of the session's process, MiB. */
  peak_rss_mb: number
  /** One warm edit with the three references (generator only, median of the runs). */
  edit3_ms: number
  references: number
  /** How the session's process ran the engine: 'bundled' (as the app does) or 'tsx' (esbuild missing). */
  runner: 'bundled' | 'tsx'
}

function rect(size: number, x0: number, y0: number, w: number, h: number): Mask {
  const data = new Uint8Array(size * size)
  for (let y = y0; y < y0 + h; y++) data.fill(255, y * size + x0, y * size + x0 + w)
  return { width: size, height: size, data }
}

/** Runs the session in this process: open, encode, edit with three layers; returns its figures. */
export async function runSession(dir: string, threads: number, runs = 5): Promise<SessionBench> {
  const engine = new Engine()
  try {
    await engine.loadModel(dir, { threads })
    const photo = await engine.openImage({ bytes: await benchPhoto(0) })
    const refs = [await engine.openImage({ bytes: await benchPhoto(3) }), await engine.openImage({ bytes: await benchPhoto(5) }), await engine.openImage({ bytes: await benchPhoto(7) })]
    const size = photo.width
    const masks = [rect(size, 140, 180, 120, 60), rect(size, 300, 180, 120, 60), rect(size, 180, 330, 160, 70)]
    const edit = (run: number): Edit => ({
      original: { imageId: photo.imageId },
      layers: refs.map((r, i) => ({ reference: { imageId: r.imageId }, mask: masks[i], strength: 1 - 0.1 * (run % 3) })),
    })
    // as the app does once the crops are framed (CropPreparer): whole reference pyramids until the first edit
    await engine.prepare({ original: { imageId: photo.imageId }, references: refs.map((r) => ({ imageId: r.imageId })) })
    await nextRequest()
    const times: number[] = []
    for (let run = 0; run < runs + 1; run++) {
      const t = performance.now()
      await engine.render({ edit: edit(run), output: { kind: 'generated' } })
      if (run > 0) times.push(performance.now() - t)
      await nextRequest()
    }
    await engine.render({ edit: edit(0), output: { kind: 'preview', maxSize: 1024 } })
    await nextRequest()
    // painting on: a draft of the first layer's mask grown by a brush dab (its sessions count too)
    const painted = rect(size, 140, 180, 150, 70)
    await engine.render({ edit: { ...edit(0), layers: edit(0).layers.map((l, i) => (i === 0 ? { ...l, mask: painted } : l)) }, output: { kind: 'preview', maxSize: 1024 }, draft: true })
    times.sort((a, b) => a - b)
    const runner = import.meta.url.endsWith('.ts') ? 'tsx' : 'bundled'
    return { peak_rss_mb: peakRssMiB(), edit3_ms: Math.round(times[times.length >> 1] * 10) / 10, references: refs.length, runner }
  } finally {
    await engine.dispose()
  }
}

/** Where bundledSession writes this file bundled: in the project's build output, so its packages resolve from node_modules. */
export const bundledSessionPath = fileURLToPath(new URL('../../out/bench/session.mjs', import.meta.url))

/**
 * This file bundled into one script for plain Node, the way electron-vite builds the app's
 * engine process (our code in one file, packages left to node_modules), or null where esbuild
 * cannot be loaded. Run through tsx instead, the process also holds tsx's loader (a thread of
 * its own with a V8 heap, and its caches), which no user's engine process has: 113 against 74
 * MiB with the engine's modules loaded and nothing else done, and the 256 px session's peak
 * 15-22 MiB higher (2026-12-07, alternated: 1,191 / 1,184 against 1,169 / 1,169 MiB).
 */
export async function bundledSession(): Promise<string | null> {
  const self = fileURLToPath(import.meta.url)
  if (!self.endsWith('.ts')) return self
  const esbuild = await import('esbuild').catch(() => null)
  if (!esbuild) return null
  await esbuild.build({ entryPoints: [self], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: bundledSessionPath, logLevel: 'silent' })
  return bundledSessionPath
}

/** Runs the session in a child process (this file bundled, else through tsx) and returns what it printed. */
export async function benchSession(dir: string, threads: number): Promise<SessionBench> {
  const script = (await bundledSession()) ?? fileURLToPath(import.meta.url)
  return new Promise((resolve, reject) => {
    const child = fork(script, [dir, String(threads)], { execArgv: childExecArgv(script), env: engineEnv(), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })
    let out = ''
    let err = ''
    child.stdout?.on('data', (d) => (out += d))
    child.stderr?.on('data', (d) => (err += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? ''
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as SessionBench)
      else reject(new Error(`the session bench exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))
    })
  })
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, threads] = process.argv.slice(2)
  // benchSession's child has the IPC channel; run from the command line, this starts that child
  const session = process.send ? runSession(dir, Number(threads) || 1) : benchSession(dir, Number(threads) || 1)
  session
    .then((r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`)
      process.exit(0)
    })
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`)
      process.exit(1)
    })
}

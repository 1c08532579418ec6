// Checks an exported model folder with onnxruntime-node against the PyTorch outputs that
// smgan.export stored in parity.json, so the converter verifies the runtime the app uses.
// Usage: node --import tsx models/tools/parity.ts DIR [--tolerance 1e-3]
// Prints one JSON line: {ok, maxRelativeError, worst, cases: [{graph, batch, output, relativeError}]}
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import * as ort from 'onnxruntime-node'
import { relativeError } from '../../src-main/engine/compare.js'

interface TensorFile {
  file: string
  shape: number[]
}
interface ParityCase {
  graph: string
  batch: number
  inputs: Record<string, TensorFile>
  outputs: Record<string, TensorFile>
}

async function readTensor(dir: string, t: TensorFile): Promise<ort.Tensor> {
  const buf = await readFile(path.join(dir, 'parity', t.file))
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4)
  return new ort.Tensor('float32', Float32Array.from(data), t.shape)
}


async function main(): Promise<number> {
  const args = process.argv.slice(2)
  const dir = args[0]
  const tolIndex = args.indexOf('--tolerance')
  const tolerance = tolIndex >= 0 ? Number(args[tolIndex + 1]) : 1e-3
  const manifest = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'))
  const { cases } = JSON.parse(await readFile(path.join(dir, 'parity.json'), 'utf8')) as { cases: ParityCase[] }
  const sessions = new Map<string, ort.InferenceSession>()
  const results: { graph: string; batch: number; output: string; relativeError: number }[] = []
  for (const c of cases) {
    let session = sessions.get(c.graph)
    if (!session) {
      session = await ort.InferenceSession.create(path.join(dir, manifest.files[c.graph]), { executionProviders: ['cpu'] })
      sessions.set(c.graph, session)
    }
    const feeds: Record<string, ort.Tensor> = {}
    for (const [name, t] of Object.entries(c.inputs)) feeds[name] = await readTensor(dir, t)
    const out = await session.run(feeds)
    for (const [name, t] of Object.entries(c.outputs)) {
      const expected = (await readTensor(dir, t)).data as Float32Array
      const actual = out[name]?.data as Float32Array | undefined
      const err = actual ? relativeError(actual, expected) : Number.POSITIVE_INFINITY
      results.push({ graph: c.graph, batch: c.batch, output: name, relativeError: err })
    }
  }
  for (const s of sessions.values()) await s.release()
  const worst = results.reduce((a, b) => (b.relativeError > a.relativeError || Number.isNaN(b.relativeError) ? b : a))
  const ok = results.every((r) => r.relativeError <= tolerance)
  console.log(JSON.stringify({ ok, maxRelativeError: worst.relativeError, worst, cases: results }))
  return ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err))
    process.exit(2)
  },
)

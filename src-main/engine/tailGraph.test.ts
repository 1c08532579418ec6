import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { tailGraph } from './tailGraph.js'
import { testModelDir } from './testing/models.js'
import { chainGraph } from './testing/onnxGraphs.js'

describe('tailGraph', () => {
  it("cuts the resizer to the levels past one of its outputs, which it takes as its input at any size", async () => {
    const dir = await testModelDir()
    const resizer = await readFile(join(dir, 'resizer.onnx'))
    const whole = await ort.InferenceSession.create(resizer, { logSeverityLevel: 3, extra: { session: { model_external_initializers_file_folder_path: dir } } })
    const tail = await ort.InferenceSession.create(tailGraph(resizer, 'style_5', ['style_6', 'style_7']), { logSeverityLevel: 3, extra: { session: { model_external_initializers_file_folder_path: dir } } })
    try {
      expect(tail.inputNames).toEqual(['style_5'])
      expect(tail.outputNames).toEqual(['style_6', 'style_7'])
      // the whole grid: the whole resizer's levels from its own 32 px level
      const stylemap = new Float32Array(64 * 8 * 8).map((_, i) => Math.sin(i * 0.61))
      const out = await whole.run({ stylemap: new ort.Tensor('float32', stylemap, [1, 64, 8, 8]) })
      const fromTail = await tail.run({ style_5: out.style_5 })
      for (const name of ['style_6', 'style_7']) {
        expect(fromTail[name].dims).toEqual([1, 64, 64, 64])
        expect(fromTail[name].data).toEqual(out[name].data)
      }
      // a window of another size, not square
      const window = await tail.run({ style_5: new ort.Tensor('float32', new Float32Array(64 * 5 * 7).fill(0.5), [1, 64, 5, 7]) })
      expect(window.style_7.dims).toEqual([1, 64, 10, 14])
    } finally {
      await Promise.all([whole.release(), tail.release()])
    }
  })

  it('refuses names that are not outputs of fixed channels, and outputs that need more than the value they start from', async () => {
    const resizer = await readFile(join(await testModelDir(), 'resizer.onnx'))
    expect(() => tailGraph(resizer, 'style_5', ['style_99'])).toThrow('the graph has no output style_99')
    expect(() => tailGraph(resizer, 'style_5', ['style_3'])).toThrow('the tail from style_5 needs stylemap, which it does not make')
    expect(() => tailGraph(chainGraph(), 'a', ['b'])).toThrow('a is not a float32 [batch, channels, height, width] value of fixed channels')
    expect(() => tailGraph(Uint8Array.from([0x08, 0x07]), 'a', ['b'])).toThrow('not an ONNX model: no graph')
  })
})

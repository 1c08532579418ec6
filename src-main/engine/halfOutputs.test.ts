import * as ort from 'onnxruntime-node'
import { describe, expect, it } from 'vitest'
import { fromHalf, toHalf } from './half.js'
import { withHalfInputs, withHalfOutputs } from './halfOutputs.js'
import { messageFields } from './protobuf.js'
import { chainGraph, inputKindsGraph, passedOutGraph } from './testing/onnxGraphs.js'

// values whose triples a float16 cannot hold exactly; 3 x 341.2333 + 1 = 1024.7 is 1025 as a half,
// but 1024 when 3x is rounded to a half first (1023.5) and then 1 added
const x = Float32Array.from([341.2333, 0.1001, -2.3337, 1234.567, 7e-6])

async function run(model: Uint8Array): Promise<ort.InferenceSession.ReturnType> {
  const session = await ort.InferenceSession.create(model)
  try {
    return await session.run({ x: new ort.Tensor('float32', x, [x.length]) })
  } finally {
    await session.release()
  }
}

describe('withHalfOutputs', () => {
  it('casts the outputs named to float16, the bits toHalf makes, and leaves the others as they were', async () => {
    const plain = await run(chainGraph())
    const out = await run(withHalfOutputs(chainGraph(), ['a', 'b']))
    expect(plain.a.type).toBe('float32')
    for (const name of ['a', 'b']) {
      expect(out[name].type).toBe('float16')
      expect(out[name].dims).toEqual([x.length])
      expect(Array.from(out[name].data as Uint16Array)).toEqual(Array.from(toHalf(plain[name].data as Float32Array)))
    }
    // b reads a's float32 value, not its halves: 3x + 1 rounded once
    const bFromHalves = toHalf(Float32Array.from(fromHalf(out.a.data as Uint16Array), (v) => v + 1))
    expect(fromHalf(out.b.data as Uint16Array)[0]).toBe(1025)
    expect(fromHalf(bFromHalves)[0]).toBe(1024)
    expect(out.shape.type).toBe('int64')
    expect(out.shape.data).toEqual(plain.shape.data)
    expect(out.unused.type).toBe('float32')
    expect(out.unused.data).toEqual(x)
    // the graph's declaration of a's value (value_info) follows it to its new name, so that it
    // does not claim float32 for the float16 output (onnxruntime runs it either way)
    const graph = messageFields(messageFields(withHalfOutputs(chainGraph(), ['a', 'b'])).find((f) => f.num === 7)!.payload!)
    const declared = graph.filter((f) => f.num === 13).map((f) => Buffer.from(messageFields(f.payload!).find((v) => v.num === 1)!.payload!).toString())
    expect(declared).toEqual(['a__float32'])
  })

  it('casts only the outputs named, and keeps the names of the graph\'s own values clear', async () => {
    const out = await run(withHalfOutputs(chainGraph('b__float32'), ['b']))
    expect(out.a.type).toBe('float32')
    expect(out.b.type).toBe('float16')
    expect(Array.from(out.b.data as Uint16Array)).toEqual(Array.from(toHalf(Float32Array.from(x, (v) => Math.fround(Math.fround(3 * v) + 1)))))
    // the graph's value of that name is still its own (x), not b's float value
    expect(out.b__float32.data).toEqual(x)
  })

  it('casts an output named twice once', async () => {
    const out = await run(withHalfOutputs(chainGraph(), ['a', 'a']))
    expect(Array.from(out.a.data as Uint16Array)).toEqual(Array.from(toHalf(Float32Array.from(x, (v) => Math.fround(3 * v)))))
  })

  it('has the nodes that read an output named as rounded read its halves, cast back to float32', async () => {
    const out = await run(withHalfOutputs(chainGraph(), ['a', 'b'], ['a']))
    expect(out.a.type).toBe('float16')
    // b = a + 1 from a's halves: 1024 where from a's float32 value it is 1025
    expect(fromHalf(out.b.data as Uint16Array)[0]).toBe(1024)
    expect(Array.from(fromHalf(out.b.data as Uint16Array))).toEqual(Array.from(fromHalf(toHalf(Float32Array.from(fromHalf(out.a.data as Uint16Array), (v) => v + 1)))))
    expect(() => withHalfOutputs(chainGraph(), ['b'], ['a'])).toThrow('output a is not one cast to float16')
  })

  it('keeps every other byte: the model with nothing to cast is the model', () => {
    const model = chainGraph()
    expect(Buffer.from(withHalfOutputs(model, [])).equals(Buffer.from(model))).toBe(true)
    // and what it adds parses as protobuf
    expect(messageFields(withHalfOutputs(model, ['a'])).length).toBe(messageFields(model).length)
  })

  it('refuses what it cannot cast: bytes that are no model, an output the graph lacks, one not float32', () => {
    expect(() => withHalfOutputs(Uint8Array.from([0xff, 0xff, 0xff]), ['a'])).toThrow('not a protobuf message: a varint runs past the end')
    expect(() => withHalfOutputs(Buffer.from('not an onnx model at all'), ['a'])).toThrow(/^not a protobuf message: wire type 6$/)
    // a message, but no graph in it
    expect(() => withHalfOutputs(Uint8Array.from([0x08, 0x07]), ['a'])).toThrow('not an ONNX model: no graph')
    expect(() => withHalfOutputs(chainGraph(), ['c'])).toThrow('the graph has no output c')
    expect(() => withHalfOutputs(chainGraph(), ['shape'])).toThrow('output shape is not float32')
    // outputs no node computes: a Cast renamed to read them would read nothing
    expect(() => withHalfOutputs(passedOutGraph(), ['x'])).toThrow('output x is not computed by a node of the graph')
    expect(() => withHalfOutputs(passedOutGraph(), ['w'])).toThrow('output w is not computed by a node of the graph')
    expect(() => withHalfOutputs(passedOutGraph(), ['y'])).not.toThrow()
  })
})

describe('withHalfInputs', () => {
  const halves = toHalf(x)
  const runHalf = async (model: Uint8Array) => {
    const session = await ort.InferenceSession.create(model)
    try {
      return { types: session.inputMetadata.map((m) => (m.isTensor ? m.type : '')), out: await session.run({ x: new ort.Tensor('float16', halves, [x.length]) }) }
    } finally {
      await session.release()
    }
  }

  it('takes the inputs named as float16 and gives every reader the float32 value of those halves', async () => {
    const { types, out } = await runHalf(withHalfInputs(chainGraph(), ['x']))
    expect(types).toEqual(['float16'])
    // the same run as the plain graph's on the halves' float32 values, bit for bit
    const wide = fromHalf(halves)
    const session = await ort.InferenceSession.create(chainGraph())
    const plain = await session.run({ x: new ort.Tensor('float32', wide, [x.length]) })
    await session.release()
    for (const name of ['a', 'b', 'unused']) {
      expect(out[name].type).toBe('float32')
      expect(out[name].data).toEqual(plain[name].data)
    }
    expect(out.unused.data).toEqual(wide)
    expect(out.shape.data).toEqual(plain.shape.data)
  })

  it("keeps the names of the graph's own values clear, and keeps every byte when nothing is named", async () => {
    // the graph has a value x__float32 (x's Identity) and a weight x__float32_: the cast is x__float32__
    const { out } = await runHalf(withHalfInputs(chainGraph('x__float32'), ['x', 'x']))
    expect(out.x__float32.data).toEqual(fromHalf(halves))
    expect(Buffer.from(withHalfInputs(chainGraph(), [])).equals(Buffer.from(chainGraph()))).toBe(true)
  })

  it('refuses an input it cannot take as halves: missing, not float32, with a default weight, passed straight out', () => {
    expect(() => withHalfInputs(chainGraph(), ['z'])).toThrow('the graph has no input z')
    expect(() => withHalfInputs(inputKindsGraph(), ['k'])).toThrow('input k is not float32')
    expect(() => withHalfInputs(inputKindsGraph(), ['w'])).toThrow("input w has a default among the graph's weights")
    expect(() => withHalfInputs(passedOutGraph(), ['x'])).toThrow('input x is passed straight out as an output')
    expect(() => withHalfInputs(inputKindsGraph(), ['x'])).not.toThrow()
  })
})

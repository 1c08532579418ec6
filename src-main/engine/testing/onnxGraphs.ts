// Small hand-written ONNX graphs for model-folder tests: graphs that claim one output shape
// in their declaration and produce another when run (what a swapped or hostile model folder
// does), and one for withHalfOutputs' renaming. Written as protobuf directly so the tests need
// no Python.

import { field } from '../protobuf.js'

type Bytes = number[]

const FLOAT = 1
const INT64 = 7

/** A float32 (or `type`) value declaration; a string dim is symbolic. */
function valueInfo(name: string, dims: (number | string)[], type = FLOAT): Bytes {
  const shape = dims.flatMap((d) => field(1, typeof d === 'number' ? field(1, d) : field(2, d)))
  return [...field(1, name), ...field(2, field(1, [...field(1, type), ...field(2, shape)]))]
}

function intAttribute(name: string, value: number): Bytes {
  return [...field(1, name), ...field(3, value), ...field(20, 2)]
}

function node(op: string, inputs: string[], outputs: string[], attributes: Bytes[] = []): Bytes {
  return [...inputs.flatMap((i) => field(1, i)), ...outputs.flatMap((o) => field(2, o)), ...field(4, op), ...attributes.flatMap((a) => field(5, a))]
}

function floatTensor(name: string, dims: number[], values: number[]): Bytes {
  const raw = Buffer.from(Float32Array.from(values).buffer)
  return [...dims.flatMap((d) => field(1, d)), ...field(2, FLOAT), ...field(8, name), ...field(9, [...raw])]
}

function model(nodes: Bytes[], initializers: Bytes[], inputs: Bytes[], outputs: Bytes[], declared: Bytes[] = []): Uint8Array {
  const graph = [
    ...nodes.flatMap((n) => field(1, n)),
    ...field(2, 'test'),
    ...initializers.flatMap((t) => field(5, t)),
    ...inputs.flatMap((i) => field(11, i)),
    ...outputs.flatMap((o) => field(12, o)),
    ...declared.flatMap((v) => field(13, v)),
  ]
  return Uint8Array.from([...field(1, 8), ...field(2, 'stylemap-tests'), ...field(7, graph), ...field(8, [...field(1, ''), ...field(2, 13)])])
}

/**
 * A graph from `input` to `output` that returns its input unchanged, whatever `outputDims`
 * says. The Tile repeats are computed from the data (always 1), so onnxruntime cannot infer
 * the output shape and reports the declared one: only running it shows the difference.
 */
export function passThroughGraph(
  input: string,
  inputDims: (number | string)[],
  output: string,
  outputDims: (number | string)[],
  /** inputs the graph declares and ignores */
  unused: [string, (number | string)[]][] = [],
  /** more outputs, each one of the inputs as it is: [input, output, dims] */
  copies: [string, string, (number | string)[]][] = [],
): Uint8Array {
  const rank = inputDims.length
  return model(
    [
      node('ReduceMax', [input], ['largest'], [intAttribute('keepdims', 0)]),
      node('Mul', ['largest', 'zero'], ['nothing']),
      node('Add', ['nothing', 'ones'], ['repeatsFloat']),
      node('Cast', ['repeatsFloat'], ['repeats'], [intAttribute('to', INT64)]),
      node('Tile', [input, 'repeats'], [output]),
      ...copies.map(([from, to]) => node('Identity', [from], [to])),
    ],
    [floatTensor('zero', [], [0]), floatTensor('ones', [rank], new Array<number>(rank).fill(1))],
    [valueInfo(input, inputDims), ...unused.map(([name, dims]) => valueInfo(name, dims))],
    [valueInfo(output, outputDims), ...copies.map(([, to, dims]) => valueInfo(to, dims))],
  )
}

/**
 * x [n] -> a = 3x, b = a + 1 (read from a, an output too), shape = x's shape (int64): outputs
 * that other nodes read, one that is not float, and `a` declared once more as a float value (in
 * the graph's value_info, as exporters write). `taken`: a value of its own (x, unchanged) and an
 * unused initializer named after it plus '_', named as withHalfOutputs would first name a renamed
 * output's float value (`b__float32`, then `b__float32_`).
 */
export function chainGraph(taken = 'unused'): Uint8Array {
  return model(
    [node('Mul', ['x', 'three'], ['a']), node('Add', ['a', 'one'], ['b']), node('Shape', ['x'], ['shape']), node('Identity', ['x'], [taken])],
    [floatTensor('three', [], [3]), floatTensor('one', [], [1]), floatTensor(`${taken}_`, [], [0])],
    [valueInfo('x', ['n'])],
    [valueInfo('a', ['n']), valueInfo('b', ['n']), valueInfo('shape', [1], INT64), valueInfo(taken, ['n'])],
    [valueInfo('a', ['n'])],
  )
}

/** x [n] passed straight out as an output, and a weight `w` as another: outputs no node computes. */
export function passedOutGraph(): Uint8Array {
  return model([node('Identity', ['x'], ['y'])], [floatTensor('w', [1], [2])], [valueInfo('x', ['n'])], [valueInfo('x', ['n']), valueInfo('w', [1]), valueInfo('y', ['n'])])
}

/** x [n] * w -> y, and k (int64) -> kk: `w` is an input with a default among the weights, `k` an input that is not float. */
export function inputKindsGraph(): Uint8Array {
  return model(
    [node('Mul', ['x', 'w'], ['y']), node('Identity', ['k'], ['kk'])],
    [floatTensor('w', [1], [2])],
    [valueInfo('x', ['n']), valueInfo('w', [1]), valueInfo('k', [1], INT64)],
    [valueInfo('y', ['n']), valueInfo('kk', [1], INT64)],
  )
}

// An ONNX graph whose float outputs come out as float16, rewritten in memory as its session is
// created: the resizer's, whose outputs the engine keeps only as halves. Cast in the graph, a
// 256 px pyramid's float32 levels (117 MB) never reach JavaScript, which would convert them
// (240 ms) and leave them behind as garbage. The model folder's file stays as it is, so every
// folder ever imported gets it, and the halves are the bits the engine's own toHalf made.
// withHalfInputs is the other way round: inputs taken as halves and cast to float32 in the graph.

import {
  ATTRIBUTE,
  ATTRIBUTE_INT,
  elemType,
  FLOAT,
  FLOAT16,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  NODE,
  nameOf,
  TENSOR_ELEM_TYPE,
  TENSOR_NAME,
  text,
  TYPE_TENSOR,
  VALUE_INFO,
} from './onnxFields.js'
import { type Field, field, lengthDelimited, messageFields } from './protobuf.js'

/**
 * `name` + `suffix`, lengthened until it is not a name the graph has: the float32 value a graph's
 * output `name` now comes from or its input `name` is cast to ('__float32'), or the float32 value
 * cast back from output `name`'s halves ('__rounded').
 */
const freeName = (name: string, suffix: string, taken: Set<string>): string => {
  let n = `${name}${suffix}`
  while (taken.has(n)) n += '_'
  return n
}

/** A model's graph, read field by field, and what withHalfOutputs and withHalfInputs need to know of it. */
interface ParsedGraph {
  top: Field[]
  graphField: Field
  fields: Field[]
  /** Every name the graph gives a value: nodes' inputs and outputs, initializers, inputs. */
  taken: Set<string>
  /** The values its nodes compute. */
  computed: Set<string>
  initializers: Set<string>
}

function parseGraph(model: Uint8Array): ParsedGraph {
  const top = messageFields(model)
  const graphs = top.filter((f) => f.num === MODEL_GRAPH && f.wire === 2)
  if (graphs.length !== 1) throw new Error('not an ONNX model: no graph')
  const fields = messageFields(graphs[0].payload!)
  const taken = new Set<string>()
  const computed = new Set<string>()
  const initializers = new Set<string>()
  for (const f of fields) {
    if (f.wire !== 2) continue
    if (f.num === GRAPH_NODE) {
      for (const n of messageFields(f.payload!)) {
        if (n.num === NODE.input || n.num === NODE.output) taken.add(text(n.payload))
        if (n.num === NODE.output) computed.add(text(n.payload))
      }
    }
    if (f.num === GRAPH_INITIALIZER) {
      taken.add(nameOf(f, TENSOR_NAME))
      initializers.add(nameOf(f, TENSOR_NAME))
    }
    if (f.num === GRAPH_INPUT) taken.add(nameOf(f, VALUE_INFO.name))
  }
  return { top, graphField: graphs[0], fields, taken, computed, initializers }
}

/** The graph's inputs or outputs (`num`) named in `names`, by name. */
function namedValues(fields: readonly Field[], num: number, names: readonly string[]): Map<string, Field> {
  const found = new Map<string, Field>()
  for (const f of fields) if (f.num === num && f.wire === 2 && names.includes(nameOf(f, VALUE_INFO.name))) found.set(nameOf(f, VALUE_INFO.name), f)
  return found
}

/**
 * The graph's fields with the values in `renamed` renamed where nodes read them (and write them,
 * with `outputs`) and where the graph declares them (value_info), the inputs or outputs in
 * `retyped` made float16, and `cast` nodes added (first, or last), then the model around it.
 */
function rewrite(parsed: ParsedGraph, renamed: Map<string, string>, outputs: boolean, retyped: ReadonlySet<Field>, cast: number[][], castFirst: boolean, reads = new Map<string, string>()): Uint8Array {
  const rename = (name: string): string => renamed.get(name) ?? name
  const parts: Uint8Array[] = castFirst ? cast.map((c) => bytesOf(field(GRAPH_NODE, c))) : []
  for (const f of parsed.fields) {
    if (retyped.has(f)) {
      parts.push(bytesOf(field(f.num, halfValueInfo(f.payload!))))
    } else if (f.num === GRAPH_NODE && f.wire === 2) {
      const node = messageFields(f.payload!).map((n) =>
        n.num === NODE.input && n.wire === 2
          ? bytesOf(field(n.num, reads.get(text(n.payload)) ?? rename(text(n.payload))))
          : outputs && n.num === NODE.output && n.wire === 2
            ? bytesOf(field(n.num, rename(text(n.payload))))
            : n.raw,
      )
      parts.push(lengthDelimited(GRAPH_NODE, node))
    } else if (f.num === GRAPH_VALUE_INFO && f.wire === 2 && renamed.has(nameOf(f, VALUE_INFO.name))) {
      // a declaration of the value describes the float32 value, now under its new name
      const info = messageFields(f.payload!).map((v) => (v.num === VALUE_INFO.name ? bytesOf(field(v.num, rename(text(v.payload)))) : v.raw))
      parts.push(lengthDelimited(GRAPH_VALUE_INFO, info))
    } else parts.push(f.raw)
  }
  if (!castFirst) parts.push(...cast.map((c) => bytesOf(field(GRAPH_NODE, c))))
  return Buffer.concat(parsed.top.map((f) => (f === parsed.graphField ? lengthDelimited(MODEL_GRAPH, parts) : f.raw)))
}

/**
 * `model` (ONNX ModelProto bytes) with each output named in `outputs` cast to float16 in the
 * graph: the output keeps its name, the value the graph computed for it is renamed (in the nodes
 * and in the graph's value declarations), and a Cast node makes the output from it. Names in
 * subgraphs (If, Loop) are not followed: the resizer has none. Every other byte is kept, so weights in external files are found
 * as before. Throws when the bytes are not a model, or an output named is not a float one or is
 * not computed by a node (a graph input or a weight passed straight out).
 *
 * The graph's own nodes that read an output named in `rounded` (one of `named`) read its halves,
 * cast back to float32: what the graph computes from it is then what a graph given those halves
 * computes (the resizer's tail, tailGraph.ts, run on the halves the engine keeps).
 */
export function withHalfOutputs(model: Uint8Array, named: readonly string[], rounded: readonly string[] = []): Uint8Array {
  const outputs = [...new Set(named)]
  const parsed = parseGraph(model)
  const found = namedValues(parsed.fields, GRAPH_OUTPUT, outputs)
  for (const name of outputs) {
    const output = found.get(name)
    if (!output) throw new Error(`the graph has no output ${name}`)
    if (elemType(output.payload!) !== FLOAT) throw new Error(`output ${name} is not float32`)
    // an input or a weight passed straight out: renamed, its Cast would read a value nothing makes
    if (!parsed.computed.has(name)) throw new Error(`output ${name} is not computed by a node of the graph`)
  }
  for (const name of rounded) if (!outputs.includes(name)) throw new Error(`output ${name} is not one cast to float16`)
  const taken = new Set([...parsed.taken, ...outputs])
  const renamed = new Map(outputs.map((name) => [name, freeName(name, '__float32', taken)]))
  for (const name of renamed.values()) taken.add(name)
  const reads = new Map([...new Set(rounded)].map((name) => [name, freeName(name, '__rounded', taken)]))
  const casts = outputs.map((name) => castNode(renamed.get(name)!, name, FLOAT16))
  // after the casts to float16 (onnxruntime sorts the nodes by what they read)
  for (const name of new Set(rounded)) casts.push(castNode(name, reads.get(name)!, FLOAT))
  return rewrite(parsed, renamed, true, new Set(found.values()), casts, false, reads)
}

/**
 * `model` with each input named in `inputs` taken as float16 and cast to float32 in the graph:
 * the input keeps its name (now float16), the nodes that read it read a Cast of it under a new
 * name. For an engine that holds those values as halves. The Casts come first in the node list
 * (they read only inputs); onnxruntime plans their float32 copies with the rest of the run: the
 * 256 px fine graph with 8 such inputs held 43 MiB less after its runs, its inputs 81 MiB less. Throws when
 * an input named is missing, not float32, has a default among the weights, or is passed straight
 * out as an output.
 */
export function withHalfInputs(model: Uint8Array, named: readonly string[]): Uint8Array {
  const inputs = [...new Set(named)]
  const parsed = parseGraph(model)
  const found = namedValues(parsed.fields, GRAPH_INPUT, inputs)
  const outputNames = new Set(parsed.fields.filter((f) => f.num === GRAPH_OUTPUT && f.wire === 2).map((f) => nameOf(f, VALUE_INFO.name)))
  for (const name of inputs) {
    const input = found.get(name)
    if (!input) throw new Error(`the graph has no input ${name}`)
    if (elemType(input.payload!) !== FLOAT) throw new Error(`input ${name} is not float32`)
    if (parsed.initializers.has(name)) throw new Error(`input ${name} has a default among the graph's weights`)
    if (outputNames.has(name)) throw new Error(`input ${name} is passed straight out as an output`)
  }
  const renamed = new Map(inputs.map((name) => [name, freeName(name, '__float32', parsed.taken)]))
  const casts = inputs.map((name) => castNode(name, renamed.get(name)!, FLOAT))
  return rewrite(parsed, renamed, false, new Set(found.values()), casts, true)
}

const bytesOf = (values: number[]): Uint8Array => Uint8Array.from(values)

/** A float output's ValueInfoProto with its tensor type's elem_type made float16, all else kept. */
function halfValueInfo(valueInfo: Uint8Array): number[] {
  const remake = (bytes: Uint8Array, num: number, inner: (b: Uint8Array) => number[]): number[] =>
    messageFields(bytes).flatMap((f) => (f.num === num && f.wire === 2 ? field(num, inner(f.payload!)) : [...f.raw]))
  return remake(valueInfo, VALUE_INFO.type, (type) =>
    remake(type, TYPE_TENSOR, (tensor) => messageFields(tensor).flatMap((f) => (f.num === TENSOR_ELEM_TYPE ? field(TENSOR_ELEM_TYPE, FLOAT16) : [...f.raw]))),
  )
}

function castNode(input: string, output: string, type: number): number[] {
  const to = [...field(ATTRIBUTE.name, 'to'), ...field(ATTRIBUTE.i, type), ...field(ATTRIBUTE.type, ATTRIBUTE_INT)]
  const name = type === FLOAT16 ? `${output}__to_float16` : `${input}__to_float32`
  return [...field(NODE.input, input), ...field(NODE.output, output), ...field(NODE.name, name), ...field(NODE.opType, 'Cast'), ...field(NODE.attribute, to)]
}

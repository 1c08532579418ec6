// The tail of a graph, cut out in memory: the nodes that make some of its outputs from one of
// its values, that value now the graph's input. The resizer's tail makes a 256 px model's
// 128 and 256 px style levels from the 64 px one: run on a window of that level, it gives the
// window's inside as the whole resizer does, in a share of the time, for a reference's masks
// painted past the part of its pyramid the engine keeps (engine.ts, #referenceStyles).
// Its spatial sizes are left free (the resizer declares fixed ones), so any window runs.

import {
  DIM,
  FLOAT,
  GRAPH_INITIALIZER,
  GRAPH_INPUT,
  GRAPH_NODE,
  GRAPH_OUTPUT,
  GRAPH_VALUE_INFO,
  MODEL_GRAPH,
  NODE,
  nameOf,
  SHAPE_DIM,
  TENSOR_ELEM_TYPE,
  TENSOR_NAME,
  TENSOR_SHAPE,
  tensorType,
  text,
  TYPE_TENSOR,
  VALUE_INFO,
} from './onnxFields.js'
import { type Field, field, lengthDelimited, messageFields } from './protobuf.js'

/** A [batch, channels, height, width] float32 ValueInfoProto: batch, height and width free (named), channels fixed. */
function freeValueInfo(name: string, channels: number): number[] {
  const dims = [field(DIM.param, 'N'), field(DIM.value, channels), field(DIM.param, `h_${name}`), field(DIM.param, `w_${name}`)]
  const shape = dims.flatMap((d) => field(SHAPE_DIM, d))
  const tensor = [...field(TENSOR_ELEM_TYPE, FLOAT), ...field(TENSOR_SHAPE, shape)]
  return [...field(VALUE_INFO.name, name), ...field(VALUE_INFO.type, field(TYPE_TENSOR, tensor))]
}

/** The channels (second dimension, a fixed size) of a 4-dimensional float32 ValueInfoProto; throws otherwise. */
function channelsOf(valueInfo: Uint8Array, name: string): number {
  const tensor = tensorType(valueInfo)
  const elem = tensor?.find((f) => f.num === TENSOR_ELEM_TYPE)?.value
  const shape = tensor?.find((f) => f.num === TENSOR_SHAPE)?.payload
  const dims = shape ? messageFields(shape).filter((f) => f.num === SHAPE_DIM) : []
  const channels = dims[1] && messageFields(dims[1].payload!).find((f) => f.num === DIM.value)?.value
  if (elem !== FLOAT || dims.length !== 4 || !channels) throw new Error(`${name} is not a float32 [batch, channels, height, width] value of fixed channels`)
  return channels
}

/**
 * `model` (ONNX ModelProto bytes) cut to the nodes that compute `outputs` from the value `from`:
 * `from` becomes the graph's only input, `outputs` its only outputs, both with free batch and
 * spatial sizes. `from` and the outputs must be among the graph's declared outputs (their
 * channels are read there). The graph's value declarations go (they give fixed sizes); its
 * weights stay, those the tail does not read unused. Throws when the bytes are not a model, a
 * name is not such an output, or an output needs one of the graph's inputs other than through
 * `from`.
 */
export function tailGraph(model: Uint8Array, from: string, outputs: readonly string[]): Uint8Array {
  const top = messageFields(model)
  const graphs = top.filter((f) => f.num === MODEL_GRAPH && f.wire === 2)
  if (graphs.length !== 1) throw new Error('not an ONNX model: no graph')
  const fields = messageFields(graphs[0].payload!)
  const declared = new Map<string, Field>()
  for (const f of fields) if (f.num === GRAPH_OUTPUT && f.wire === 2) declared.set(nameOf(f, VALUE_INFO.name), f)
  const channels = new Map<string, number>()
  for (const name of [from, ...outputs]) {
    const info = declared.get(name)
    if (!info) throw new Error(`the graph has no output ${name}`)
    channels.set(name, channelsOf(info.payload!, name))
  }
  const initializers = new Set(fields.filter((f) => f.num === GRAPH_INITIALIZER && f.wire === 2).map((f) => nameOf(f, TENSOR_NAME)))
  const nodes = fields.filter((f) => f.num === GRAPH_NODE && f.wire === 2)
  const io = nodes.map((f) => {
    const parts = messageFields(f.payload!)
    return { inputs: parts.filter((p) => p.num === NODE.input).map((p) => text(p.payload)), outputs: parts.filter((p) => p.num === NODE.output).map((p) => text(p.payload)) }
  })
  // back from the outputs to `from`, the weights and the constants the nodes make
  const needed = new Set(outputs)
  const keep = new Set<Field>()
  for (let k = nodes.length - 1; k >= 0; k--) {
    if (!io[k].outputs.some((o) => needed.has(o))) continue
    keep.add(nodes[k])
    for (const input of io[k].inputs) if (input && input !== from && !initializers.has(input)) needed.add(input)
  }
  const made = new Set(io.filter((_, k) => keep.has(nodes[k])).flatMap((n) => n.outputs))
  const missing = [...needed].filter((name) => !made.has(name))
  if (missing.length) throw new Error(`the tail from ${from} needs ${missing.join(', ')}, which it does not make`)
  const parts: Uint8Array[] = []
  for (const f of fields) {
    if (f.num === GRAPH_NODE && f.wire === 2) {
      if (keep.has(f)) parts.push(f.raw)
    } else if (f.num === GRAPH_INPUT && f.wire === 2) {
      // an input that is a weight's declaration (older graphs list them) stays
      if (initializers.has(nameOf(f, VALUE_INFO.name))) parts.push(f.raw)
    } else if (f.num === GRAPH_OUTPUT || f.num === GRAPH_VALUE_INFO) {
      continue
    } else parts.push(f.raw)
  }
  parts.push(Uint8Array.from(field(GRAPH_INPUT, freeValueInfo(from, channels.get(from)!))))
  for (const name of outputs) parts.push(Uint8Array.from(field(GRAPH_OUTPUT, freeValueInfo(name, channels.get(name)!))))
  return Buffer.concat(top.map((f) => (f === graphs[0] ? lengthDelimited(MODEL_GRAPH, parts) : f.raw)))
}

// ONNX's field numbers (onnx.proto) and the few readings of them that the in-memory graph
// rewrites (halfOutputs.ts, tailGraph.ts) share.
import { type Field, messageFields } from './protobuf.js'

export const MODEL_GRAPH = 7
export const GRAPH_NODE = 1
export const GRAPH_INITIALIZER = 5
export const GRAPH_INPUT = 11
export const GRAPH_OUTPUT = 12
export const GRAPH_VALUE_INFO = 13
export const TENSOR_NAME = 8
export const NODE = { input: 1, output: 2, name: 3, opType: 4, attribute: 5 }
export const ATTRIBUTE = { name: 1, i: 3, type: 20 }
export const ATTRIBUTE_INT = 2
export const VALUE_INFO = { name: 1, type: 2 }
export const TYPE_TENSOR = 1
export const TENSOR_ELEM_TYPE = 1
export const TENSOR_SHAPE = 2
export const SHAPE_DIM = 1
export const DIM = { value: 1, param: 2 }
export const FLOAT = 1
export const FLOAT16 = 10

export const text = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('utf8')

/** The string field `num` of a message field's payload (a name). */
export const nameOf = (f: Field, num: number): string => text(messageFields(f.payload!).find((v) => v.num === num)?.payload)

/** A ValueInfoProto's tensor type (TypeProto.Tensor) fields; null when it is not a tensor. */
export function tensorType(valueInfo: Uint8Array): Field[] | null {
  const type = messageFields(valueInfo).find((f) => f.num === VALUE_INFO.type)?.payload
  const tensor = type && messageFields(type).find((f) => f.num === TYPE_TENSOR)?.payload
  return tensor ? messageFields(tensor) : null
}

/** The elem_type of a ValueInfoProto's tensor type; null when it is not a tensor. */
export function elemType(valueInfo: Uint8Array): number | null {
  return tensorType(valueInfo)?.find((f) => f.num === TENSOR_ELEM_TYPE)?.value ?? null
}

// What the restricted unpickler builds from a checkpoint's pickle: plain data (None, bools,
// numbers, strings, lists, tuples, dicts), argparse.Namespace objects, and references to
// tensors whose bytes stay in the file until a caller asks for them.

/** Element types of torch storages the reader knows. */
export type TorchDtype = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool' | 'complex64' | 'complex128'

/** The storage classes a pickle names (`torch FloatStorage`), by class name. */
export const storageClassDtypes: Readonly<Record<string, TorchDtype>> = {
  DoubleStorage: 'float64',
  FloatStorage: 'float32',
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
  // a storage saved on its own (not through a tensor) is untyped: bytes
  UntypedStorage: 'uint8',
}

/** Bytes per element of each dtype. */
export const dtypeSize: Readonly<Record<TorchDtype, number>> = {
  float64: 8,
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
  complex64: 8,
  complex128: 16,
}

/** A storage as the pickle's persistent id describes it; its bytes are still in the file. */
export interface StorageRef {
  readonly kind: 'storage'
  /** The record name (zip: `data/<key>`) or root key (legacy) of the bytes. */
  readonly key: string
  readonly dtype: TorchDtype
  /** Elements of the whole stored storage. */
  readonly numel: number
  /** Where the storage lived when saved ('cpu', 'cuda:0'); informational. */
  readonly location: string
  /** Legacy storage views: the first element of the view inside the root storage. */
  readonly viewOffset: number
  /** Legacy storage views: elements of the view (equals numel otherwise). */
  readonly viewNumel: number
}

/** A tensor the pickle rebuilds (`torch._utils._rebuild_tensor_v2`), without its data. */
export interface TensorRef {
  readonly kind: 'tensor'
  readonly storage: StorageRef
  readonly dtype: TorchDtype
  readonly storageOffset: number
  readonly shape: readonly number[]
  readonly stride: readonly number[]
  readonly requiresGrad: boolean
}

/** A tensor read from the file: its elements in row-major order as float32. */
export interface CheckpointTensor {
  readonly kind: 'loaded-tensor'
  /** The dtype stored in the file; `data` holds its values converted to float32. */
  readonly dtype: TorchDtype
  readonly shape: readonly number[]
  /** Stride and offset as saved (in elements); `data` is already contiguous. */
  readonly stride: readonly number[]
  readonly storageOffset: number
  readonly data: Float32Array
}

/** A global the pickle named and the reader allows, e.g. `collections.OrderedDict`. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`
  }
}

/** An `argparse.Namespace` (a checkpoint's `train_args`): its attributes in pickle order. */
export class Namespace {
  readonly fields: Record<string, PickleValue> = Object.create(null) as Record<string, PickleValue>
}

/** A Python dict or OrderedDict; insertion order is the file's order. */
export type PickleDict = Map<PickleValue, PickleValue>
/** A Python tuple (frozen, so APPEND on it is refused). */
export type PickleTuple = readonly PickleValue[]

export type PickleValue =
  null | boolean | number | bigint | string | PickleValue[] | PickleTuple | PickleDict | Namespace | TensorRef | CheckpointTensor | StorageRef | PickleGlobal

/** Whether a value is a Python tuple (lists are plain arrays, tuples are frozen ones). */
export function isTuple(value: PickleValue): value is PickleTuple {
  return Array.isArray(value) && Object.isFrozen(value)
}

/** Whether a value is a Python list. */
export function isList(value: PickleValue): value is PickleValue[] {
  return Array.isArray(value) && !Object.isFrozen(value)
}

export function isTensorRef(value: PickleValue): value is TensorRef {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'tensor'
}

export function isStorageRef(value: PickleValue): value is StorageRef {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'kind' in value && value.kind === 'storage'
}

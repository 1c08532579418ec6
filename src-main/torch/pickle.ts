// A restricted unpickler for the pickles torch.save writes (protocol 2). It is a small stack
// machine over the opcodes those files use; it never imports or calls anything. A GLOBAL
// outside the allow-list stops it at once with E_CHECKPOINT_UNSAFE, and the allowed globals
// are only ever applied through the fixed table in `reduce`, so a file can build plain data,
// argparse.Namespace objects and tensor references, nothing else.
import { CheckpointError, checkpointErrorCodes, formatError, truncatedError } from './errors.js'
import {
  Namespace,
  PickleGlobal,
  type PickleDict,
  type PickleTuple,
  type PickleValue,
  type StorageRef,
  type TensorRef,
  isStorageRef,
  isTensorRef,
  isTuple,
  storageClassDtypes,
} from './values.js'

/** Bytes the unpickler pulls from; `position` is counted from the start of the pickle's source. */
export interface PickleInput {
  readonly position: number
  readByte(): number
  /** The next `length` bytes; the view may be reused by the next read. */
  read(length: number): Uint8Array
}

/** A pickle held in memory. */
export class BytesInput implements PickleInput {
  position = 0
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what = 'pickle',
  ) {}
  readByte(): number {
    if (this.position >= this.bytes.length) throw truncatedError(`the ${this.what} ends early (at byte ${this.position})`)
    return this.bytes[this.position++]
  }
  read(length: number): Uint8Array {
    if (length > this.bytes.length - this.position) throw truncatedError(`the ${this.what} ends early (wanted ${length} bytes at ${this.position})`)
    const view = this.bytes.subarray(this.position, this.position + length)
    this.position += length
    return view
  }
}

export interface UnpickleOptions {
  /** Turns a BINPERSID id (torch: a tuple describing a storage) into a value. */
  persistentLoad?: (pid: PickleValue) => PickleValue
}

const storageModule = 'torch'
// Python 3 writes protocol-2 pickles with Python 2 module names (fix_imports): builtins is
// __builtin__ and copyreg is copy_reg there, so both spellings name the same thing.
const allowedGlobals = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'argparse.Namespace',
  'copyreg._reconstructor',
  'copy_reg._reconstructor',
  'builtins.object',
  '__builtin__.object',
  ...Object.keys(storageClassDtypes).map((name) => `${storageModule}.${name}`),
])

/** Whether the unpickler accepts a GLOBAL naming `module.name`. */
export function isAllowedGlobal(module: string, name: string): boolean {
  return allowedGlobals.has(`${module}.${name}`)
}

/** The storage dtype a GLOBAL names, or undefined when it names no storage class. */
export function storageGlobalDtype(value: PickleValue): StorageRef['dtype'] | undefined {
  if (!(value instanceof PickleGlobal) || value.module !== storageModule) return undefined
  return storageClassDtypes[value.name]
}

const op = {
  PROTO: 0x80,
  STOP: 0x2e, // .
  GLOBAL: 0x63, // c
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a, // j
  MARK: 0x28, // (
  EMPTY_DICT: 0x7d, // }
  EMPTY_LIST: 0x5d, // ]
  EMPTY_TUPLE: 0x29, // )
  TUPLE: 0x74, // t
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  LONG1: 0x8a,
  BINFLOAT: 0x47, // G
  BINUNICODE: 0x58, // X
  SHORT_BINSTRING: 0x55, // U
  BINSTRING: 0x54, // T
  NONE: 0x4e, // N
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  SETITEM: 0x73, // s
  SETITEMS: 0x75, // u
  APPEND: 0x61, // a
  APPENDS: 0x65, // e
  REDUCE: 0x52, // R
  BUILD: 0x62, // b
  NEWOBJ: 0x81,
  BINPERSID: 0x51, // Q
} as const

const utf8 = new TextDecoder('utf-8', { fatal: true })
const maxGlobalLine = 256
/** A checkpoint's strings are names and settings; a longer one is a corrupt or hostile length. */
export const maxStringBytes = 64 << 20

function decodeUtf8(bytes: Uint8Array, at: number): string {
  try {
    return utf8.decode(bytes)
  } catch (e) {
    throw new CheckpointError(checkpointErrorCodes.format, `invalid UTF-8 in a pickle string at byte ${at}`, { cause: e })
  }
}

function readLine(input: PickleInput): string {
  const start = input.position
  const bytes: number[] = []
  for (;;) {
    const b = input.readByte()
    if (b === 0x0a) break
    // printable ASCII only: module and attribute names, nothing else
    if (b < 0x20 || b > 0x7e || bytes.length >= maxGlobalLine) throw formatError(`malformed GLOBAL name at byte ${start}`)
    bytes.push(b)
  }
  return String.fromCharCode(...bytes)
}

/** A Python int as a number when it is exact, else a bigint. */
function intValue(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
}

function readLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0
  let value = 0n
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i])
  // two's complement: the top bit of the last byte is the sign
  if (bytes[bytes.length - 1] & 0x80) value -= 1n << BigInt(8 * bytes.length)
  return intValue(value)
}

function tuple(items: PickleValue[]): PickleTuple {
  return Object.freeze(items)
}

function isDict(value: PickleValue): value is PickleDict {
  return value instanceof Map
}

function describe(value: PickleValue): string {
  if (value === null) return 'None'
  if (value instanceof PickleGlobal) return value.qualifiedName
  if (value instanceof Map) return 'dict'
  if (value instanceof Namespace) return 'Namespace'
  if (Array.isArray(value)) return isTuple(value) ? 'tuple' : 'list'
  if (typeof value === 'object') return (value as { kind: string }).kind
  return typeof value
}

function isHashable(key: PickleValue): boolean {
  // iterative: a hostile pickle can nest tuples deeper than the call stack
  const pending = [key]
  while (pending.length > 0) {
    const value = pending.pop() as PickleValue
    if (value === null || typeof value !== 'object') continue
    if (!isTuple(value)) return false
    pending.push(...value)
  }
  return true
}

function nonNegativeInt(value: PickleValue, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw formatError(`${what} must be a non-negative int, got ${describe(value)}`)
  return value
}

function intTuple(value: PickleValue, what: string): number[] {
  if (!isTuple(value)) throw formatError(`${what} must be a tuple, got ${describe(value)}`)
  return value.map((v, i) => nonNegativeInt(v, `${what}[${i}]`))
}

// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
// backward_hooks[, metadata])
function rebuildTensor(args: PickleTuple): TensorRef {
  if (args.length < 6 || args.length > 7) throw formatError(`_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`)
  const [storage, offset, size, stride, requiresGrad] = args
  if (!isStorageRef(storage)) throw formatError(`_rebuild_tensor_v2 needs a storage, got ${describe(storage)}`)
  const shape = intTuple(size, 'tensor size')
  const strides = intTuple(stride, 'tensor stride')
  if (shape.length !== strides.length) throw formatError(`tensor size ${shape.length}-d but stride ${strides.length}-d`)
  if (typeof requiresGrad !== 'boolean') throw formatError('_rebuild_tensor_v2 requires_grad must be a bool')
  return {
    kind: 'tensor',
    storage,
    dtype: storage.dtype,
    storageOffset: nonNegativeInt(offset, 'tensor storage offset'),
    shape,
    stride: strides,
    requiresGrad,
  }
}

/** Applies an allowed callable (REDUCE). Anything outside this table is refused. */
function reduce(callable: PickleValue, args: PickleValue): PickleValue {
  if (!(callable instanceof PickleGlobal)) throw formatError(`REDUCE on ${describe(callable)}, which is not callable`)
  if (!isTuple(args)) throw formatError(`REDUCE arguments must be a tuple, got ${describe(args)}`)
  switch (callable.qualifiedName) {
    case 'collections.OrderedDict':
      if (args.length !== 0) throw formatError('OrderedDict is only rebuilt empty, then filled by SETITEMS')
      return new Map()
    case 'torch._utils._rebuild_tensor_v2':
      return rebuildTensor(args)
    case 'torch._utils._rebuild_parameter': {
      // (data, requires_grad, backward_hooks): a Parameter is its tensor here
      const [data, requiresGrad] = args
      if (args.length !== 3 || !isTensorRef(data) || typeof requiresGrad !== 'boolean') throw formatError('malformed _rebuild_parameter arguments')
      return { ...data, requiresGrad }
    }
    case 'copyreg._reconstructor':
    case 'copy_reg._reconstructor': {
      // (cls, base, state): how protocols 0 and 1 rebuild a plain object; only Namespace here
      const [cls, base, state] = args
      if (args.length !== 3 || !(cls instanceof PickleGlobal) || cls.qualifiedName !== 'argparse.Namespace')
        throw formatError('_reconstructor is only allowed for argparse.Namespace')
      if (!(base instanceof PickleGlobal) || base.name !== 'object' || state !== null)
        throw formatError('_reconstructor of Namespace must use object and no state')
      return new Namespace()
    }
    default:
      throw new CheckpointError(checkpointErrorCodes.unsafe, `the checkpoint calls ${callable.qualifiedName}, which a checkpoint reader does not run`)
  }
}

/** NEWOBJ: cls.__new__(cls, *args); only argparse.Namespace is created this way. */
function newObject(cls: PickleValue, args: PickleValue): PickleValue {
  if (!(cls instanceof PickleGlobal) || cls.qualifiedName !== 'argparse.Namespace')
    throw formatError(`NEWOBJ is only allowed for argparse.Namespace, got ${describe(cls)}`)
  if (!isTuple(args) || args.length !== 0) throw formatError('NEWOBJ of Namespace takes no arguments')
  return new Namespace()
}

/** BUILD: sets an object's state (Namespace attributes; a state dict's _metadata). */
function build(target: PickleValue, state: PickleValue): void {
  if (target instanceof Namespace) {
    if (!isDict(state)) throw formatError(`Namespace state must be a dict, got ${describe(state)}`)
    for (const [key, value] of state) {
      if (typeof key !== 'string') throw formatError('Namespace attribute names must be strings')
      target.fields[key] = value
    }
    return
  }
  if (isDict(target)) {
    // OrderedDict.__reduce__ passes the instance __dict__ (a state dict's `_metadata`): the
    // reader has no use for it, but it must be plain data like the rest
    if (state !== null && !isDict(state)) throw formatError(`dict state must be a dict, got ${describe(state)}`)
    return
  }
  throw formatError(`BUILD on ${describe(target)} is not allowed`)
}

/**
 * Runs a protocol-2 pickle in the restricted machine and returns the object it builds.
 * Throws CheckpointError: E_CHECKPOINT_UNSAFE for a forbidden global (before it is used),
 * E_CHECKPOINT_FORMAT for an unknown opcode or malformed stream, E_CHECKPOINT_TRUNCATED
 * when the input ends before STOP.
 */
export function unpickle(input: PickleInput, options: UnpickleOptions = {}): PickleValue {
  const stack: PickleValue[] = []
  const marks: number[] = []
  const memo = new Map<number, PickleValue>()

  const pop = (): PickleValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) throw formatError(`stack underflow at byte ${input.position - 1}`)
    return stack.pop() as PickleValue
  }
  const top = (): PickleValue => {
    if (stack.length === 0) throw formatError(`stack underflow at byte ${input.position - 1}`)
    return stack[stack.length - 1]
  }
  const popMark = (): PickleValue[] => {
    const mark = marks.pop()
    if (mark === undefined) throw formatError(`no MARK before byte ${input.position - 1}`)
    return stack.splice(mark)
  }
  const u32 = (): number => {
    const b = input.read(4)
    return (b[0] | (b[1] << 8) | (b[2] << 16)) + b[3] * 0x1000000
  }
  const put = (index: number): void => {
    memo.set(index, top())
  }
  const get = (index: number): void => {
    if (!memo.has(index)) throw formatError(`memo ${index} read before it was written`)
    stack.push(memo.get(index) as PickleValue)
  }
  const setItems = (dict: PickleValue, items: PickleValue[]): void => {
    if (!isDict(dict)) throw formatError(`SETITEM on ${describe(dict)}`)
    if (items.length % 2 !== 0) throw formatError('SETITEMS with an odd number of items')
    for (let i = 0; i < items.length; i += 2) {
      if (!isHashable(items[i])) throw formatError(`unhashable dict key (${describe(items[i])})`)
      dict.set(items[i], items[i + 1])
    }
  }
  const append = (list: PickleValue, items: PickleValue[]): void => {
    if (!Array.isArray(list) || isTuple(list)) throw formatError(`APPEND on ${describe(list)}`)
    for (const item of items) (list as PickleValue[]).push(item)
  }
  const string = (length: number): string => {
    const at = input.position
    if (length > maxStringBytes) throw formatError(`a ${length}-byte string at byte ${at}`)
    return decodeUtf8(input.read(length), at)
  }

  for (;;) {
    const at = input.position
    const code = input.readByte()
    switch (code) {
      case op.PROTO: {
        const version = input.readByte()
        if (version > 2) throw formatError(`pickle protocol ${version} is not supported (torch.save writes protocol 2)`)
        break
      }
      case op.STOP:
        if (stack.length !== 1 || marks.length !== 0) throw formatError(`STOP with ${stack.length} values on the stack`)
        return stack[0]
      case op.GLOBAL: {
        const module = readLine(input)
        const name = readLine(input)
        if (!isAllowedGlobal(module, name)) {
          throw new CheckpointError(
            checkpointErrorCodes.unsafe,
            `the checkpoint names ${module}.${name}, which is not allowed in a checkpoint (only tensors, state dicts and argparse.Namespace are); nothing in it was run`,
          )
        }
        stack.push(new PickleGlobal(module, name))
        break
      }
      case op.BINPUT:
        put(input.readByte())
        break
      case op.LONG_BINPUT:
        put(u32())
        break
      case op.BINGET:
        get(input.readByte())
        break
      case op.LONG_BINGET:
        get(u32())
        break
      case op.MARK:
        marks.push(stack.length)
        break
      case op.EMPTY_DICT:
        stack.push(new Map())
        break
      case op.EMPTY_LIST:
        stack.push([])
        break
      case op.EMPTY_TUPLE:
        stack.push(tuple([]))
        break
      case op.TUPLE:
        stack.push(tuple(popMark()))
        break
      case op.TUPLE1: {
        const a = pop()
        stack.push(tuple([a]))
        break
      }
      case op.TUPLE2: {
        const b = pop()
        const a = pop()
        stack.push(tuple([a, b]))
        break
      }
      case op.TUPLE3: {
        const c = pop()
        const b = pop()
        const a = pop()
        stack.push(tuple([a, b, c]))
        break
      }
      case op.BININT: {
        const b = input.read(4)
        stack.push(b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24))
        break
      }
      case op.BININT1:
        stack.push(input.readByte())
        break
      case op.BININT2: {
        const b = input.read(2)
        stack.push(b[0] | (b[1] << 8))
        break
      }
      case op.LONG1:
        stack.push(readLong(input.read(input.readByte())))
        break
      case op.BINFLOAT: {
        const b = input.read(8)
        stack.push(new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, false))
        break
      }
      case op.BINUNICODE:
        stack.push(string(u32()))
        break
      case op.SHORT_BINSTRING:
        // a Python 2 str; torch.load decodes these as UTF-8
        stack.push(string(input.readByte()))
        break
      case op.BINSTRING: {
        const length = u32()
        if (length >= 0x80000000) throw formatError(`negative BINSTRING length at byte ${at}`)
        stack.push(string(length))
        break
      }
      case op.NONE:
        stack.push(null)
        break
      case op.NEWTRUE:
        stack.push(true)
        break
      case op.NEWFALSE:
        stack.push(false)
        break
      case op.SETITEM: {
        const value = pop()
        const key = pop()
        setItems(top(), [key, value])
        break
      }
      case op.SETITEMS: {
        const items = popMark()
        setItems(top(), items)
        break
      }
      case op.APPEND: {
        const item = pop()
        append(top(), [item])
        break
      }
      case op.APPENDS: {
        const items = popMark()
        append(top(), items)
        break
      }
      case op.REDUCE: {
        const args = pop()
        const callable = pop()
        stack.push(reduce(callable, args))
        break
      }
      case op.NEWOBJ: {
        const args = pop()
        const cls = pop()
        stack.push(newObject(cls, args))
        break
      }
      case op.BUILD: {
        const state = pop()
        build(top(), state)
        break
      }
      case op.BINPERSID: {
        const pid = pop()
        if (!options.persistentLoad) throw formatError(`persistent id at byte ${at} in a pickle that may not have one`)
        stack.push(options.persistentLoad(pid))
        break
      }
      default:
        throw formatError(`unknown or unsupported pickle opcode 0x${code.toString(16).padStart(2, '0')} at byte ${at}`)
    }
  }
}

// Reads PyTorch checkpoints (torch.save) without Python, in both layouts torch writes:
//   zip (torch >= 1.6): <dir>/data.pkl plus one stored record <dir>/data/<key> per storage;
//   legacy (torch < 1.6, or _use_new_zipfile_serialization=False): pickled magic number,
//   protocol version and sys_info, the object pickle, the pickled list of storage keys, then
//   per storage an 8-byte little-endian element count and its raw little-endian bytes.
// Opening a checkpoint runs only its pickles (metadata) through the restricted unpickler;
// tensor bytes stay in the file until a caller asks for those tensors, so importing g_ema
// from a file that also holds optimiser states never reads the optimiser states.
import { constants } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { inflateRawSync } from 'node:zlib'
import { CheckpointError, checkpointErrorCodes, formatError, truncatedError } from './errors.js'
import { FileInput, readAt } from './fileBytes.js'
import { BytesInput, storageGlobalDtype, unpickle } from './pickle.js'
import { decodeElements, elementCount, gather, lastElement } from './tensorData.js'
import {
  type CheckpointTensor,
  Namespace,
  type PickleDict,
  type PickleValue,
  type StorageRef,
  type TensorRef,
  type TorchDtype,
  dtypeSize,
  isList,
  isTensorRef,
  isTuple,
} from './values.js'
import { type ZipEntry, readZipDirectory, zipEntryDataOffset } from './zip.js'

export type CheckpointLayout = 'zip' | 'legacy'

/** torch.save's legacy magic number and protocol version. */
const legacyMagic = 0x1950a86a20f9469cfc6cn
const legacyProtocolVersion = 1001
/** data.pkl of a state-dict checkpoint is kilobytes to a few megabytes. */
const maxPickleRecord = 512 << 20
/** Containers nested deeper than this are no checkpoint's; the loader's recursion stops here. */
const maxDepth = 1000
/**
 * A view read as one span: every storage element from its first to its last. A view that
 * touches few of many elements (a hostile stride over a large storage) is refused instead,
 * and so is the reverse, a few stored elements repeated into a large tensor (stride 0): the
 * loaded float32 copy of a tensor is at most about twice its stored bytes, or this size.
 */
const maxSparseSpanBytes = 16 << 20

/** Where a storage's elements are in the file. */
interface StoredBytes {
  /** File position of element 0 of the root storage. */
  position: number
  /** Elements available there. */
  numel: number
}

interface Layout {
  readonly kind: CheckpointLayout
  locate(storage: StorageRef): Promise<StoredBytes>
}

function describeStart(head: Uint8Array): string {
  const text = new TextDecoder('utf-8')
    .decode(head)
    .replace(/^\uFEFF/, '')
    .trimStart()
  if (text.startsWith('<')) {
    const html = /^<(!doctype html|html|head|body|!--)/i.test(text)
    return html
      ? 'it is an HTML page (a download link that returned a web page instead of the file?)'
      : 'it starts with "<", like an HTML or XML page (a download link that returned a web page instead of the file?)'
  }
  if (text.startsWith('{') || text.startsWith('[')) return 'it looks like JSON text'
  return 'it starts with neither a zip header nor a pickle'
}

function persistentStorage(pid: PickleValue, legacy: boolean): StorageRef {
  // zip: ('storage', storage_type, key, location, numel)
  // legacy: ('storage', storage_type, root_key, location, numel, view_metadata)
  if (!isTuple(pid) || pid[0] !== 'storage' || pid.length !== (legacy ? 6 : 5)) throw formatError('a persistent id that is not a torch storage')
  const [, type, key, location, numel] = pid
  const dtype = storageGlobalDtype(type)
  if (dtype === undefined) throw formatError('a storage persistent id without a storage class')
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(key)) throw formatError('a storage key that is not a plain name')
  if (typeof location !== 'string') throw formatError('a storage location that is not a string')
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw formatError('a storage size that is not a non-negative int')
  let viewOffset = 0
  let viewNumel = numel
  const view = legacy ? pid[5] : null
  if (view !== null) {
    // (view_key, offset, size) in elements of the root storage
    if (!isTuple(view) || view.length !== 3 || typeof view[1] !== 'number' || typeof view[2] !== 'number') throw formatError('malformed storage view metadata')
    viewOffset = view[1]
    viewNumel = view[2]
    if (!(viewOffset >= 0 && viewNumel >= 0 && viewOffset + viewNumel <= numel)) throw formatError('a storage view outside its storage')
  }
  return { kind: 'storage', key, dtype, numel, location, viewOffset, viewNumel }
}

class ZipLayout implements Layout {
  readonly kind = 'zip'
  private readonly offsets = new Map<string, Promise<number>>()
  constructor(
    private readonly file: FileHandle,
    private readonly fileSize: number,
    private readonly entries: Map<string, ZipEntry>,
    private readonly prefix: string,
  ) {}

  async locate(storage: StorageRef): Promise<StoredBytes> {
    const name = `${this.prefix}data/${storage.key}`
    const entry = this.entries.get(name)
    if (!entry) throw formatError(`the archive has no record ${name}`)
    if (entry.method !== 0) throw formatError(`record ${name} is compressed; torch stores tensor records uncompressed`)
    let offset = this.offsets.get(name)
    if (!offset) {
      offset = zipEntryDataOffset(this.file, this.fileSize, entry)
      this.offsets.set(name, offset)
    }
    const size = dtypeSize[storage.dtype]
    if (entry.size < storage.numel * size) throw formatError(`record ${name} holds ${entry.size} bytes, the storage needs ${storage.numel * size}`)
    return { position: await offset, numel: storage.numel }
  }
}

class LegacyLayout implements Layout {
  readonly kind = 'legacy'
  private readonly verified = new Set<string>()
  constructor(
    private readonly file: FileHandle,
    private readonly positions: Map<string, number>,
  ) {}

  async locate(storage: StorageRef): Promise<StoredBytes> {
    const position = this.positions.get(storage.key)
    if (position === undefined) throw formatError(`storage ${storage.key} is not in the file's storage list`)
    if (!this.verified.has(storage.key)) {
      const header = await readAt(this.file, position, 8, `the header of storage ${storage.key}`)
      const count = new DataView(header.buffer).getBigUint64(0, true)
      if (count !== BigInt(storage.numel)) throw formatError(`storage ${storage.key} holds ${count} elements, the pickle says ${storage.numel}`)
      this.verified.add(storage.key)
    }
    return { position: position + 8, numel: storage.numel }
  }
}

async function openZip(file: FileHandle, fileSize: number): Promise<{ root: PickleValue; layout: Layout }> {
  const entries = await readZipDirectory(file, fileSize)
  const pickles = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name))
  if (pickles.length !== 1)
    throw formatError(pickles.length ? 'the archive holds more than one data.pkl' : 'a zip archive without data.pkl: not a torch.save checkpoint')
  const pickleEntry = entries.get(pickles[0]) as ZipEntry
  const prefix = pickles[0].slice(0, -'data.pkl'.length)
  const byteorder = entries.get(`${prefix}byteorder`)
  if (byteorder) {
    const at = await zipEntryDataOffset(file, fileSize, byteorder)
    const order = new TextDecoder().decode(await readAt(file, at, Math.min(byteorder.compressedSize, 16), 'the byteorder record'))
    if (byteorder.method === 0 && order !== 'little') throw formatError(`the checkpoint was saved ${order}-endian`)
  }
  if (pickleEntry.compressedSize > maxPickleRecord || pickleEntry.size > maxPickleRecord) throw formatError(`data.pkl is too large (${pickleEntry.size} bytes)`)
  const at = await zipEntryDataOffset(file, fileSize, pickleEntry)
  let bytes = await readAt(file, at, pickleEntry.compressedSize, 'data.pkl')
  if (pickleEntry.method === 8) {
    try {
      bytes = inflateRawSync(bytes, { maxOutputLength: maxPickleRecord })
    } catch (e) {
      throw new CheckpointError(checkpointErrorCodes.format, 'data.pkl cannot be inflated', { cause: e })
    }
  } else if (pickleEntry.method !== 0) {
    throw formatError(`data.pkl uses zip method ${pickleEntry.method}`)
  }
  const root = unpickle(new BytesInput(bytes, 'data.pkl'), { persistentLoad: (pid) => persistentStorage(pid, false) })
  return { root, layout: new ZipLayout(file, fileSize, entries, prefix) }
}

async function openLegacy(file: FileHandle, fileSize: number): Promise<{ root: PickleValue; layout: Layout }> {
  const input = new FileInput(file.fd, fileSize, 0, 'the checkpoint header')
  const magic = unpickle(input)
  if (magic !== legacyMagic)
    throw new CheckpointError(checkpointErrorCodes.notCheckpoint, "not a PyTorch checkpoint: the file is a pickle without torch.save's magic number")
  const version = unpickle(input)
  if (version !== legacyProtocolVersion) throw formatError(`legacy checkpoint protocol ${String(version)} is not supported (expected ${legacyProtocolVersion})`)
  const sysInfo = unpickle(input)
  if (!(sysInfo instanceof Map)) throw formatError('legacy checkpoint sys_info is not a dict')
  if (sysInfo.get('little_endian') !== true) throw formatError('the checkpoint was saved on a big-endian machine')
  const storages = new Map<string, StorageRef>()
  const objectInput = new FileInput(file.fd, fileSize, input.position, 'the checkpoint pickle')
  const root = unpickle(objectInput, {
    persistentLoad: (pid) => {
      const storage = persistentStorage(pid, true)
      const seen = storages.get(storage.key)
      if (seen && (seen.dtype !== storage.dtype || seen.numel !== storage.numel)) throw formatError(`storage ${storage.key} is described two ways`)
      if (!seen) storages.set(storage.key, storage)
      return storage
    },
  })
  const keysInput = new FileInput(file.fd, fileSize, objectInput.position, 'the storage list')
  const keys = unpickle(keysInput)
  if (!isList(keys) || !keys.every((k) => typeof k === 'string')) throw formatError('the storage list is not a list of keys')
  // the storages follow one after another in the list's order; their sizes come from the pickle
  const positions = new Map<string, number>()
  let position = keysInput.position
  for (const key of keys as string[]) {
    const storage = storages.get(key)
    if (!storage) throw formatError(`the storage list names ${key}, which no tensor uses`)
    if (positions.has(key)) throw formatError(`the storage list names ${key} twice`)
    positions.set(key, position)
    position += 8 + storage.numel * dtypeSize[storage.dtype]
  }
  if (position > fileSize) throw truncatedError(`the checkpoint is cut off: its storages end at byte ${position}, the file has ${fileSize}`)
  return { root, layout: new LegacyLayout(file, positions) }
}

/** An open checkpoint: its object tree (tensors as references) and the file to read tensors from. */
export class Checkpoint {
  private constructor(
    private readonly file: FileHandle,
    /** The object torch.save was given; tensors in it are references until loaded. */
    readonly root: PickleValue,
    private readonly layout: Layout,
  ) {}

  get format(): CheckpointLayout {
    return this.layout.kind
  }

  /**
   * Opens a torch.save file and runs its pickles through the restricted unpickler; no tensor
   * bytes are read. Throws CheckpointError (E_CHECKPOINT_NOT_CHECKPOINT, _FORMAT,
   * _TRUNCATED, _UNSAFE, _READ).
   */
  static async open(path: string): Promise<Checkpoint> {
    let file: FileHandle
    try {
      file = await open(path, constants.O_RDONLY)
    } catch (e) {
      throw new CheckpointError(checkpointErrorCodes.read, `cannot open ${path}: ${(e as Error).message}`, { cause: e })
    }
    try {
      const stat = await file.stat()
      if (!stat.isFile()) throw new CheckpointError(checkpointErrorCodes.read, `${path} is not a regular file`)
      const size = stat.size
      if (size === 0) throw new CheckpointError(checkpointErrorCodes.notCheckpoint, 'not a PyTorch checkpoint: the file is empty')
      const head = await readAt(file, 0, Math.min(size, 512), 'the file header')
      let opened: { root: PickleValue; layout: Layout }
      if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
        opened = await openZip(file, size)
      } else if (head[0] === 0x80 && head.length >= 2 && head[1] <= 5) {
        opened = await openLegacy(file, size)
      } else if (head.length >= 262 && new TextDecoder().decode(head.subarray(257, 262)) === 'ustar') {
        throw formatError('this is the tar layout of torch before 0.4, which is not supported')
      } else {
        throw new CheckpointError(checkpointErrorCodes.notCheckpoint, `not a PyTorch checkpoint: ${describeStart(head)}`)
      }
      return new Checkpoint(file, opened.root, opened.layout)
    } catch (e) {
      await file.close()
      if (e instanceof CheckpointError) throw e
      // a failed system call is the file's fault to read; anything else is the bytes' fault
      const code = (e as { syscall?: unknown }).syscall ? checkpointErrorCodes.read : checkpointErrorCodes.format
      throw new CheckpointError(code, `cannot read ${path}: ${(e as Error).message}`, { cause: e })
    }
  }

  /** A top-level entry of a dict checkpoint (`g_ema`, `train_args`); E_CHECKPOINT_MISSING_ENTRY if absent. */
  entry(key: string): PickleValue {
    if (!(this.root instanceof Map)) throw formatError('the checkpoint is not a dict')
    if (!this.root.has(key)) throw new CheckpointError(checkpointErrorCodes.missingEntry, `the checkpoint has no ${key}`)
    return this.root.get(key) as PickleValue
  }

  /** Reads one tensor's elements (only the bytes its view spans) as a contiguous Float32Array. */
  async loadTensor(tensor: TensorRef): Promise<CheckpointTensor> {
    const { storage, shape, stride, storageOffset, dtype } = tensor
    const numel = elementCount(shape)
    let data: Float32Array = new Float32Array(0)
    if (numel > 0) {
      const last = storageOffset + lastElement(shape, stride)
      if (last >= storage.viewNumel) throw formatError(`a tensor of shape [${shape.join(', ')}] reaches element ${last} of a storage of ${storage.viewNumel}`)
      const stored = await this.layout.locate(storage)
      const first = storage.viewOffset + storageOffset
      const count = last - storageOffset + 1
      if (first + count > stored.numel) throw formatError(`storage ${storage.key} is smaller than its tensors`)
      const size = dtypeSize[dtype]
      if (count > 2 * numel && count * size > maxSparseSpanBytes) throw formatError(`a tensor of ${numel} elements spread over ${count} storage elements`)
      if (numel > 2 * count && numel * 4 > maxSparseSpanBytes) throw formatError(`a tensor of ${numel} elements repeats ${count} stored elements`)
      const bytes = await readAt(this.file, stored.position + first * size, count * size, `storage ${storage.key}`)
      data = gather(decodeElements(bytes, dtype, count), shape, stride, numel)
    }
    return { kind: 'loaded-tensor', dtype, shape: [...shape], stride: [...stride], storageOffset, data }
  }

  /** A copy of `value` with every tensor in it loaded (dict order kept; shared objects stay shared). */
  async load(value: PickleValue): Promise<PickleValue> {
    const done = new Map<object, PickleValue>()
    const visit = async (v: PickleValue, depth = 0): Promise<PickleValue> => {
      if (v === null || typeof v !== 'object') return v
      const seen = done.get(v)
      if (seen !== undefined) return seen
      if (depth > maxDepth) throw formatError(`containers nested more than ${maxDepth} deep`)
      if (isTensorRef(v)) {
        const loaded = await this.loadTensor(v)
        done.set(v, loaded)
        return loaded
      }
      if (v instanceof Map) {
        const out: PickleDict = new Map()
        done.set(v, out)
        for (const [k, item] of v) out.set(k, await visit(item, depth + 1))
        return out
      }
      if (v instanceof Namespace) {
        const out = new Namespace()
        done.set(v, out)
        for (const [k, item] of Object.entries(v.fields)) out.fields[k] = await visit(item, depth + 1)
        return out
      }
      if (Array.isArray(v)) {
        if (Object.isFrozen(v)) {
          const items: PickleValue[] = []
          for (const item of v) items.push(await visit(item, depth + 1))
          const out = Object.freeze(items)
          done.set(v, out)
          return out
        }
        const out: PickleValue[] = []
        done.set(v, out)
        for (const item of v) out.push(await visit(item, depth + 1))
        return out
      }
      return v
    }
    return visit(value)
  }

  async close(): Promise<void> {
    await this.file.close()
  }
}

/**
 * Reads the named top-level entries of a dict checkpoint (e.g. g_ema, e_ema, train_args) with
 * their tensors loaded, in the order asked; the rest of the file's tensors are never read.
 */
export async function readCheckpoint(path: string, keys: readonly string[]): Promise<{ format: CheckpointLayout; entries: Map<string, PickleValue> }> {
  const checkpoint = await Checkpoint.open(path)
  try {
    const entries = new Map<string, PickleValue>()
    for (const key of keys) entries.set(key, await checkpoint.load(checkpoint.entry(key)))
    return { format: checkpoint.format, entries }
  } finally {
    await checkpoint.close()
  }
}

export type { TorchDtype }

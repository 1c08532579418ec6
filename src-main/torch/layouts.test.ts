// Both torch.save layouts written byte by byte, for what torch 1.13 cannot produce any more
// (the storage views of torch < 1.6's legacy files, saved from the GPU) and for hostile or
// broken files (views that reach outside their storage, missing records, absurd nesting).
// These need no python.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Checkpoint, readCheckpoint } from './checkpoint.js'
import { PROTO2, global, int, p, storedZip, u64, unicode } from './testing/bytes.js'
import { refusal } from './testing/refusal.js'
import { type CheckpointTensor } from './values.js'

type Part = string | number | number[] | Uint8Array
const tuple = (...items: Part[]): Part[] => ['(', ...items, 't']
const none = 'N'

/** _rebuild_tensor_v2(BINPERSID(pid), offset, size, stride, False, OrderedDict()) */
function tensor(pid: Part[], offset: number, shape: number[], stride: number[]): Part[] {
  return [
    global('torch._utils', '_rebuild_tensor_v2'),
    '(',
    ...pid,
    'Q',
    int(offset),
    ...tuple(...shape.map(int)),
    ...tuple(...stride.map(int)),
    0x89,
    global('collections', 'OrderedDict'),
    ')',
    'R',
    't',
    'R',
  ]
}

/** {'g_ema': OrderedDict(items)} */
function stateDictPickle(items: [string, Part[]][]): Uint8Array {
  return p(PROTO2, '}', unicode('g_ema'), global('collections', 'OrderedDict'), ')', 'R', ...items.flatMap(([k, v]) => [unicode(k), ...v, 's']), 's', '.')
}

const floats = (values: number[]): Uint8Array => new Uint8Array(Float32Array.from(values).buffer)
const magic = p(PROTO2, 0x8a, 10, [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], '.')
const protocolVersion = p(PROTO2, 'M', 0xe9, 0x03, '.')
const sysInfo = p(PROTO2, '}', unicode('protocol_version'), 'M', 0xe9, 0x03, 's', unicode('little_endian'), 0x88, 's', '.')

/** A legacy-layout file: header pickles, object pickle, key list, then each storage. */
function legacyFile(object: Uint8Array, storages: [string, Uint8Array, number][]): Uint8Array {
  const keys = p(PROTO2, ']', '(', ...storages.map(([k]) => unicode(k)), 'e', '.')
  return Buffer.concat([magic, protocolVersion, sysInfo, object, keys, ...storages.flatMap(([, bytes, numel]) => [p(u64(numel)), bytes])])
}

let dir: string
let n = 0
async function file(bytes: Uint8Array): Promise<string> {
  const name = path.join(dir, `f${n++}.pt`)
  await writeFile(name, bytes)
  return name
}

/** The reader refuses with E_CHECKPOINT_FORMAT, for the reason given. */
async function refusedWith(promise: Promise<unknown>, reason: RegExp): Promise<void> {
  const e = await refusal(promise)
  expect(e.code, e.message).toBe('E_CHECKPOINT_FORMAT')
  expect(e.message).toMatch(reason)
}

async function gEma(name: string): Promise<Map<string, CheckpointTensor>> {
  return (await readCheckpoint(name, ['g_ema'])).entries.get('g_ema') as Map<string, CheckpointTensor>
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stylemap-torch-layouts-'))
})
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('legacy layout written by hand', () => {
  // torch < 1.6 pid: ('storage', FloatStorage, root_key, location, root_numel, view_metadata)
  const pid = (key: string, numel: number, view: Part[] | null, type = 'FloatStorage'): Part[] =>
    tuple(unicode('storage'), global('torch', type), unicode(key), 'U', 6, 'cuda:0', int(numel), ...(view ?? [none]))

  it('reads a tensor on a storage view (offset and size in root elements) and one on the root, saved from the GPU', async () => {
    const root = [0, 1.5, 3, 4.5, 6, 7.5, 9, 10.5]
    const object = stateDictPickle([
      ['view', tensor(pid('root', 8, tuple(unicode('view1'), int(2), int(4))), 1, [3], [1])],
      ['root', tensor(pid('root', 8, null), 0, [2, 4], [4, 1])],
    ])
    const g = await gEma(await file(legacyFile(object, [['root', floats(root), 8]])))
    expect(Array.from(g.get('view')?.data ?? [])).toEqual([4.5, 6, 7.5])
    expect(Array.from(g.get('root')?.data ?? [])).toEqual(root)
  })

  it('finds each storage after the ones before it, reading none of them', async () => {
    const object = stateDictPickle([
      ['b', tensor(pid('b', 2, null, 'HalfStorage'), 0, [2], [1])],
      ['c', tensor(pid('c', 3, null, 'LongStorage'), 0, [3], [1])],
    ])
    const half = Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]) // 1.0, -2.0
    const long = p(u64(5), u64(2 ** 40), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) // 5, 2^40, -1
    const name = await file(
      legacyFile(object, [
        ['b', half, 2],
        ['c', long, 3],
      ]),
    )
    const g = await gEma(name)
    expect(Array.from(g.get('b')?.data ?? [])).toEqual([1, -2])
    expect(Array.from(g.get('c')?.data ?? [])).toEqual([5, 2 ** 40, -1])
  })

  it('refuses a view outside its storage, a tensor outside its view, and a storage list naming an unused key', async () => {
    const outsideView = stateDictPickle([['w', tensor(pid('root', 4, tuple(unicode('v'), int(2), int(4))), 0, [1], [1])]])
    await refusedWith(gEma(await file(legacyFile(outsideView, [['root', floats([1, 2, 3, 4]), 4]]))), /view outside its storage/)
    const outsideTensor = stateDictPickle([['w', tensor(pid('root', 4, tuple(unicode('v'), int(1), int(2))), 1, [2], [1])]])
    await refusedWith(gEma(await file(legacyFile(outsideTensor, [['root', floats([1, 2, 3, 4]), 4]]))), /reaches element 2 of a storage of 2/)
    const object = stateDictPickle([['w', tensor(pid('root', 1, null), 0, [1], [1])]])
    const unused = legacyFile(object, [
      ['root', floats([1]), 1],
      ['ghost', floats([1]), 1],
    ])
    await refusedWith(gEma(await file(unused)), /names ghost, which no tensor uses/)
  })

  it('refuses another protocol version and a big-endian sys_info', async () => {
    const object = stateDictPickle([])
    const v2 = Buffer.concat([magic, p(PROTO2, 'M', 0xea, 0x03, '.'), sysInfo, object, p(PROTO2, ']', '.')])
    await refusedWith(gEma(await file(v2)), /protocol 1002/)
    const bigEndian = Buffer.concat([magic, protocolVersion, p(PROTO2, '}', unicode('little_endian'), 0x89, 's', '.'), object, p(PROTO2, ']', '.')])
    await refusedWith(gEma(await file(bigEndian)), /big-endian/)
  })
})

describe('zip layout written by hand', () => {
  // torch >= 1.6 pid: ('storage', FloatStorage, key, location, numel)
  const pid = (key: string, numel: number): Part[] => tuple(unicode('storage'), global('torch', 'FloatStorage'), unicode(key), unicode('cpu'), int(numel))
  const archive = (pickle: Uint8Array, records: [string, Uint8Array][] = []) =>
    storedZip([['archive/data.pkl', pickle], ...records.map(([k, v]): [string, Uint8Array] => [`archive/data/${k}`, v])])

  it('reads a record under any archive folder name', async () => {
    const g = await gEma(await file(archive(stateDictPickle([['w', tensor(pid('0', 3), 0, [3], [1])]]), [['0', floats([1, 2, 3])]])))
    expect(Array.from(g.get('w')?.data ?? [])).toEqual([1, 2, 3])
  })

  it('refuses a tensor past its storage, a missing record and a record shorter than its storage', async () => {
    const past = archive(stateDictPickle([['w', tensor(pid('0', 3), 1, [3], [1])]]), [['0', floats([1, 2, 3])]])
    await refusedWith(gEma(await file(past)), /reaches element 3/)
    const missing = archive(stateDictPickle([['w', tensor(pid('1', 3), 0, [3], [1])]]), [['0', floats([1, 2, 3])]])
    await refusedWith(gEma(await file(missing)), /no record/)
    const short = archive(stateDictPickle([['w', tensor(pid('0', 4), 0, [4], [1])]]), [['0', floats([1, 2, 3])]])
    await refusedWith(gEma(await file(short)), /holds 12 bytes, the storage needs 16/)
  })

  it('refuses a two-element view strided across a 20 MB storage instead of reading the span', async () => {
    const numel = 5_000_001
    const sparse = archive(stateDictPickle([['w', tensor(pid('0', numel), 0, [2], [5_000_000])]]), [['0', new Uint8Array(numel * 4)]])
    const e = await refusal(gEma(await file(sparse)))
    expect(e.code).toBe('E_CHECKPOINT_FORMAT')
    expect(e.message).toMatch(/spread over/)
  })

  it('refuses a tensor that repeats one stored element 2^31 - 1 times (stride 0) instead of filling 8 GB', async () => {
    const huge = archive(stateDictPickle([['w', tensor(pid('0', 1), 0, [0x7fffffff], [0])]]), [['0', floats([1])]])
    await refusedWith(gEma(await file(huge)), /repeats/)
    // a small expanded tensor (torch's expand) still reads
    const small = archive(stateDictPickle([['w', tensor(pid('0', 2), 0, [2, 3], [1, 0])]]), [['0', floats([1, 2])]])
    expect(Array.from((await gEma(await file(small))).get('w')?.data ?? [])).toEqual([1, 1, 1, 2, 2, 2])
  })

  it('refuses lists nested 5000 deep when loading them (opening still works)', async () => {
    const deep = p(PROTO2, '}', unicode('g_ema'), new Array<number>(5000).fill(0x5d), new Array<number>(4999).fill(0x61), 's', '.')
    const name = await file(archive(deep))
    const checkpoint = await Checkpoint.open(name)
    await checkpoint.close()
    await refusedWith(gEma(name), /nested/)
  })

  it('refuses two data.pkl records, a big-endian byteorder record and a checkpoint that is not a dict', async () => {
    const pickle = stateDictPickle([])
    const two = storedZip([
      ['a/data.pkl', pickle],
      ['b/data.pkl', pickle],
    ])
    await refusedWith(gEma(await file(two)), /more than one data\.pkl/)
    const big = storedZip([
      ['a/data.pkl', pickle],
      ['a/byteorder', p('big')],
    ])
    await refusedWith(gEma(await file(big)), /big-endian/)
    const list = archive(p(PROTO2, ']', '.'))
    await refusedWith(gEma(await file(list)), /not a dict/)
  })

  it('refuses a forbidden global in a zip pickle as in a legacy one', async () => {
    const e = await refusal(gEma(await file(archive(p(PROTO2, global('subprocess', 'check_output'), '(', unicode('id'), 't', 'R', '.')))))
    expect(e.code).toBe('E_CHECKPOINT_UNSAFE')
    expect(e.message).toContain('subprocess.check_output')
  })
})

// The restricted unpickler, one opcode family at a time, on hand-built byte strings: what each
// accepted opcode builds, and that anything else (unknown opcodes, forbidden globals, misuse
// of an allowed global, a stream cut short) stops it with a coded error.
import { describe, expect, it } from 'vitest'
import { type CheckpointError } from './errors.js'
import { BytesInput, maxStringBytes, unpickle, type UnpickleOptions } from './pickle.js'
import { PROTO2, global, p, unicode } from './testing/bytes.js'
import { Namespace, type PickleValue, type StorageRef, type TensorRef, isTuple } from './values.js'

import { u32 } from './testing/bytes.js'

function load(bytes: Uint8Array, options?: UnpickleOptions): PickleValue {
  return unpickle(new BytesInput(bytes), options)
}

function failure(bytes: Uint8Array, options?: UnpickleOptions): CheckpointError {
  try {
    load(bytes, options)
  } catch (e) {
    return e as CheckpointError
  }
  throw new Error('expected the unpickler to refuse')
}

const storage: StorageRef = { kind: 'storage', key: '0', dtype: 'float32', numel: 12, location: 'cpu', viewOffset: 0, viewNumel: 12 }

describe('protocol and stop', () => {
  it('PROTO 2 then a value then STOP', () => {
    expect(load(p(PROTO2, 'N.'))).toBeNull()
  })
  it('refuses a protocol above 2 (torch.save writes 2)', () => {
    const e = failure(p(0x80, 4, 'N.'))
    expect(e.code).toBe('E_CHECKPOINT_FORMAT')
    expect(e.message).toMatch(/protocol 4/)
  })
  it('STOP must leave exactly one value', () => {
    expect(failure(p(PROTO2, '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p(PROTO2, 'NN.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
  it('a stream without STOP is truncated', () => {
    expect(failure(p(PROTO2, 'N')).code).toBe('E_CHECKPOINT_TRUNCATED')
  })
})

describe('None and booleans', () => {
  it('NONE, NEWTRUE, NEWFALSE', () => {
    expect(load(p(PROTO2, 'N', 0x88, 0x89, 0x87, '.'))).toEqual([null, true, false])
  })
})

describe('integers', () => {
  it('BININT1 is unsigned, BININT2 little-endian unsigned, BININT signed 32-bit', () => {
    expect(load(p('K', 0xff, '.'))).toBe(255)
    expect(load(p('M', 0x34, 0x12, '.'))).toBe(0x1234)
    expect(load(p('J', u32(-5 >>> 0), '.'))).toBe(-5)
    expect(load(p('J', u32(0x7fffffff), '.'))).toBe(0x7fffffff)
  })
  it("LONG1 is little-endian two's complement; exact ints are numbers, larger ones bigints", () => {
    expect(load(p(0x8a, 0, '.'))).toBe(0)
    expect(load(p(0x8a, 1, 0xff, '.'))).toBe(-1)
    expect(load(p(0x8a, 2, 0x00, 0x80, '.'))).toBe(-32768)
    expect(load(p(0x8a, 2, 0x00, 0x01, '.'))).toBe(256)
    expect(load(p(0x8a, 8, [0, 0, 0, 0, 0, 0, 0x20, 0], '.'))).toBe(2n ** 53n)
    // torch.save's magic number, as the legacy layout's first pickle holds it
    expect(load(p(PROTO2, 0x8a, 10, [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19], '.'))).toBe(0x1950a86a20f9469cfc6cn)
  })
})

describe('floats', () => {
  it('BINFLOAT is a big-endian double', () => {
    expect(load(p('G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], '.'))).toBe(1.5)
    expect(load(p('G', [0x3f, 0x84, 0x7a, 0xe1, 0x47, 0xae, 0x14, 0x7b], '.'))).toBe(0.01)
    expect(Number.isNaN(load(p('G', [0x7f, 0xf8, 0, 0, 0, 0, 0, 0], '.')))).toBe(true)
  })
})

describe('strings', () => {
  it('BINUNICODE is UTF-8 with a 4-byte length', () => {
    expect(load(p(unicode('héllo λ'), '.'))).toBe('héllo λ')
    expect(load(p(unicode(''), '.'))).toBe('')
  })
  it('SHORT_BINSTRING and BINSTRING (Python 2 str) decode as UTF-8, as torch.load does', () => {
    expect(load(p('U', 3, 'cpu', '.'))).toBe('cpu')
    expect(load(p('T', u32(4), 'cuda', '.'))).toBe('cuda')
  })
  it('refuses invalid UTF-8', () => {
    expect(failure(p('X', u32(2), [0xc3, 0x28], '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
  it('a length beyond any checkpoint string is malformed, not allocated', () => {
    expect(failure(p('X', u32(maxStringBytes + 1), 'abc')).code).toBe('E_CHECKPOINT_FORMAT')
  })
  it('a length past the end is truncated', () => {
    expect(failure(p('X', u32(100), 'abc')).code).toBe('E_CHECKPOINT_TRUNCATED')
    expect(failure(p('U', 9, 'ab')).code).toBe('E_CHECKPOINT_TRUNCATED')
  })
})

describe('tuples', () => {
  it('EMPTY_TUPLE, TUPLE1/2/3 and MARK ... TUPLE build frozen arrays', () => {
    const value = load(
      p('(', ')', 'K', 1, 0x85, 'K', 1, 'K', 2, 0x86, 'K', 1, 'K', 2, 'K', 3, 0x87, '(', 'K', 1, 'K', 2, 'K', 3, 'K', 4, 't', 't', '.'),
    ) as PickleValue[]
    expect(value).toEqual([[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]])
    expect(value.every((v) => isTuple(v))).toBe(true)
    expect(isTuple(value)).toBe(true)
  })
  it('TUPLE without MARK, or TUPLE2 reaching below a MARK, is malformed', () => {
    expect(failure(p('K', 1, 't', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p('K', 1, '(', 'K', 2, 0x86, '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('lists', () => {
  it('EMPTY_LIST with APPEND and MARK ... APPENDS', () => {
    const value = load(p(']', 'K', 1, 'a', '(', 'K', 2, 'K', 3, 'e', '.'))
    expect(value).toEqual([1, 2, 3])
    expect(isTuple(value)).toBe(false)
  })
  it('APPEND on a tuple or a dict is refused', () => {
    expect(failure(p(')', 'K', 1, 'a', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p('}', 'K', 1, 'a', '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('dicts', () => {
  it('EMPTY_DICT with SETITEM and MARK ... SETITEMS keeps insertion order and key types', () => {
    const value = load(p('}', unicode('b'), 'K', 1, 's', '(', 'K', 0, unicode('int key'), unicode('a'), 'N', 'u', '.')) as Map<PickleValue, PickleValue>
    expect([...value.entries()]).toEqual([
      ['b', 1],
      [0, 'int key'],
      ['a', null],
    ])
  })
  it('a tuple key nested deeper than the call stack is hashed without recursion', () => {
    const deep = p('}', 'N', new Array<number>(200_000).fill(0x85), 'K', 1, 's', '.')
    expect((load(deep) as Map<PickleValue, PickleValue>).size).toBe(1)
  })
  it('SETITEMS with an odd count, on a list, or with an unhashable key is refused', () => {
    expect(failure(p('}', '(', 'K', 1, 'u', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p(']', 'K', 1, 'K', 2, 's', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p('}', ']', 'K', 2, 's', '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('memo', () => {
  it('BINPUT/BINGET and LONG_BINPUT/LONG_BINGET return the same object', () => {
    const value = load(p(']', 'q', 7, 'r', u32(70000), 'h', 7, 'j', u32(70000), 0x87, '.')) as PickleValue[]
    expect(value[0]).toBe(value[1])
    expect(value[1]).toBe(value[2])
  })
  it('BINGET of an index never written is malformed', () => {
    expect(failure(p('h', 3, '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('GLOBAL', () => {
  it.each([
    ['posix', 'system'],
    ['os', 'system'],
    ['os', 'makedirs'],
    ['builtins', 'eval'],
    ['__builtin__', 'eval'],
    ['builtins', 'getattr'],
    ['subprocess', 'Popen'],
    ['torch', 'load'],
    ['torch._utils', '_rebuild_device_tensor_from_numpy'],
    ['collections', 'OrderedDictX'],
    ['_codecs', 'encode'],
  ])('%s.%s is refused with E_CHECKPOINT_UNSAFE before anything else is read', (module, name) => {
    // the bytes after the GLOBAL are garbage: the refusal happens at the GLOBAL itself
    const e = failure(p(PROTO2, global(module, name), 0xff, 0xff))
    expect(e.code).toBe('E_CHECKPOINT_UNSAFE')
    expect(e.message).toContain(`${module}.${name}`)
  })
  it('a GLOBAL line with control bytes or without an end is malformed or truncated', () => {
    expect(failure(p('ccollections\x01\nOrderedDict\n')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p('ccollections')).code).toBe('E_CHECKPOINT_TRUNCATED')
    expect(failure(p('c', 'x'.repeat(300), '\n')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('REDUCE', () => {
  it('collections.OrderedDict() then SETITEMS is an ordered dict', () => {
    const value = load(p(PROTO2, global('collections', 'OrderedDict'), ')', 'R', '(', unicode('z'), 'K', 1, unicode('a'), 'K', 2, 'u', '.')) as Map<
      PickleValue,
      PickleValue
    >
    expect([...value.keys()]).toEqual(['z', 'a'])
  })
  it('OrderedDict with arguments, or REDUCE on a non-callable, is refused', () => {
    expect(failure(p(global('collections', 'OrderedDict'), ']', 0x85, 'R', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p('K', 1, ')', 'R', '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
  it('calling an allowed class that is not a constructor (a storage class) is refused as unsafe', () => {
    expect(failure(p(global('torch', 'FloatStorage'), ')', 'R', '.')).code).toBe('E_CHECKPOINT_UNSAFE')
    expect(failure(p(global('builtins', 'object'), ')', 'R', '.')).code).toBe('E_CHECKPOINT_UNSAFE')
  })

  // _rebuild_tensor_v2((persistent storage), 6, (3, 2), (1, 3), False, OrderedDict()[, extra])
  const tensorCall = (extra: (string | number | number[])[] = []): (string | number | number[])[] => [
    global('torch._utils', '_rebuild_tensor_v2'),
    '(',
    unicode('pid'),
    'Q',
    'K',
    6,
    'K',
    3,
    'K',
    2,
    0x86,
    'K',
    1,
    'K',
    3,
    0x86,
    0x89,
    global('collections', 'OrderedDict'),
    ')',
    'R',
    ...extra,
    't',
    'R',
  ]
  const tensorArgs = (extra: (string | number | number[])[] = []) => p(PROTO2, ...tensorCall(extra), '.')
  const persistentLoad = (pid: PickleValue): PickleValue => {
    expect(pid).toBe('pid')
    return storage
  }

  it('torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks) is a tensor reference', () => {
    const value = load(tensorArgs(), { persistentLoad }) as TensorRef
    expect(value).toEqual({ kind: 'tensor', storage, dtype: 'float32', storageOffset: 6, shape: [3, 2], stride: [1, 3], requiresGrad: false })
  })
  it('the seventh (metadata) argument of newer torch is accepted', () => {
    expect((load(tensorArgs(['}']), { persistentLoad }) as TensorRef).shape).toEqual([3, 2])
  })
  it('_rebuild_tensor_v2 without a storage, or with a negative size, is refused', () => {
    expect(failure(p(global('torch._utils', '_rebuild_tensor_v2'), '(', 'N', 'K', 0, ')', ')', 0x89, 'N', 't', 'R', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    const negative = p(
      PROTO2,
      global('torch._utils', '_rebuild_tensor_v2'),
      '(',
      unicode('pid'),
      'Q',
      'K',
      0,
      'J',
      u32(-1 >>> 0),
      0x85,
      'K',
      1,
      0x85,
      0x89,
      'N',
      't',
      'R',
      '.',
    )
    expect(failure(negative, { persistentLoad }).code).toBe('E_CHECKPOINT_FORMAT')
  })
  it('torch._utils._rebuild_parameter(tensor, requires_grad, hooks) is the tensor', () => {
    const bytes = p(
      PROTO2,
      global('torch._utils', '_rebuild_parameter'),
      '(',
      ...tensorCall(),
      0x88,
      global('collections', 'OrderedDict'),
      ')',
      'R',
      't',
      'R',
      '.',
    )
    const value = load(bytes, { persistentLoad }) as TensorRef
    expect(value.kind).toBe('tensor')
    expect(value.requiresGrad).toBe(true)
  })
  it('copy_reg._reconstructor(argparse.Namespace, object, None) then BUILD is a Namespace', () => {
    const value = load(
      p(
        PROTO2,
        global('copy_reg', '_reconstructor'),
        '(',
        global('argparse', 'Namespace'),
        global('__builtin__', 'object'),
        'N',
        't',
        'R',
        '}',
        unicode('size'),
        'M',
        0,
        1,
        's',
        'b',
        '.',
      ),
    )
    expect(value).toBeInstanceOf(Namespace)
    expect({ ...(value as Namespace).fields }).toEqual({ size: 256 })
  })
  it('_reconstructor of anything but Namespace is refused', () => {
    expect(
      failure(p(global('copyreg', '_reconstructor'), '(', global('collections', 'OrderedDict'), global('builtins', 'object'), 'N', 't', 'R', '.')).code,
    ).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('NEWOBJ and BUILD', () => {
  it('argparse.Namespace via NEWOBJ and BUILD of its __dict__ (what torch 1.13 writes)', () => {
    const bytes = p(
      PROTO2,
      global('argparse', 'Namespace'),
      ')',
      0x81,
      '}',
      '(',
      unicode('size'),
      'K',
      64,
      unicode('normalize_mode'),
      unicode('LayerNorm'),
      unicode('small_generator'),
      0x89,
      'u',
      'b',
      '.',
    )
    const value = load(bytes) as Namespace
    expect(value).toBeInstanceOf(Namespace)
    expect(Object.entries(value.fields)).toEqual([
      ['size', 64],
      ['normalize_mode', 'LayerNorm'],
      ['small_generator', false],
    ])
  })
  it('a Namespace attribute named __proto__ stays an attribute', () => {
    const value = load(p(global('argparse', 'Namespace'), ')', 0x81, '}', unicode('__proto__'), 'K', 1, 's', 'b', '.')) as Namespace
    expect(Object.keys(value.fields)).toEqual(['__proto__'])
  })
  it("BUILD of a state dict's _metadata on an OrderedDict is accepted and the items kept", () => {
    const value = load(p(global('collections', 'OrderedDict'), ')', 'R', unicode('w'), 'K', 1, 's', '}', unicode('_metadata'), '}', 's', 'b', '.')) as Map<
      PickleValue,
      PickleValue
    >
    expect([...value.entries()]).toEqual([['w', 1]])
  })
  it('NEWOBJ of anything but Namespace, or BUILD on other values, is refused', () => {
    expect(failure(p(global('collections', 'OrderedDict'), ')', 0x81, '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p(global('argparse', 'Namespace'), 'K', 1, 0x85, 0x81, '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p(']', '}', 'b', '.')).code).toBe('E_CHECKPOINT_FORMAT')
    expect(failure(p(global('argparse', 'Namespace'), ')', 0x81, ']', 'b', '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('BINPERSID', () => {
  it('hands the persistent id to persistentLoad and pushes its result', () => {
    const seen: PickleValue[] = []
    const value = load(p(PROTO2, '(', unicode('storage'), 'K', 5, 't', 'Q', '.'), {
      persistentLoad: (pid) => {
        seen.push(pid)
        return storage
      },
    })
    expect(seen).toEqual([['storage', 5]])
    expect(value).toBe(storage)
  })
  it('a persistent id where none is expected is malformed', () => {
    expect(failure(p(PROTO2, 'N', 'Q', '.')).code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('opcodes outside the accepted set', () => {
  it.each([
    ['INST (protocol 0, calls a class)', 0x69],
    ['OBJ', 0x6f],
    ['STACK_GLOBAL (protocol 4)', 0x93],
    ['FRAME (protocol 4)', 0x95],
    ['SHORT_BINUNICODE (protocol 4)', 0x8c],
    ['MEMOIZE (protocol 4)', 0x94],
    ['EXT1', 0x82],
    ['PERSID (text)', 0x50],
    ['INT (text)', 0x49],
    ['DICT', 0x64],
    ['POP', 0x30],
    ['a byte no opcode uses', 0xff],
  ])('%s is refused with E_CHECKPOINT_FORMAT', (_name, code) => {
    const e = failure(p(PROTO2, code, 'N.'))
    expect(e.code).toBe('E_CHECKPOINT_FORMAT')
    expect(e.message).toContain(`0x${code.toString(16).padStart(2, '0')}`)
  })
})

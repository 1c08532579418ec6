// The checkpoint reader on files torch itself saved, in both torch.save layouts: the released
// layout (g_ema, e_ema, raw networks, Adam states, train_args) read back exactly, pickles that
// would run code refused with nothing run, and broken or foreign files refused with a code.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Checkpoint, readCheckpoint } from './checkpoint.js'
import { type CheckpointError } from './errors.js'
import { type Expected, makeCheckpoints, torchUnavailable } from './testing/fixtures.js'
import { refusal } from './testing/refusal.js'
import { type CheckpointTensor, Namespace, type PickleValue, type TensorRef, isTensorRef, isTuple } from './values.js'

const run = promisify(execFile)
const skipReason = await torchUnavailable()
if (skipReason) console.warn(`checkpoint reader tests skipped: ${skipReason}`)

let work: string
let expected: Expected

function expectTensors(actual: PickleValue, wanted: Expected['tensors']['g_ema']): void {
  expect(actual).toBeInstanceOf(Map)
  const dict = actual as Map<string, CheckpointTensor>
  // a state dict keeps the file's key order
  expect([...dict.keys()]).toEqual(wanted.map((t) => t.key))
  for (const t of wanted) {
    const got = dict.get(t.key) as CheckpointTensor
    expect(got.kind, t.key).toBe('loaded-tensor')
    expect({ dtype: got.dtype, shape: got.shape, stride: got.stride, storageOffset: got.storageOffset }, t.key).toEqual({
      dtype: t.dtype,
      shape: t.shape,
      stride: t.stride,
      storageOffset: t.storage_offset,
    })
    expect(got.data).toBeInstanceOf(Float32Array)
    // exact: torch's values as float32 (identity for float32 and narrower dtypes)
    expect(Array.from(got.data), t.key).toEqual(t.values.map((v) => Math.fround(v)))
  }
}

describe.skipIf(skipReason !== null)('checkpoints saved by torch', () => {
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'stylemap-torch-reader-'))
    await makeCheckpoints('fixtures', '--out', work)
    const zip = path.join(work, 'zip.pt')
    await makeCheckpoints('rezip', '--in', zip, '--out', path.join(work, 'zip64.pt'), '--zip64')
    await makeCheckpoints('rezip', '--in', zip, '--out', path.join(work, 'comment.pt'), '--comment')
    await makeCheckpoints('rezip', '--in', zip, '--out', path.join(work, 'deflated-pickle.pt'), '--deflate', 'pickle')
    await makeCheckpoints('rezip', '--in', zip, '--out', path.join(work, 'deflated-all.pt'), '--deflate', 'all')
    expected = JSON.parse(await readFile(path.join(work, 'expected.json'), 'utf8')) as Expected
  })

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  describe.each(['zip', 'legacy'] as const)('the %s layout', (layout) => {
    const file = () => path.join(work, `${layout}.pt`)

    it('is recognised as that layout and lists the top-level keys in file order', async () => {
      const checkpoint = await Checkpoint.open(file())
      try {
        expect(checkpoint.format).toBe(layout)
        expect([...(checkpoint.root as Map<string, unknown>).keys()]).toEqual(expected.keys)
      } finally {
        await checkpoint.close()
      }
    })

    it('reads g_ema and e_ema exactly: every dtype, shape, stride, storage offset and value torch saved', async () => {
      const { format, entries } = await readCheckpoint(file(), ['g_ema', 'e_ema', 'train_args'])
      expect(format).toBe(layout)
      expect([...entries.keys()]).toEqual(['g_ema', 'e_ema', 'train_args'])
      expectTensors(entries.get('g_ema') as PickleValue, expected.tensors.g_ema)
      expectTensors(entries.get('e_ema') as PickleValue, expected.tensors.e_ema)
    })

    it('covers views: a transposed view, a strided slice with an offset, an expanded (stride 0) tensor, one storage shared by two tensors', async () => {
      const g = (await readCheckpoint(file(), ['g_ema'])).entries.get('g_ema') as Map<string, CheckpointTensor>
      const weight = g.get('weight') as CheckpointTensor
      const transposed = g.get('weight_t') as CheckpointTensor
      expect(transposed.stride).toEqual([1, 6])
      for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) expect(transposed.data[j * 4 + i]).toBe(weight.data[i * 6 + j])
      expect(g.get('weight_slice')?.storageOffset).toBe(6)
      expect(g.get('expanded')?.stride).toEqual([1, 0])
      const checkpoint = await Checkpoint.open(file())
      try {
        const refs = checkpoint.entry('g_ema') as Map<string, TensorRef>
        expect(refs.get('weight_t')?.storage.key).toBe(refs.get('weight')?.storage.key)
        expect(refs.get('weight_slice')?.storage.key).toBe(refs.get('weight')?.storage.key)
      } finally {
        await checkpoint.close()
      }
    })

    it('reads train_args as an argparse.Namespace with every field, in order', async () => {
      const args = (await readCheckpoint(file(), ['train_args'])).entries.get('train_args')
      expect(args).toBeInstanceOf(Namespace)
      const fields = (args as Namespace).fields
      expect(Object.keys(fields)).toEqual(expected.train_args_order)
      for (const name of [
        'size',
        'mapping_layer_num',
        'latent_channel_size',
        'latent_spatial_size',
        'lr_mul',
        'channel_multiplier',
        'normalize_mode',
        'small_generator',
        'ckpt',
        'unicode',
        'negative',
        'mixing_type',
      ]) {
        expect(fields[name], name).toEqual(expected.train_args[name])
      }
      expect(fields.huge).toBe(2n ** 70n)
      expect(isTuple(fields.betas)).toBe(true)
      expect(fields.betas).toEqual([0, 0.99])
    })

    it('leaves the entries not asked for as unread tensor references (raw networks, Adam states)', async () => {
      const checkpoint = await Checkpoint.open(file())
      try {
        const optim = checkpoint.entry('g_optim') as Map<string, PickleValue>
        const state = optim.get('state') as Map<number, Map<string, PickleValue>>
        expect([...state.keys()]).toEqual([0, 1, 2, 3, 4])
        expect(isTensorRef(state.get(0)?.get('exp_avg') as PickleValue)).toBe(true)
        const group = (optim.get('param_groups') as PickleValue[])[0] as Map<string, PickleValue>
        expect(group.get('lr')).toBe(0.002)
        expect(group.get('params')).toEqual([0, 1, 2, 3, 4])
        expect(checkpoint.entry('e_optim')).toEqual(new Map())
        expect(isTensorRef((checkpoint.entry('discriminator') as Map<string, PickleValue>).get('conv.weight') as PickleValue)).toBe(true)
      } finally {
        await checkpoint.close()
      }
    })

    it('refuses a missing entry with E_CHECKPOINT_MISSING_ENTRY', async () => {
      const e = await refusal(readCheckpoint(file(), ['g_ema', 'latent_avg']))
      expect(e.code).toBe('E_CHECKPOINT_MISSING_ENTRY')
      expect(e.message).toContain('latent_avg')
    })

    it.each(['system', 'eval', 'makedirs'])('refuses a pickle that would run %s, runs nothing and creates no marker', async (kind) => {
      const marker = path.join(work, `marker-${kind}`)
      const e = await refusal(readCheckpoint(path.join(work, `unsafe-${kind}-${layout}.pt`), ['g_ema', 'e_ema', 'train_args']))
      expect(e.code).toBe('E_CHECKPOINT_UNSAFE')
      expect(e.message).toContain({ system: 'posix.system', eval: 'eval', makedirs: 'os.makedirs' }[kind])
      expect(existsSync(marker)).toBe(false)
    })

    it('refuses the file cut short at any point with E_CHECKPOINT_TRUNCATED', async () => {
      const size = (await stat(file())).size
      for (const cut of [40, 200, Math.floor(size * 0.25), Math.floor(size * 0.5), Math.floor(size * 0.9), size - 8, size - 1]) {
        const cutFile = path.join(work, `cut-${layout}-${cut}.pt`)
        await copyFile(file(), cutFile)
        await truncate(cutFile, cut)
        const e = await refusal(readCheckpoint(cutFile, ['g_ema', 'e_ema', 'train_args']))
        expect(e.code, `cut at ${cut} of ${size}`).toBe('E_CHECKPOINT_TRUNCATED')
      }
    })
  })

  it("reads zip archives with zip64 records, an archive comment, and a deflated data.pkl (written by Python's zipfile)", async () => {
    for (const name of ['zip64.pt', 'comment.pt', 'deflated-pickle.pt']) {
      const { format, entries } = await readCheckpoint(path.join(work, name), ['g_ema', 'e_ema'])
      expect(format, name).toBe('zip')
      expectTensors(entries.get('g_ema') as PickleValue, expected.tensors.g_ema)
      expectTensors(entries.get('e_ema') as PickleValue, expected.tensors.e_ema)
    }
  })

  it('refuses compressed tensor records (it reads tensors in place) with E_CHECKPOINT_FORMAT', async () => {
    const e = await refusal(readCheckpoint(path.join(work, 'deflated-all.pt'), ['g_ema']))
    expect(e.code).toBe('E_CHECKPOINT_FORMAT')
    expect(e.message).toMatch(/compressed/)
  })

  it('refuses a legacy file whose storage header disagrees with its pickle with E_CHECKPOINT_FORMAT', async () => {
    // the last storage's 8-byte element count sits right before its bytes; make it wrong
    const bytes = await readFile(path.join(work, 'legacy.pt'))
    const checkpoint = await Checkpoint.open(path.join(work, 'legacy.pt'))
    const refs = checkpoint.entry('g_ema') as Map<string, TensorRef>
    await checkpoint.close()
    const scalar = refs.get('scalar') as TensorRef
    // find the header: count 1 (little-endian int64) followed by 3.5 as float32
    const needle = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x60, 0x40])
    const at = bytes.indexOf(needle)
    expect(at, `header of storage ${scalar.storage.key}`).toBeGreaterThan(0)
    bytes[at] = 2
    const broken = path.join(work, 'bad-header.pt')
    await writeFile(broken, bytes)
    const e = await refusal(readCheckpoint(broken, ['g_ema']))
    expect(e.code).toBe('E_CHECKPOINT_FORMAT')
  })
})

describe('files that are not checkpoints', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'stylemap-torch-reader-foreign-'))
  })
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  async function refusedAs(name: string, content: string | Uint8Array): Promise<CheckpointError> {
    const file = path.join(dir, name)
    await writeFile(file, content)
    return refusal(readCheckpoint(file, ['g_ema']))
  }

  it('an HTML page (what a Google Drive link often returns) is E_CHECKPOINT_NOT_CHECKPOINT and says so', async () => {
    const e = await refusedAs(
      'drive.pt',
      '<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>Download anyway</body></html>',
    )
    expect(e.code).toBe('E_CHECKPOINT_NOT_CHECKPOINT')
    expect(e.message).toMatch(/not a PyTorch checkpoint/)
    expect(e.message).toMatch(/HTML page/)
    const lower = await refusedAs('lower.pt', '\n  <html><body>Sign in</body></html>')
    expect(lower.message).toMatch(/HTML page/)
  })
  it('an empty file, a text file and JSON are E_CHECKPOINT_NOT_CHECKPOINT', async () => {
    expect((await refusedAs('empty.pt', '')).code).toBe('E_CHECKPOINT_NOT_CHECKPOINT')
    expect((await refusedAs('text.pt', 'Not Found')).code).toBe('E_CHECKPOINT_NOT_CHECKPOINT')
    expect((await refusedAs('json.pt', '{"error": "quota exceeded"}')).code).toBe('E_CHECKPOINT_NOT_CHECKPOINT')
  })
  it('a pickle that is not from torch.save (no magic number) is E_CHECKPOINT_NOT_CHECKPOINT', async () => {
    // pickle.dumps({}, protocol=2)
    const e = await refusedAs('plain.pkl', Uint8Array.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]))
    expect(e.code).toBe('E_CHECKPOINT_NOT_CHECKPOINT')
  })
  it('a zip that is not a checkpoint is E_CHECKPOINT_FORMAT', async () => {
    const file = path.join(dir, 'other.zip')
    try {
      await run('/usr/bin/python3', ['-c', `import zipfile; z = zipfile.ZipFile(${JSON.stringify(file)}, "w"); z.writestr("a/readme.txt", "hello"); z.close()`])
    } catch {
      return // no python: the zip paths are covered by the torch tests
    }
    const e = await refusal(readCheckpoint(file, ['g_ema']))
    expect(e.code).toBe('E_CHECKPOINT_FORMAT')
    expect(e.message).toMatch(/data\.pkl/)
  })
  it('a missing file or a folder is E_CHECKPOINT_READ', async () => {
    expect((await refusal(readCheckpoint(path.join(dir, 'nope.pt'), ['g_ema']))).code).toBe('E_CHECKPOINT_READ')
    expect((await refusal(readCheckpoint(dir, ['g_ema']))).code).toBe('E_CHECKPOINT_READ')
  })
})

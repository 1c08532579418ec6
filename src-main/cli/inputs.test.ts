// The CLI never writes over one of its inputs (photo, reference, mask, project file), however
// --out names it, and reads only regular files: a FIFO or /dev/zero fails at once.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { link, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testModelDir } from '../engine/testing/models.js'
import { gradientPng, maskPng, rectMask } from '../engine/testing/photos.js'
import { expectCleanFailure, runCli } from './testing/runCli.js'

let work: string
let model: string
const unix = process.platform !== 'win32'

const cli = (...args: string[]) => runCli(args, { cwd: work, timeout: 60_000 })
const digest = async (name: string) =>
  createHash('sha256')
    .update(await readFile(join(work, name)))
    .digest('hex')

function edit(out: string, inputs: { original?: string; reference?: string; mask?: string } = {}, extra: string[] = []): string[] {
  const { original = 'original.png', reference = 'reference.png', mask = 'mask.png' } = inputs
  return ['edit', '--model', model, '--original', original, '--reference', reference, '--mask', mask, ...extra, '--out', out]
}

beforeAll(async () => {
  model = await testModelDir()
  work = await mkdtemp(join(tmpdir(), 'stylemap-cli-inputs-'))
  await writeFile(join(work, 'original.png'), await gradientPng(120, 80))
  await writeFile(join(work, 'reference.png'), await gradientPng(90, 90, 4))
  await writeFile(join(work, 'mask.png'), await maskPng(rectMask(120, 80, 40, 20, 30, 30)))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('stylemap never overwrites an input', () => {
  it('edit --out naming the mask, the reference or the photo fails with E_EXPORT_OVERWRITE and leaves it byte-identical', async () => {
    if (unix) {
      await symlink(join(work, 'mask.png'), join(work, 'mask-alias.png'))
      await link(join(work, 'mask.png'), join(work, 'mask-twin.png'))
    }
    const before = { mask: await digest('mask.png'), reference: await digest('reference.png'), original: await digest('original.png') }
    const cases: [string, string[]][] = [
      ['--out is the mask', edit('mask.png')],
      ['--out is the mask, --overwrite-input given', edit('mask.png', {}, ['--overwrite-input'])],
      ['--out is the mask, --raw', edit('mask.png', {}, ['--raw'])],
      ['--out is the reference, --overwrite-input given', edit('reference.png', {}, ['--overwrite-input'])],
      ['--out is the photo', edit('original.png')],
      ...(unix
        ? ([
            ['--out is a symlink to the mask', edit('mask-alias.png')],
            ['--out is a hard link of the mask', edit('mask-twin.png')],
          ] as [string, string[]][])
        : []),
    ]
    for (const [what, args] of cases) {
      const result = await cli(...args)
      expectCleanFailure(result, 'E_EXPORT_OVERWRITE', what)
    }
    expect({ mask: await digest('mask.png'), reference: await digest('reference.png'), original: await digest('original.png') }).toEqual(before)
  })

  it('render --out naming the project file fails with E_EXPORT_OVERWRITE and leaves the project as it was', async () => {
    // a project saved under an image name is still the command's input
    await writeFile(join(work, 'project.png'), '{"not": "read before the check"}')
    const before = await digest('project.png')
    expectCleanFailure(
      await cli('render', '--model', model, '--project', 'project.png', '--out', 'project.png'),
      'E_EXPORT_OVERWRITE',
      'render over its project',
    )
    expect(await digest('project.png')).toBe(before)
  })
})

describe('--overwrite-input', () => {
  it('still lets edit replace its --original photo (references and masks stay protected, above)', async () => {
    await writeFile(join(work, 'replaced.png'), await gradientPng(120, 80))
    const before = await digest('replaced.png')
    const result = await cli(...edit('replaced.png', { original: 'replaced.png' }, ['--overwrite-input']))
    expect(result.code, result.stderr).toBe(0)
    expect(await digest('replaced.png')).not.toBe(before)
  })
})

describe.skipIf(!unix)('stylemap reads only regular files', () => {
  it('a FIFO, /dev/zero or a folder as photo, reference or mask fails at once with E_IMAGE_NOT_FILE', { timeout: 60_000 }, async () => {
    execFileSync('mkfifo', [join(work, 'pipe.png')])
    await mkdir(join(work, 'folder.png'))
    const cases: [string, string[]][] = [
      ['FIFO as the photo', edit('out.png', { original: 'pipe.png' })],
      ['/dev/zero as the photo', edit('out.png', { original: '/dev/zero' })],
      ['folder as the reference', edit('out.png', { reference: 'folder.png' })],
      ['/dev/zero as the mask', edit('out.png', { mask: '/dev/zero' })],
      ['FIFO as the mask', edit('out.png', { mask: 'pipe.png' })],
    ]
    for (const [what, args] of cases) {
      const result = await runCli(args, { cwd: work, timeout: 20_000 })
      expectCleanFailure(result, 'E_IMAGE_NOT_FILE', what)
    }
  })

  it('a FIFO or /dev/zero as the project fails at once with E_PROJECT_IO', { timeout: 60_000 }, async () => {
    execFileSync('mkfifo', [join(work, 'pipe.smproj')])
    for (const project of ['pipe.smproj', '/dev/zero']) {
      const result = await runCli(['render', '--model', model, '--project', project, '--out', 'out.png'], { cwd: work, timeout: 20_000 })
      expectCleanFailure(result, 'E_PROJECT_IO', project)
      expect(result.stderr).toContain('not a regular file')
    }
  })
})

import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { writeFileAtomic } from './atomicWrite'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-atomic-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('writeFileAtomic', () => {
  it('replaces a file whole and leaves no temporary file', async () => {
    const path = join(dir, 'a.smproj')
    await writeFile(path, 'old contents')
    await writeFileAtomic(path, 'new contents')
    expect(await readFile(path, 'utf8')).toBe('new contents')
    expect(await readdir(dir)).toEqual(['a.smproj'])
  })

  it('when the write fails, the file that was there is untouched and no temp is left', async () => {
    // the target is a folder: the rename fails after the temp file was fully written
    const target = join(dir, 'taken')
    await mkdir(target)
    await writeFile(join(target, 'inside'), 'keep me')
    await expect(writeFileAtomic(target, 'x'.repeat(100_000))).rejects.toThrow()
    expect(await readFile(join(target, 'inside'), 'utf8')).toBe('keep me')
    expect(await readdir(dir)).toEqual(['taken'])
    await expect(writeFileAtomic(join(dir, 'missing-folder', 'a'), 'x')).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['taken'])
  })

  it('concurrent writers never interleave: the file is one of them, whole', async () => {
    const path = join(dir, 'race')
    const bodies = Array.from({ length: 8 }, (_, i) => String.fromCharCode(97 + i).repeat(200_000))
    await Promise.all(bodies.map((body) => writeFileAtomic(path, body)))
    expect(bodies).toContain(await readFile(path, 'utf8'))
    expect(await readdir(dir)).toEqual(['race'])
  })
})

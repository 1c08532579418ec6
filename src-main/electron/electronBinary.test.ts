// The Electron e2e specs skip, with a reason, where no Electron binary is installed. This
// checks that detection, which must never trigger electron's own download.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findElectronBinary } from '../../e2e/electron/electronBinary'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-electron-bin-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('findElectronBinary', () => {
  it('reports a missing package, a missing path.txt and a missing executable with a clear reason', async () => {
    const noPackage = findElectronBinary({ env: {}, packageDir: null })
    expect(noPackage).toMatchObject({ ok: false, reason: expect.stringMatching(/^Electron binary not installed: .*npm install/) })

    const noDownload = findElectronBinary({ env: {}, packageDir: dir })
    expect(noDownload).toMatchObject({ ok: false, reason: expect.stringMatching(/^Electron binary not installed: .*path\.txt does not exist/) })

    await writeFile(join(dir, 'path.txt'), 'electron')
    const noFile = findElectronBinary({ env: {}, packageDir: dir })
    expect(noFile).toMatchObject({ ok: false, reason: expect.stringContaining(join(dir, 'dist', 'electron')) })
  })

  it('finds the executable the electron package would run', async () => {
    await writeFile(join(dir, 'path.txt'), 'electron')
    await mkdir(join(dir, 'dist'))
    await writeFile(join(dir, 'dist', 'electron'), '#!/bin/sh\n')
    expect(findElectronBinary({ env: {}, packageDir: dir })).toEqual({ ok: true, path: join(dir, 'dist', 'electron') })
    // ELECTRON_OVERRIDE_DIST_PATH replaces the dist folder, as in the electron package
    await mkdir(join(dir, 'custom'))
    await writeFile(join(dir, 'custom', 'electron'), '#!/bin/sh\n')
    expect(findElectronBinary({ env: { ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'custom') }, packageDir: dir })).toEqual({
      ok: true,
      path: join(dir, 'custom', 'electron'),
    })
  })

  it('honours STYLEMAP_ELECTRON', async () => {
    const binary = join(dir, 'my-electron')
    await writeFile(binary, '')
    expect(findElectronBinary({ env: { STYLEMAP_ELECTRON: binary }, packageDir: null })).toEqual({ ok: true, path: binary })
    expect(findElectronBinary({ env: { STYLEMAP_ELECTRON: join(dir, 'nope') } })).toMatchObject({ ok: false })
  })

  it('on this checkout, answers without downloading anything', () => {
    const found = findElectronBinary({ env: {} })
    if (!found.ok) expect(found.reason).toMatch(/^Electron binary not installed: /)
    else expect(found.path).toMatch(/electron/i)
  })
})

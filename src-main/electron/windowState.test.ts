import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultWindowState, fitToDisplays, loadWindowState, saveWindowState, type WindowState } from './windowState'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stylemap-window-state-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('window state persistence', () => {
  it('gives the defaults on first run', async () => {
    expect(await loadWindowState(join(dir, 'window-state.json'))).toEqual(defaultWindowState)
  })

  it('remembers size, position and maximised state across a save and a load', async () => {
    const file = join(dir, 'nested', 'window-state.json')
    const state: WindowState = { version: 1, x: 120, y: 64, width: 1500, height: 900, maximized: true }
    await saveWindowState(file, state)
    expect(await loadWindowState(file)).toEqual(state)
    // Only the final file remains: the temporary file was renamed, not left behind.
    expect(await readdir(join(dir, 'nested'))).toEqual(['window-state.json'])
  })

  it('replaces the previous file whole', async () => {
    const file = join(dir, 'window-state.json')
    await saveWindowState(file, { version: 1, x: 1, y: 2, width: 1000, height: 700, maximized: false })
    await saveWindowState(file, { version: 1, width: 900, height: 600, maximized: false })
    const saved = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>
    expect(saved).toEqual({ version: 1, width: 900, height: 600, maximized: false })
  })

  it('falls back to the defaults for a corrupt, truncated or foreign file', async () => {
    const file = join(dir, 'window-state.json')
    for (const text of ['', '{"version":1,"width":10', 'null', '{"version":2,"width":100,"height":100,"maximized":false}', '{"width":"wide"}']) {
      await writeFile(file, text)
      expect(await loadWindowState(file), text).toEqual(defaultWindowState)
    }
  })

  it('refuses to write a nonsensical state', async () => {
    const file = join(dir, 'window-state.json')
    await expect(saveWindowState(file, { version: 1, width: -5, height: 600, maximized: false })).rejects.toThrow()
    expect(await readdir(dir)).toEqual([])
  })
})

describe('fitToDisplays', () => {
  const laptop = { x: 0, y: 0, width: 1920, height: 1050 }
  const rightMonitor = { x: 1920, y: 0, width: 2560, height: 1400 }

  it('keeps a window that is on a screen where it was', () => {
    const state: WindowState = { version: 1, x: 2000, y: 100, width: 1600, height: 1000, maximized: false }
    expect(fitToDisplays(state, [laptop, rightMonitor])).toEqual(state)
  })

  it('re-centres a window left on a monitor that is no longer there', () => {
    const state: WindowState = { version: 1, x: 2000, y: 100, width: 1600, height: 1000, maximized: false }
    const fitted = fitToDisplays(state, [laptop])
    expect(fitted.x).toBeUndefined()
    expect(fitted.y).toBeUndefined()
    expect(fitted.width).toBe(1600)
  })

  it('shrinks a window larger than every screen and never below the minimum size', () => {
    const big = fitToDisplays({ version: 1, width: 5000, height: 3000, maximized: false }, [laptop])
    expect(big).toMatchObject({ width: 1920, height: 1050 })
    const tiny = fitToDisplays({ version: 1, width: 10, height: 10, maximized: false }, [laptop])
    expect(tiny).toMatchObject({ width: 800, height: 560 })
  })

  it('re-centres a window whose title bar is above the top of the screen', () => {
    const fitted = fitToDisplays({ version: 1, x: 100, y: -400, width: 1000, height: 700, maximized: false }, [laptop])
    expect(fitted.y).toBeUndefined()
  })
})

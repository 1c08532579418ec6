// Remembers the window's size and position between runs (a JSON file in userData).
// Plain Node: main passes in the file path and the displays' work areas.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'

const windowStateSchema = z.object({
  version: z.literal(1),
  x: z.number().int().optional(),
  y: z.number().int().optional(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  maximized: z.boolean(),
})

export type WindowState = z.infer<typeof windowStateSchema>

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

export const defaultWindowState: WindowState = { version: 1, width: 1280, height: 820, maximized: false }

/** The smallest window the editor still works in. */
export const minWindowSize = { width: 800, height: 560 }

/** Reads the saved state; a missing, unreadable or malformed file gives the defaults. */
export async function loadWindowState(file: string): Promise<WindowState> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return { ...defaultWindowState }
  }
  try {
    const parsed = windowStateSchema.safeParse(JSON.parse(text))
    return parsed.success ? parsed.data : { ...defaultWindowState }
  } catch {
    return { ...defaultWindowState }
  }
}

/** Writes the state atomically (temp file + rename), so a crash never leaves half a file. */
export async function saveWindowState(file: string, state: WindowState): Promise<void> {
  const valid = windowStateSchema.parse(state)
  await mkdir(dirname(file), { recursive: true })
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, `${JSON.stringify(valid, null, 2)}\n`, 'utf8')
    await rename(temp, file)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/**
 * Makes saved bounds usable on the displays present now: a window whose title bar would be
 * off every screen (a monitor was unplugged) is re-centred by dropping x/y, and a window
 * larger than the biggest screen is shrunk to fit it.
 */
export function fitToDisplays(state: WindowState, workAreas: readonly Rect[]): WindowState {
  if (workAreas.length === 0) return state
  const largest = workAreas.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a))
  const width = clamp(state.width, minWindowSize.width, Math.max(minWindowSize.width, largest.width))
  const height = clamp(state.height, minWindowSize.height, Math.max(minWindowSize.height, largest.height))
  const fitted: WindowState = { version: 1, width, height, maximized: state.maximized }
  if (state.x === undefined || state.y === undefined) return fitted
  // The top strip of the window (where the title bar is) must overlap a screen by enough
  // to grab it; otherwise the user could not move the window back.
  const titleBar: Rect = { x: state.x, y: state.y, width, height: 32 }
  const reachable = workAreas.some((area) => overlapArea(titleBar, area) >= 48 * 32)
  return reachable ? { ...fitted, x: state.x, y: state.y } : fitted
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high)
}

function overlapArea(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  return w > 0 && h > 0 ? w * h : 0
}

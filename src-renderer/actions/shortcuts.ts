// Keyboard -> action, read from the one table of shortcuts (src-shared/shortcuts.ts) that the
// menu and the shortcut sheet read too. Pure so it is unit-tested.
import {
  canvasGestures,
  ShortcutIndex,
  shortcutGroups,
  shortcutTable,
  type KeyInput,
  type ShortcutDeclaration,
  type ShortcutGroup,
} from '../../src-shared/shortcuts'
import type { EditorActionName, EditorActionPayloads, EditorActions } from './editorActions'

export type { KeyInput } from '../../src-shared/shortcuts'

type PayloadFields<P> = [P] extends [void] ? { payload?: undefined; release?: undefined } : { payload: P; release?: P }

/** A shortcut declaration whose action and payload fit the editor's action table. */
export type EditorShortcut = ShortcutDeclaration & { [K in EditorActionName]: { action: K } & PayloadFields<EditorActionPayloads[K]> }[EditorActionName]

/** The shared table, checked against the actions: an unknown name or a wrong payload does not compile. */
export const editorShortcuts: readonly EditorShortcut[] = shortcutTable

const index = new ShortcutIndex(editorShortcuts)

/** An action with its payload, ready to dispatch. */
export type ShortcutHit = {
  [K in EditorActionName]: { name: K; payload: EditorActionPayloads[K] }
}[EditorActionName]

// the table's type pairs each action with its own payload type (checked above); TypeScript
// cannot follow that pairing through a union, hence the casts below
function hit(action: EditorActionName, payload: unknown): ShortcutHit {
  return { name: action, payload } as ShortcutHit
}

/** The action a key press (keydown) stands for, or null. */
export function shortcutFor(e: KeyInput): ShortcutHit | null {
  const declaration = index.find(e)
  return declaration ? hit(declaration.action, declaration.payload) : null
}

/** The action that ends a held key (keyup), or null. */
export function releaseFor(e: KeyInput): ShortcutHit | null {
  const declaration = index.findRelease(e)
  return declaration ? hit(declaration.action, declaration.release) : null
}

/** The actions that end every held key (the window lost focus, so no keyup will come). */
export function releaseAll(): ShortcutHit[] {
  return index.held().map((d) => hit(d.action, d.release))
}

/** Dispatch a hit (a shortcut, or a menu command's declaration). */
export function runShortcut(actions: EditorActions, { name, payload }: { name: EditorActionName; payload: unknown }): Promise<void> {
  return (actions.dispatch as (name: EditorActionName, payload?: unknown) => Promise<void>)(name, payload)
}

const samePayload = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null)

function chordsShown(d: ShortcutDeclaration): string[] {
  const keys = d.release === undefined ? [...d.keys] : d.keys.map((k) => `${k} (hold)`)
  return d.menuKey ? [...keys, d.menuKey] : keys
}

/** The keys of an action (with this payload) as the sheet writes them, e.g. 'Ctrl+Shift+Z / Ctrl+Y'; '' when it has none. */
export function keysFor<K extends EditorActionName>(action: K, ...payload: [EditorActionPayloads[K]] extends [void] ? [] : [EditorActionPayloads[K]]): string {
  return editorShortcuts
    .filter((d) => d.action === action && samePayload(d.payload, payload[0]))
    .flatMap(chordsShown)
    .join(' / ')
}

/** A button's tooltip: its label and, where it has one, its shortcut. */
export function withKeys<K extends EditorActionName>(
  label: string,
  action: K,
  ...payload: [EditorActionPayloads[K]] extends [void] ? [] : [EditorActionPayloads[K]]
): string {
  const keys = keysFor(action, ...payload)
  return keys ? `${label} (${keys})` : label
}

export interface SheetGroup {
  group: ShortcutGroup
  rows: { keys: string; what: string }[]
}

/** The rows of the shortcut sheet: every declared chord, and what the canvas does with the pointer. */
export const shortcutSheet: SheetGroup[] = shortcutGroups.map((group) => {
  const rows = new Map<string, string[]>()
  for (const d of editorShortcuts) {
    const chords = chordsShown(d)
    if (d.group !== group || chords.length === 0) continue
    rows.set(d.sheet, [...(rows.get(d.sheet) ?? []), ...chords])
  }
  for (const g of canvasGestures.sheet) if (g.group === group) rows.set(g.sheet, [...(rows.get(g.sheet) ?? []), g.keys])
  return { group, rows: [...rows].map(([what, keys]) => ({ keys: keys.join(' / '), what })) }
})

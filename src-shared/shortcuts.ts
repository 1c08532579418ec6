// Every keyboard shortcut of the editor, declared once, on the action it runs. The editor's
// key handling, the application menu's accelerators and the shortcut sheet are all read
// from this table. Pure data and pure functions: main (the menu) and the renderer (keys,
// sheet) both import it. The renderer type-checks each action name and payload against its
// action table (src-renderer/actions/shortcuts.ts).
import type { MenuCommand } from './contract'

/** Where a shortcut sits in the shortcut sheet. */
export type ShortcutGroup = 'File' | 'Edit' | 'Tools' | 'View'

export const shortcutGroups: readonly ShortcutGroup[] = ['File', 'Edit', 'Tools', 'View']

export interface ShortcutDeclaration {
  /** The editor action it runs (a name in src-renderer/actions/editorActions.ts). */
  readonly action: string
  /** That action's payload, when it takes one. */
  readonly payload?: unknown
  /**
   * Chords the editor handles itself, e.g. 'Ctrl+Shift+Z', 'Shift+[', 'B', 'Esc' ('Ctrl' is Cmd
   * on macOS too). They do nothing while the user types in a text field. When the action has a
   * menu item, the first chord is shown there but not registered, so a key never runs twice.
   */
  readonly keys: readonly string[]
  /** A key to hold: keydown runs `payload`, keyup (or leaving the window) runs `release`. */
  readonly release?: unknown
  /** The menu item that runs the same action. */
  readonly menu?: MenuCommand
  /** A chord only the menu registers (it works wherever focus is); the editor leaves it alone. */
  readonly menuKey?: string
  readonly group: ShortcutGroup
  /** The sheet's text; declarations with the same text in a group share one row. */
  readonly sheet: string
}

export const shortcutTable = [
  // File
  { action: 'project.new', keys: [], menu: 'newProject', menuKey: 'Ctrl+N', group: 'File', sheet: 'New project' },
  { action: 'file.open', keys: ['Ctrl+O'], menu: 'open', group: 'File', sheet: 'Open photo' },
  { action: 'file.openReference', keys: ['Ctrl+R'], menu: 'openReference', group: 'File', sheet: 'Add reference photo' },
  { action: 'project.open', keys: ['Ctrl+Shift+O'], menu: 'openProject', group: 'File', sheet: 'Open project' },
  { action: 'project.save', keys: ['Ctrl+S'], menu: 'save', group: 'File', sheet: 'Save project / Save as' },
  { action: 'project.saveAs', keys: ['Ctrl+Shift+S'], menu: 'saveAs', group: 'File', sheet: 'Save project / Save as' },
  { action: 'dialog.open', payload: { dialog: 'export' }, keys: ['Ctrl+E'], menu: 'export', group: 'File', sheet: 'Export' },
  { action: 'dialog.open', payload: { dialog: 'models' }, keys: [], menu: 'models', menuKey: 'Ctrl+M', group: 'File', sheet: 'Models' },
  { action: 'model.importCheckpoint', keys: [], menu: 'importCheckpoint', group: 'File', sheet: 'Import checkpoint' },
  // Edit
  { action: 'edit.undo', keys: ['Ctrl+Z'], menu: 'undo', group: 'Edit', sheet: 'Undo' },
  { action: 'edit.redo', keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], menu: 'redo', group: 'Edit', sheet: 'Redo' },
  { action: 'mask.clear', payload: {}, keys: ['Delete', 'Backspace'], group: 'Edit', sheet: 'Clear the active mask' },
  { action: 'mask.invert', payload: {}, keys: ['Ctrl+I'], group: 'Edit', sheet: 'Invert the active mask' },
  // Tools
  { action: 'tool.set', payload: { tool: 'brush' }, keys: ['B'], group: 'Tools', sheet: 'Brush / Eraser' },
  { action: 'tool.set', payload: { tool: 'eraser' }, keys: ['E'], group: 'Tools', sheet: 'Brush / Eraser' },
  { action: 'tool.set', payload: { tool: 'crop' }, keys: ['C'], group: 'Tools', sheet: 'Crop frame' },
  { action: 'tool.set', payload: { tool: 'offset' }, keys: ['V'], group: 'Tools', sheet: 'Offset: drag the reference content' },
  { action: 'tool.set', payload: { tool: 'pan' }, keys: ['H'], group: 'Tools', sheet: 'Pan' },
  { action: 'crop.turn', payload: { degrees: -1 }, keys: [','], group: 'Tools', sheet: 'Turn the crop frame 1° left / right (while placing it)' },
  { action: 'crop.turn', payload: { degrees: 1 }, keys: ['.'], group: 'Tools', sheet: 'Turn the crop frame 1° left / right (while placing it)' },
  { action: 'crop.reset', keys: ['R'], group: 'Tools', sheet: 'Reset the crop frame to the default square, unturned (while placing it)' },
  { action: 'brush.shrink', keys: ['['], group: 'Tools', sheet: 'Smaller / larger brush' },
  { action: 'brush.grow', keys: [']'], group: 'Tools', sheet: 'Smaller / larger brush' },
  { action: 'brush.softer', keys: ['Shift+['], group: 'Tools', sheet: 'Softer / harder brush' },
  { action: 'brush.harder', keys: ['Shift+]'], group: 'Tools', sheet: 'Softer / harder brush' },
  // View
  { action: 'view.zoomIn', keys: ['Ctrl+='], menu: 'zoomIn', group: 'View', sheet: 'Zoom in / out' },
  { action: 'view.zoomOut', keys: ['Ctrl+-'], menu: 'zoomOut', group: 'View', sheet: 'Zoom in / out' },
  { action: 'view.fit', keys: ['Ctrl+0'], menu: 'zoomFit', group: 'View', sheet: 'Fit to window' },
  { action: 'view.escape', keys: ['Esc'], group: 'View', sheet: 'Close the open panel or slider, leave crop placing, else fit to window' },
  { action: 'view.actual', keys: ['Ctrl+1'], menu: 'zoom100', group: 'View', sheet: 'Actual size (100%)' },
  { action: 'compare.hold', payload: { on: true }, release: { on: false }, keys: ['\\'], group: 'View', sheet: 'Show the original while held' },
  { action: 'view.toggleMasks', keys: ['M'], group: 'View', sheet: 'Show / hide the mask colours' },
  { action: 'compare.toggle', keys: ['Ctrl+B'], group: 'View', sheet: 'Before / after slider' },
  { action: 'preview.render', keys: ['Enter'], group: 'View', sheet: 'Render the preview now' },
  { action: 'dialog.open', payload: { dialog: 'shortcuts' }, keys: ['?', 'F1'], menu: 'shortcuts', menuKey: 'Ctrl+/', group: 'View', sheet: 'This sheet' },
  { action: 'dialog.open', payload: { dialog: 'about' }, keys: [], menu: 'about', group: 'View', sheet: 'About' },
] as const satisfies readonly ShortcutDeclaration[]

/** What the canvas does with the pointer and held keys: sheet rows that are not actions. */
export const canvasGestures = {
  /** held, it turns a drag into a pan whatever the tool */
  panKey: 'Space',
  sheet: [
    { group: 'Tools', keys: 'hold Space', sheet: 'Pan while held' },
    { group: 'View', keys: 'Wheel', sheet: 'Zoom at the pointer' },
  ],
} as const satisfies { panKey: string; sheet: readonly { group: ShortcutGroup; keys: string; sheet: string }[] }

// Each menu command except 'openRecent' (which carries the recent file's id) is declared once.
type DeclaredMenuCommand = Extract<(typeof shortcutTable)[number], { menu: string }>['menu']
type UndeclaredMenuCommand = Exclude<MenuCommand, DeclaredMenuCommand | 'openRecent'>
const everyMenuCommandDeclared: [UndeclaredMenuCommand] extends [never] ? true : UndeclaredMenuCommand = true
void everyMenuCommandDeclared

// ---------------------------------------------------------------- chords

/** A key event as far as shortcuts care (a DOM KeyboardEvent fits). */
export interface KeyInput {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

/** A chord in one canonical form: `key` is lower case, or a DOM key name ('Enter'). */
export interface Chord {
  key: string
  ctrl: boolean
  shift: boolean
  alt: boolean
}

// Characters that are the shifted form of another key on a US keyboard; a chord or event
// naming them means "Shift + that key", so 'Shift+[' matches the '{' a US keyboard sends.
const shiftedForms: Record<string, string> = { '{': '[', '}': ']', '+': '=', '?': '/' }
// Names a chord may use for keys whose DOM name is different.
const keyAliases: Record<string, string> = { Esc: 'Escape', Space: ' ', Del: 'Delete' }

function canonicalKey(key: string, shift: boolean): { key: string; shift: boolean } {
  const named = keyAliases[key] ?? key
  const base = shiftedForms[named]
  if (base) return { key: base, shift: true }
  return { key: named.length === 1 ? named.toLowerCase() : named, shift }
}

/** 'Ctrl+Shift+Z' -> { key: 'z', ctrl: true, shift: true, alt: false }. */
export function parseChord(text: string): Chord {
  const parts = text.split('+')
  const rawKey = parts[parts.length - 1]
  const mods = parts.slice(0, -1)
  for (const mod of mods) if (mod !== 'Ctrl' && mod !== 'Shift' && mod !== 'Alt') throw new Error(`unknown modifier ${mod} in chord ${text}`)
  if (!rawKey) throw new Error(`no key in chord ${text}`)
  const { key, shift } = canonicalKey(rawKey, mods.includes('Shift'))
  return { key, ctrl: mods.includes('Ctrl'), shift, alt: mods.includes('Alt') }
}

/** The chord a key press stands for (Cmd counts as Ctrl). */
export function chordOfEvent(e: KeyInput): Chord {
  const { key, shift } = canonicalKey(e.key, e.shiftKey)
  return { key, ctrl: e.ctrlKey || e.metaKey, shift, alt: e.altKey }
}

/** One string per distinct chord, for lookups and for finding a chord declared twice. */
export function chordId(chord: Chord): string {
  return `${chord.ctrl ? 'Ctrl+' : ''}${chord.alt ? 'Alt+' : ''}${chord.shift ? 'Shift+' : ''}${chord.key}`
}

/** The Electron accelerator for a declared chord ('Ctrl+Shift+Z' -> 'CmdOrCtrl+Shift+Z'). */
export function acceleratorOf(text: string): string {
  const parts = text.split('+')
  const key = parts[parts.length - 1]
  const mods = parts.slice(0, -1).map((m) => (m === 'Ctrl' ? 'CmdOrCtrl' : m))
  const name = key === 'Esc' ? 'Escape' : key.length === 1 ? key.toUpperCase() : key
  return [...mods, name].join('+')
}

// ---------------------------------------------------------------- lookups

/**
 * The index a key handler looks chords up in: each chord the editor handles, to its
 * declaration. Shift counts only where some chord declares it (Ctrl+Shift+Z is redo,
 * Shift+B is still the brush), so an extra Shift falls back to the chord without it.
 */
export class ShortcutIndex<D extends ShortcutDeclaration> {
  private readonly byChord = new Map<string, D>()
  private readonly byReleaseKey = new Map<string, D>()

  constructor(readonly declarations: readonly D[]) {
    for (const declaration of declarations) {
      for (const text of declaration.keys) {
        const chord = parseChord(text)
        const id = chordId(chord)
        if (this.byChord.has(id)) throw new Error(`the chord ${text} is declared twice`)
        this.byChord.set(id, declaration)
        if (declaration.release !== undefined) this.byReleaseKey.set(chord.key, declaration)
      }
    }
  }

  /** The declaration a keydown stands for, or null. */
  find(e: KeyInput): D | null {
    const chord = chordOfEvent(e)
    return this.byChord.get(chordId(chord)) ?? (chord.shift ? (this.byChord.get(chordId({ ...chord, shift: false })) ?? null) : null)
  }

  /** The held-key declaration a keyup ends, whatever modifiers are down by then. */
  findRelease(e: KeyInput): D | null {
    return this.byReleaseKey.get(chordOfEvent(e).key) ?? null
  }

  /** The declarations of keys to hold. */
  held(): D[] {
    return this.declarations.filter((d) => d.release !== undefined)
  }
}

/** The declaration a menu command runs (every command but 'openRecent' has one). */
export function declarationForMenu<D extends ShortcutDeclaration>(declarations: readonly D[], command: MenuCommand): D | null {
  return declarations.find((d) => d.menu === command) ?? null
}

/** What a menu item shows as its accelerator, and whether the menu registers it. */
export function menuAccelerator(command: MenuCommand): { accelerator: string; registered: boolean } | null {
  const declaration: ShortcutDeclaration | null = declarationForMenu(shortcutTable, command)
  if (!declaration) return null
  if (declaration.menuKey) return { accelerator: acceleratorOf(declaration.menuKey), registered: true }
  const first = declaration.keys[0]
  return first === undefined ? null : { accelerator: acceleratorOf(first), registered: false }
}

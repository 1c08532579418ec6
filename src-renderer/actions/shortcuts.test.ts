import { describe, expect, it } from 'vitest'
import { chordId, parseChord, shortcutTable } from '../../src-shared/shortcuts'
import { menuCommandSchema } from '../../src-shared/contract'
import { dispatchMenuCommand, editorActionTable, type EditorActions } from './editorActions'
import { editorShortcuts, keysFor, releaseAll, releaseFor, shortcutFor, shortcutSheet, type KeyInput } from './shortcuts'

const k = (key: string, mods: Partial<KeyInput> = {}): KeyInput => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods })

/** The key press a declared chord stands for. */
function press(chordText: string): KeyInput {
  const chord = parseChord(chordText)
  return k(chord.key, { ctrlKey: chord.ctrl, shiftKey: chord.shift, altKey: chord.alt })
}

describe('shortcuts', () => {
  it('maps the editor keys users expect', () => {
    expect(shortcutFor(k('z', { ctrlKey: true }))?.name).toBe('edit.undo')
    expect(shortcutFor(k('Z', { ctrlKey: true, shiftKey: true }))?.name).toBe('edit.redo')
    expect(shortcutFor(k('z', { metaKey: true, shiftKey: true }))?.name).toBe('edit.redo')
    expect(shortcutFor(k('y', { ctrlKey: true }))?.name).toBe('edit.redo')
    expect(shortcutFor(k('O', { ctrlKey: true, shiftKey: true }))?.name).toBe('project.open')
    expect(shortcutFor(k('e', { ctrlKey: true }))).toEqual({ name: 'dialog.open', payload: { dialog: 'export' } })
    expect(shortcutFor(k('['))?.name).toBe('brush.shrink')
    expect(shortcutFor(k(']'))?.name).toBe('brush.grow')
    // a US keyboard sends { and } for Shift+[ and Shift+]
    expect(shortcutFor(k('{', { shiftKey: true }))?.name).toBe('brush.softer')
    expect(shortcutFor(k('}', { shiftKey: true }))?.name).toBe('brush.harder')
    expect(shortcutFor(k('Escape'))?.name).toBe('view.escape')
    expect(shortcutFor(k('\\'))).toEqual({ name: 'compare.hold', payload: { on: true } })
    expect(shortcutFor(k('e'))).toEqual({ name: 'tool.set', payload: { tool: 'eraser' } })
    expect(shortcutFor(k('1', { ctrlKey: true }))?.name).toBe('view.actual')
    expect(shortcutFor(k('?', { shiftKey: true }))).toEqual({ name: 'dialog.open', payload: { dialog: 'shortcuts' } })
    expect(shortcutFor(k('Backspace'))?.name).toBe('mask.clear')
    expect(shortcutFor(k('q'))).toBeNull()
    expect(shortcutFor(k('b', { altKey: true }))).toBeNull()
    expect(shortcutFor(k('z', { ctrlKey: true, altKey: true }))).toBeNull()
  })

  it('lets an extra Shift through where no chord declares it, as before', () => {
    expect(shortcutFor(k('B', { shiftKey: true }))).toEqual({ name: 'tool.set', payload: { tool: 'brush' } })
    expect(shortcutFor(k('E', { ctrlKey: true, shiftKey: true }))?.name).toBe('dialog.open')
    // Ctrl and the + key (Shift+= on a US keyboard, or the keypad's +) zoom in
    expect(shortcutFor(k('+', { ctrlKey: true, shiftKey: true }))?.name).toBe('view.zoomIn')
    expect(shortcutFor(k('+', { ctrlKey: true }))?.name).toBe('view.zoomIn')
    // Ctrl+Shift+1 sends '!': not Ctrl+1
    expect(shortcutFor(k('!', { ctrlKey: true, shiftKey: true }))).toBeNull()
  })

  it('leaves the keys only the menu registers to the menu', () => {
    expect(shortcutFor(k('n', { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(k('m', { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(k('/', { ctrlKey: true }))).toBeNull()
    expect(shortcutFor(k('m'))?.name).toBe('view.toggleMasks')
  })

  it('resolves every declared chord to its own action and payload', () => {
    for (const d of editorShortcuts) {
      for (const chord of d.keys) expect(shortcutFor(press(chord)), chord).toEqual({ name: d.action, payload: d.payload })
    }
  })

  it('declares no chord twice, page keys and menu keys together', () => {
    const seen = new Map<string, string>()
    for (const d of shortcutTable) {
      const chords = [...d.keys, ...('menuKey' in d ? [d.menuKey] : [])]
      for (const chord of chords) {
        const id = chordId(parseChord(chord))
        expect(seen.get(id), `${chord} on ${d.action}`).toBeUndefined()
        seen.set(id, d.action)
      }
    }
    expect(seen.size).toBeGreaterThan(25)
  })

  it('names only actions that exist, and every menu command except Open Recent once', () => {
    for (const d of editorShortcuts) expect(editorActionTable[d.action], d.action).toBeDefined()
    for (const command of menuCommandSchema.options) {
      const count = editorShortcuts.filter((d) => d.menu === command).length
      expect(count, command).toBe(command === 'openRecent' ? 0 : 1)
    }
  })

  it('ends a held key on keyup, whatever modifiers are down, and when the window loses focus', () => {
    expect(releaseFor(k('\\'))).toEqual({ name: 'compare.hold', payload: { on: false } })
    expect(releaseFor(k('\\', { ctrlKey: true }))).toEqual({ name: 'compare.hold', payload: { on: false } })
    expect(releaseFor(k('b'))).toBeNull()
    expect(releaseAll()).toEqual([{ name: 'compare.hold', payload: { on: false } }])
  })
})

describe('shortcut sheet', () => {
  const rows = shortcutSheet.flatMap((g) => g.rows)

  it('lists every declared key, page and menu', () => {
    for (const d of shortcutTable) {
      const chords = [...d.keys, ...('menuKey' in d ? [d.menuKey] : [])]
      for (const chord of chords) {
        const row = rows.find((r) => r.what === d.sheet)
        expect(
          row?.keys.split(' / ').map((key) => key.replace(/ \(hold\)$/, '')),
          `${chord} ${d.sheet}`,
        ).toContain(chord)
      }
    }
  })

  it('reads as before: pairs share a row, held keys say so, pointer gestures are listed', () => {
    const row = (what: string) => rows.find((r) => r.what === what)?.keys
    expect(row('Redo')).toBe('Ctrl+Shift+Z / Ctrl+Y')
    expect(row('Smaller / larger brush')).toBe('[ / ]')
    expect(row('Softer / harder brush')).toBe('Shift+[ / Shift+]')
    expect(row('Brush / Eraser')).toBe('B / E')
    expect(row('Show the original while held')).toBe('\\ (hold)')
    expect(row('This sheet')).toBe('? / F1 / Ctrl+/')
    expect(row('Zoom at the pointer')).toBe('Wheel')
    expect(shortcutSheet.map((g) => g.group)).toEqual(['File', 'Edit', 'Tools', 'View'])
  })

  it('gives tooltips the same keys', () => {
    expect(keysFor('file.open')).toBe('Ctrl+O')
    expect(keysFor('tool.set', { tool: 'offset' })).toBe('V')
    expect(keysFor('dialog.open', { dialog: 'generate' })).toBe('')
  })
})

describe('menu commands', () => {
  it('run the action the table names for them', async () => {
    const sent: { name: string; payload: unknown }[] = []
    const actions = { dispatch: async (name: string, payload?: unknown) => void sent.push({ name, payload }) } as unknown as EditorActions
    await dispatchMenuCommand(actions, 'export')
    await dispatchMenuCommand(actions, 'redo')
    await dispatchMenuCommand(actions, 'newProject')
    await dispatchMenuCommand(actions, 'importCheckpoint')
    await dispatchMenuCommand(actions, 'openRecent', 'r1')
    await dispatchMenuCommand(actions, 'openRecent')
    expect(sent).toEqual([
      { name: 'dialog.open', payload: { dialog: 'export' } },
      { name: 'edit.redo', payload: undefined },
      { name: 'project.new', payload: undefined },
      { name: 'model.importCheckpoint', payload: undefined },
      { name: 'file.openRecent', payload: { id: 'r1' } },
    ])
  })
})

import { describe, expect, it } from 'vitest'
import { shortcutFor, type KeyInput } from './shortcuts'

const k = (key: string, mods: Partial<KeyInput> = {}): KeyInput => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods })

describe('shortcuts', () => {
  it('maps the editor keys users expect', () => {
    expect(shortcutFor(k('z', { ctrlKey: true }))?.name).toBe('edit.undo')
    expect(shortcutFor(k('Z', { ctrlKey: true, shiftKey: true }))?.name).toBe('edit.redo')
    expect(shortcutFor(k('z', { metaKey: true, shiftKey: true }))?.name).toBe('edit.redo')
    expect(shortcutFor(k('['))?.name).toBe('brush.shrink')
    expect(shortcutFor(k(']'))?.name).toBe('brush.grow')
    expect(shortcutFor(k('{', { shiftKey: true }))?.name).toBe('brush.softer')
    expect(shortcutFor(k('Escape'))?.name).toBe('view.fit')
    expect(shortcutFor(k('\\'))).toEqual({ name: 'compare.hold', payload: { on: true } })
    expect(shortcutFor(k('e'))).toEqual({ name: 'tool.set', payload: { tool: 'eraser' } })
    expect(shortcutFor(k('1', { ctrlKey: true }))?.name).toBe('view.actual')
    expect(shortcutFor(k('q'))).toBeNull()
    expect(shortcutFor(k('b', { altKey: true }))).toBeNull()
  })
})

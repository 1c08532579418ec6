// Keyboard -> action. Pure so the table is unit-tested; the sheet lists the same keys.
import type { EditorActionName, EditorActionPayloads } from './editorActions'

export interface KeyInput {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

export type ShortcutHit = {
  [K in EditorActionName]: { name: K; payload: EditorActionPayloads[K] }
}[EditorActionName]

/** The action a key press (keydown) stands for, or null. */
export function shortcutFor(e: KeyInput): ShortcutHit | null {
  const mod = e.ctrlKey || e.metaKey
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
  if (mod && !e.altKey) {
    switch (key) {
      case 'z':
        return e.shiftKey ? { name: 'edit.redo', payload: undefined } : { name: 'edit.undo', payload: undefined }
      case 'y':
        return { name: 'edit.redo', payload: undefined }
      case 'o':
        return e.shiftKey ? { name: 'project.open', payload: undefined } : { name: 'file.open', payload: undefined }
      case 'r':
        return { name: 'file.openReference', payload: undefined }
      case 's':
        return e.shiftKey ? { name: 'project.saveAs', payload: undefined } : { name: 'project.save', payload: undefined }
      case 'e':
        return { name: 'dialog.open', payload: { dialog: 'export' } }
      case 'i':
        return { name: 'mask.invert', payload: {} }
      case 'b':
        return { name: 'compare.toggle', payload: undefined }
      case '=':
      case '+':
        return { name: 'view.zoomIn', payload: undefined }
      case '-':
        return { name: 'view.zoomOut', payload: undefined }
      case '0':
        return { name: 'view.fit', payload: undefined }
      case '1':
        return { name: 'view.actual', payload: undefined }
      default:
        return null
    }
  }
  if (e.altKey) return null
  switch (key) {
    case 'b':
      return { name: 'tool.set', payload: { tool: 'brush' } }
    case 'e':
      return { name: 'tool.set', payload: { tool: 'eraser' } }
    case 'c':
      return { name: 'tool.set', payload: { tool: 'crop' } }
    case 'v':
      return { name: 'tool.set', payload: { tool: 'offset' } }
    case 'h':
      return { name: 'tool.set', payload: { tool: 'pan' } }
    case 'm':
      return { name: 'view.toggleMasks', payload: undefined }
    case '[':
    case '{':
      return e.shiftKey || key === '{' ? { name: 'brush.softer', payload: undefined } : { name: 'brush.shrink', payload: undefined }
    case ']':
    case '}':
      return e.shiftKey || key === '}' ? { name: 'brush.harder', payload: undefined } : { name: 'brush.grow', payload: undefined }
    case 'Delete':
    case 'Backspace':
      return { name: 'mask.clear', payload: {} }
    case 'Enter':
      return { name: 'preview.render', payload: undefined }
    case '\\':
      return { name: 'compare.hold', payload: { on: true } }
    case '?':
    case 'F1':
      return { name: 'dialog.open', payload: { dialog: 'shortcuts' } }
    case 'Escape':
      return { name: 'view.fit', payload: undefined }
    default:
      return null
  }
}

/** The rows of the shortcut sheet. */
export const shortcutSheet: { group: string; rows: [keys: string, what: string][] }[] = [
  {
    group: 'File',
    rows: [
      ['Ctrl+O', 'Open photo'],
      ['Ctrl+R', 'Add reference photo'],
      ['Ctrl+Shift+O', 'Open project'],
      ['Ctrl+S / Ctrl+Shift+S', 'Save project / Save as'],
      ['Ctrl+E', 'Export'],
    ],
  },
  {
    group: 'Edit',
    rows: [
      ['Ctrl+Z', 'Undo'],
      ['Ctrl+Shift+Z / Ctrl+Y', 'Redo'],
      ['Delete', 'Clear the active mask'],
      ['Ctrl+I', 'Invert the active mask'],
    ],
  },
  {
    group: 'Tools',
    rows: [
      ['B / E', 'Brush / Eraser'],
      ['C', 'Crop frame'],
      ['V', 'Offset: drag the reference content'],
      ['H, or hold Space', 'Pan'],
      ['[ / ]', 'Smaller / larger brush'],
      ['Shift+[ / Shift+]', 'Softer / harder brush'],
    ],
  },
  {
    group: 'View',
    rows: [
      ['Wheel', 'Zoom at the pointer'],
      ['Ctrl+= / Ctrl+-', 'Zoom in / out'],
      ['Ctrl+0 or Esc', 'Fit to window'],
      ['Ctrl+1', 'Actual size (100%)'],
      ['\\ (hold)', 'Show the original while held'],
      ['M', 'Show / hide the mask colours'],
      ['Ctrl+B', 'Before / after slider'],
      ['Enter', 'Render the preview now'],
      ['? or F1', 'This sheet'],
    ],
  },
]

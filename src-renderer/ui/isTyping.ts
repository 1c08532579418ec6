// Whether a key press belongs to a text field rather than to the editor's shortcuts.

// inputs that take no typed text: a key pressed on them is a shortcut (after dragging the
// brush slider, [ and ] still resize the brush; after ticking a box, Space still pans)
const NOT_TEXT_INPUTS = new Set(['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file', 'image'])

/** True when focus is in a text input, textarea, select or contenteditable (not on a slider or checkbox). */
export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null
  if (!el || typeof el.tagName !== 'string') return false
  if (el.tagName === 'INPUT') return !NOT_TEXT_INPUTS.has((el as HTMLInputElement).type)
  return el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable === true
}

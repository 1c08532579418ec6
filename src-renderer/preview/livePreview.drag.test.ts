import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EditorStore } from '../document/editorStore'
import { UiStore } from '../ui/uiStore'
import { LivePreview } from './livePreview'

// the renderer's window, as far as a drag of the mix uses it: its pointer and focus events
const held = globalThis as unknown as { window?: EventTarget }
let saved: EventTarget | undefined

/** Whether the preview has a render waiting on its throttle timer. */
const waiting = (preview: LivePreview) => (preview as unknown as { timer: unknown }).timer !== null

/** A drag during which a draft was asked for (the request builder marks it so). */
function dragWithDraft(preview: LivePreview): void {
  preview.mixDragStart()
  ;(preview as unknown as { draftedWhileDragging: boolean }).draftedWhileDragging = true
}

describe('a drag of the mix (strength slider, offset tool)', () => {
  beforeEach(() => {
    saved = held.window
    held.window = new EventTarget()
  })
  afterEach(() => {
    held.window = saved
  })

  it('asks for the exact render when the button comes up, or the window loses focus, after drafts were drawn', () => {
    for (const event of ['pointerup', 'pointercancel', 'blur']) {
      const preview = new LivePreview(new EditorStore(), new UiStore())
      dragWithDraft(preview)
      expect(waiting(preview)).toBe(false)
      held.window!.dispatchEvent(new Event(event))
      expect(waiting(preview), event).toBe(true)
      preview.dispose()
    }
  })

  it('asks for nothing when no draft was drawn during it, or once the preview is disposed', () => {
    const quiet = new LivePreview(new EditorStore(), new UiStore())
    quiet.mixDragStart()
    held.window!.dispatchEvent(new Event('pointerup'))
    expect(waiting(quiet)).toBe(false)
    quiet.dispose()

    const disposed = new LivePreview(new EditorStore(), new UiStore())
    dragWithDraft(disposed)
    disposed.dispose()
    held.window!.dispatchEvent(new Event('pointerup'))
    expect(waiting(disposed)).toBe(false)
  })
})

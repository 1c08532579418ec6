// Drives the engine's generate from document changes: throttled, one in flight, newest
// shown. Previews are never undo steps and never touch the document.
import type { EditInput } from '../../src-shared/contract'
import type { EditorStore } from '../document/editorStore'
import { bytesToUrl, call, toAppError } from '../engine/api'
import type { PreviewFrame, UiStore } from '../ui/uiStore'
import { isMaskEmpty } from '../mask/maskBitmap'
import { buildEdit, editHasLayers } from './buildEdit'
import { PreviewScheduler } from './previewScheduler'

const THROTTLE_MS = 60
/** The preview is at most 1024 px across: a mask of that size is plenty for it. */
const PREVIEW_MASK_MAX_SIDE = 1024

function buildsAnything(store: EditorStore): boolean {
  return store.doc.references.some((l) => l.visible && !isMaskEmpty(l.mask))
}

/**
 * Whether a failed render only failed because its edit, built earlier, names an image the
 * document has let go of since (main answers E_IMAGE_UNKNOWN for it). That render is stale; the
 * document's own images are all still held, so it is no error to show.
 */
export function namesReleasedImage(error: unknown, edit: EditInput, held: Record<string, unknown>): boolean {
  if (toAppError(error).code !== 'E_IMAGE_UNKNOWN') return false
  const named = [edit.original.imageId, ...edit.layers.map((layer) => layer.reference.imageId)]
  return named.some((imageId) => !(imageId in held))
}

/** An edit to preview, and whether a draft will do (a stroke is being painted, or a strength or the offset dragged). */
interface DraftableEdit {
  edit: EditInput
  draft: boolean
}

export class LivePreview {
  private readonly scheduler: PreviewScheduler<DraftableEdit, PreviewFrame>
  private timer: ReturnType<typeof setTimeout> | null = null
  private lastRevision = -1
  /** a drag that changes the mix is under way (mixDragStart) */
  private mixDrag = false
  /** a draft was asked for during the drag: its end asks for the exact render */
  private draftedWhileDragging = false
  /** removes the drag's window listeners (dispose mid-drag: no render asked for afterwards) */
  private stopDragListening: (() => void) | null = null
  private readonly disposers: (() => void)[] = []

  constructor(
    private readonly store: EditorStore,
    private readonly ui: UiStore,
  ) {
    this.scheduler = new PreviewScheduler<DraftableEdit, PreviewFrame>({
      // main keeps the newest sequence number it has seen for the window's lifetime, also
      // across a reload: start from the clock so a reloaded page is never "older"
      firstSeq: Date.now(),
      run: async (seq, { edit, draft }) => {
        let res
        try {
          res = await call('engine:generate', { seq, edit, maxSize: 1024, draft })
        } catch (error) {
          // the edit was built before an image it names was released: a newer render follows
          if (namesReleasedImage(error, edit, this.store.doc.images)) return null
          throw error
        }
        if (res.status !== 'rendered') return null
        return {
          seq: res.seq,
          crop: res.crop,
          region: res.region,
          pastedUrl: bytesToUrl(res.pasted.bytes, res.pasted.mime),
          rawUrl: bytesToUrl(res.raw.bytes, res.raw.mime),
          width: res.pasted.width,
          height: res.pasted.height,
          ms: res.ms,
          draft: res.draft,
        }
      },
      onResult: ({ result }) => {
        const old = this.ui.preview
        this.ui.set({ preview: result, lastRenderMs: result.ms })
        if (old) {
          URL.revokeObjectURL(old.pastedUrl)
          URL.revokeObjectURL(old.rawUrl)
        }
      },
      onError: (_seq, error) => this.store.reportError(toAppError(error)),
      onBusyChange: (busy) => this.ui.set({ previewBusy: busy }),
    })
  }

  start(): void {
    this.disposers.push(
      this.store.subscribe(() => {
        if (this.store.docRevision === this.lastRevision) return
        this.lastRevision = this.store.docRevision
        if (this.store.doc.settings.livePreview) this.schedule()
      }),
      // painting: render while the stroke is still going
      this.store.onMaskChange(() => {
        if (this.store.doc.settings.livePreview && this.store.strokeActive) this.schedule()
      }),
    )
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d()
    this.stopDragListening?.()
    if (this.timer) clearTimeout(this.timer)
  }

  /** Render now, whatever the live setting (the manual render button). */
  renderNow(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.send()
  }

  /** Drop what is shown and anything on its way (a new document). */
  reset(): void {
    this.scheduler.invalidate()
    const old = this.ui.preview
    if (old) {
      URL.revokeObjectURL(old.pastedUrl)
      URL.revokeObjectURL(old.rawUrl)
    }
    this.ui.set({ preview: null })
  }

  private schedule(): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = null
      this.send()
    }, THROTTLE_MS)
  }

  /**
   * A drag that changes the mix has begun: a strength slider (a layer's, the coarse or the fine
   * strength) or the offset tool. Until the pointer comes up the previews may be drafts, as
   * while a stroke is painted, and then the exact render follows. At 256 px on a 2-core CPU, for
   * a mouth-sized mask, a strength's exact render takes about 0.6 s and its draft about 0.2 s
   * (an offset's 0.3 s), so the preview keeps up with the hand better. Keys move a slider in
   * steps that render exactly.
   */
  mixDragStart(): void {
    if (this.mixDrag) return
    this.mixDrag = true
    // the window losing focus ends it too: a button released elsewhere may never be reported
    const capture = { capture: true }
    const stopListening = () => {
      window.removeEventListener('pointerup', end, capture)
      window.removeEventListener('pointercancel', end, capture)
      window.removeEventListener('blur', end)
    }
    const end = () => {
      stopListening()
      this.stopDragListening = null
      this.mixDrag = false
      if (!this.draftedWhileDragging) return
      this.draftedWhileDragging = false
      if (this.store.doc.settings.livePreview) this.schedule()
    }
    window.addEventListener('pointerup', end, capture)
    window.addEventListener('pointercancel', end, capture)
    window.addEventListener('blur', end)
    this.stopDragListening = stopListening
  }

  private send(): void {
    if (!this.store.doc.original) return
    if (!buildsAnything(this.store)) {
      // nothing painted: the photo itself is the result
      this.reset()
      return
    }
    // the edit (with its mask copies) is built when the engine is ready for it, not per brush move
    this.scheduler.request(() => {
      const edit = buildEdit(this.store.doc, { wplusAvailable: this.ui.activeModel?.capabilities.wplus ?? true, maskMaxSide: PREVIEW_MASK_MAX_SIDE })
      if (!edit || !editHasLayers(edit)) return null
      // while a stroke is being painted a draft will do; the stroke's end renders exactly (its
      // change to the document asks for it), and so does the end of a drag of the mix (asked for there)
      if (this.mixDrag && !this.store.strokeActive) this.draftedWhileDragging = true
      return { edit, draft: this.store.strokeActive || this.mixDrag }
    })
  }
}

// Readies the crops an edit will be painted on before the first stroke: when the photo's crop
// or a reference's settles (framed, moved, a reference added), the engine is asked to encode
// them and ready the photo's and references' styles (`engine:prepare`). With a 256 px model that
// is most of a first render: done while the user picks a brush, the first stroke's preview takes
// about 1.0 s instead of 5.0 (`npm run bench`). It is work for idle moments: it is asked for
// only while no preview is being rendered, and the engine stops it between steps for a render
// asked for meanwhile (it answers `complete: false`; the rest is asked for once the preview is
// idle again). Nothing here touches the document.
import type { Crop } from '../../src-shared/contract'
import type { EditorDocument } from '../document/editorDocument'
import type { EditorStore } from '../document/editorStore'
import { toAppError } from '../engine/api'
import type { UiStore } from '../ui/uiStore'

/** A crop is prepared once it has stayed put this long (a frame being dragged changes on every mouse move). */
export const PREPARE_SETTLE_MS = 400

export interface PrepareRequest {
  original: { imageId: string; crop: Crop }
  references: { imageId: string; crop: Crop }[]
}

/** Asks the engine; `complete`: false when it stopped early for other requests (engine:prepare). */
export type Prepare = (request: PrepareRequest) => Promise<{ complete: boolean }>

/** The crops of the document's photo and visible references; null without a photo. */
export function prepareRequest(doc: EditorDocument): PrepareRequest | null {
  if (!doc.original) return null
  return {
    original: { imageId: doc.original.imageId, crop: { ...doc.original.crop } },
    references: doc.references.filter((l) => l.visible).map((l) => ({ imageId: l.imageId, crop: { ...l.crop } })),
  }
}

export class CropPreparer {
  /** What was last sent (request and model), so an unchanged document asks nothing. */
  private sent = ''
  private timer: ReturnType<typeof setTimeout> | null = null
  /** A request is on its way: crops changed meanwhile are asked for once it answers. */
  private running = false
  /** The crops still need a request: one stopped early (or they changed while it ran). */
  private owed = false
  private readonly disposers: (() => void)[] = []

  constructor(
    private readonly store: EditorStore,
    private readonly ui: UiStore,
    private readonly prepare: Prepare,
    private readonly settleMs = PREPARE_SETTLE_MS,
  ) {}

  start(): void {
    // the model shows up in the UI store (at startup, or another one chosen), the crops in the document
    this.disposers.push(this.store.subscribe(() => this.changed()), this.ui.subscribe(() => this.changed()))
    this.changed()
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d()
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** The engine forgot what it held (it was restarted): the crops are asked for again. */
  forget(): void {
    this.sent = ''
    this.changed()
  }

  private key(): string | null {
    const model = this.ui.activeModel
    const request = prepareRequest(this.store.doc)
    // before the model is known the first render would load it anyway; asking twice is waste
    return model && request ? `${model.id}|${JSON.stringify(request)}` : null
  }

  private changed(): void {
    const key = this.key()
    if (key === null && this.owed) {
      this.owed = false
      if (!this.running) this.ui.set({ preparing: false })
    }
    if (key === null || key === this.sent) {
      // back where it was before the wait began: nothing to send
      if (this.timer && key === this.sent) {
        clearTimeout(this.timer)
        this.timer = null
      }
      return
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      this.send()
    }, this.settleMs)
  }

  private send(): void {
    // the document as it is now (changed() has cancelled the wait where it went back to what was sent)
    const key = this.key()
    const request = prepareRequest(this.store.doc)
    if (key === null || !request) return
    // one at a time: the engine answers requests in turn, so a frame moved and left several
    // times must not queue several seconds of work ahead of the first stroke; and not while a
    // preview renders (the preview's end changes the UI store, which calls changed() again)
    if (this.running || this.ui.previewBusy) return
    this.sent = key
    this.running = true
    this.owed = false
    this.ui.set({ preparing: true })
    this.prepare(request)
      .then((answer) => {
        // it gave way to a render asked for meanwhile: the same crops are asked for again
        if (answer.complete) return
        if (this.sent === key) this.sent = ''
        this.owed = true
      })
      .catch((error: unknown) => {
        const appError = toAppError(error)
        // an image let go of since the request was built: a newer request follows
        const named = [request.original.imageId, ...request.references.map((r) => r.imageId)]
        if (appError.code === 'E_IMAGE_UNKNOWN' && named.some((imageId) => !(imageId in this.store.doc.images))) return
        // the first render's failure, said early; asked again only once the crops or the model
        // change (reporting changes the store, and must not start the request over)
        this.store.reportError(appError)
      })
      .finally(() => {
        this.running = false
        // the crops as they are now, if they moved while it ran
        this.owed ||= this.key() !== null && this.key() !== this.sent
        this.ui.set({ preparing: this.owed })
        this.changed()
      })
  }
}

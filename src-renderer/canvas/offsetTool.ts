// The offset tool: dragging moves the active reference's content over the photo (unaligned
// transplantation). The whole drag is one undo step, and its previews may be drafts (onDrag).
import type { Canvas, TPointerEventInfo } from 'fabric'
import type { EditorActions } from '../actions/editorActions'
import type { EditorStore } from '../document/editorStore'
import { alongFrame } from '../document/frame'

let gestureCounter = 0

export class OffsetTool {
  private drag: { layerId: string; start: { x: number; y: number }; origin: { dx: number; dy: number }; key: string } | null = null
  private readonly disposers: (() => void)[] = []

  constructor(
    canvas: Canvas,
    private readonly store: EditorStore,
    private readonly actions: EditorActions,
    private readonly blocked: () => boolean,
    /** a drag begins (LivePreview.mixDragStart) */
    private readonly onDrag: () => void = () => undefined,
  ) {
    this.disposers.push(
      canvas.on('mouse:down', (opt) => this.down(opt)),
      canvas.on('mouse:move', (opt) => this.move(opt)),
      canvas.on('mouse:up', () => (this.drag = null)),
    )
  }

  get enabled(): boolean {
    const s = this.store
    return s.tool === 'offset' && s.target.kind === 'photo' && s.activeLayer() !== null
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d()
  }

  private down(opt: TPointerEventInfo): void {
    const layer = this.store.activeLayer()
    if (!this.enabled || this.blocked() || !layer) return
    this.drag = {
      layerId: layer.id,
      start: { x: opt.scenePoint.x, y: opt.scenePoint.y },
      origin: { ...layer.offset },
      key: `gesture:offset:${layer.id}:${++gestureCounter}`,
    }
    this.onDrag()
  }

  private move(opt: TPointerEventInfo): void {
    const d = this.drag
    if (!d) return
    // the offset is measured along the photo's frame (turned with it): the content follows the pointer
    const crop = this.store.doc.original?.crop
    const moved = { x: opt.scenePoint.x - d.start.x, y: opt.scenePoint.y - d.start.y }
    const along = crop ? alongFrame(crop, moved) : moved
    const offset = { dx: Math.round(d.origin.dx + along.x) + 0, dy: Math.round(d.origin.dy + along.y) + 0 }
    void this.actions.dispatch('layer.set', { layerId: d.layerId, patch: { offset }, mergeKey: d.key })
  }
}

// Brush and eraser on the photo: pointer down/move/up become stroke actions (one gesture,
// one undo step). Also tracks the pointer so the brush outline can be drawn.
import type { Canvas, TPointerEventInfo } from 'fabric'
import type { EditorActions } from '../actions/editorActions'
import type { EditorStore } from '../document/editorStore'

export class BrushTool {
  pointer: { x: number; y: number } | null = null
  private painting = false
  private readonly disposers: (() => void)[] = []

  constructor(
    canvas: Canvas,
    private readonly store: EditorStore,
    private readonly actions: EditorActions,
    private readonly blocked: () => boolean,
  ) {
    this.disposers.push(
      canvas.on('mouse:down', (opt) => this.down(opt)),
      canvas.on('mouse:move', (opt) => this.move(opt)),
      canvas.on('mouse:up', () => this.up()),
      canvas.on('mouse:out', () => {
        this.pointer = null
        canvas.requestRenderAll()
      }),
    )
    const onWindowUp = () => this.up()
    window.addEventListener('pointerup', onWindowUp)
    this.disposers.push(() => window.removeEventListener('pointerup', onWindowUp))
  }

  /** Brush or eraser selected, painting the photo, with a layer to paint on. */
  get enabled(): boolean {
    const s = this.store
    return (s.tool === 'brush' || s.tool === 'eraser') && s.target.kind === 'photo' && s.activeLayerId !== null && !!s.doc.original
  }

  dispose(): void {
    this.up()
    for (const d of this.disposers.splice(0)) d()
  }

  private down(opt: TPointerEventInfo): void {
    if (!this.enabled || this.blocked()) return
    const e = opt.e as MouseEvent
    if ('button' in e && e.button !== 0) return
    this.painting = true
    void this.actions.dispatch('mask.strokeBegin', { mode: this.store.tool === 'eraser' ? 'erase' : 'paint' })
    void this.actions.dispatch('mask.strokeTo', { x: opt.scenePoint.x, y: opt.scenePoint.y })
  }

  private move(opt: TPointerEventInfo): void {
    this.pointer = { x: opt.scenePoint.x, y: opt.scenePoint.y }
    if (this.painting) void this.actions.dispatch('mask.strokeTo', { x: opt.scenePoint.x, y: opt.scenePoint.y })
  }

  private up(): void {
    if (!this.painting) return
    this.painting = false
    void this.actions.dispatch('mask.strokeEnd')
  }
}

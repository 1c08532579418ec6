// Wheel zoom at the pointer, space-drag / pan-tool drag, fit and 100%.
import { Point, type Canvas, type TPointerEventInfo } from 'fabric'

const MIN_ZOOM = 0.02
const MAX_ZOOM = 32

export class ZoomPanHandler {
  spaceHeld = false
  private panning: { x: number; y: number } | null = null
  private content = { width: 1, height: 1 }
  private readonly disposers: (() => void)[] = []

  constructor(
    private readonly canvas: Canvas,
    private readonly isPanTool: () => boolean,
    private readonly onZoom: (zoom: number) => void,
  ) {
    this.disposers.push(
      canvas.on('mouse:wheel', (opt) => {
        const e = opt.e
        e.preventDefault()
        const zoom = this.clamp(canvas.getZoom() * Math.pow(0.999, e.deltaY))
        canvas.zoomToPoint(new Point(opt.viewportPoint.x, opt.viewportPoint.y), zoom)
        this.changed()
      }),
      canvas.on('mouse:down', (opt) => this.down(opt)),
      canvas.on('mouse:move', (opt) => this.move(opt)),
      canvas.on('mouse:up', () => {
        if (!this.panning) return
        this.panning = null
        this.updateCursor()
      }),
    )
  }

  /** True while a drag should pan instead of paint. */
  get active(): boolean {
    return this.spaceHeld || this.isPanTool() || this.panning !== null
  }

  setSpace(held: boolean): void {
    this.spaceHeld = held
    this.updateCursor()
  }

  private hasContent = false

  setContent(width: number, height: number): void {
    this.content = { width, height }
    this.hasContent = true
  }

  fit(): void {
    if (!this.hasContent) {
      this.canvas.setViewportTransform([1, 0, 0, 1, 0, 0])
      this.changed()
      return
    }
    const { width, height } = this.content
    const cw = this.canvas.getWidth()
    const ch = this.canvas.getHeight()
    const zoom = this.clamp(Math.min(cw / width, ch / height) * 0.94)
    this.canvas.setViewportTransform([zoom, 0, 0, zoom, (cw - width * zoom) / 2, (ch - height * zoom) / 2])
    this.changed()
  }

  /** One photo pixel per screen pixel, keeping the view centre. */
  actualSize(): void {
    this.zoomAtCentre(1)
  }

  zoomBy(factor: number): void {
    this.zoomAtCentre(this.clamp(this.canvas.getZoom() * factor))
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d()
  }

  private zoomAtCentre(zoom: number): void {
    this.canvas.zoomToPoint(new Point(this.canvas.getWidth() / 2, this.canvas.getHeight() / 2), zoom)
    this.changed()
  }

  private down(opt: TPointerEventInfo): void {
    if (!this.spaceHeld && !this.isPanTool()) return
    this.panning = { x: opt.viewportPoint.x, y: opt.viewportPoint.y }
    this.canvas.setCursor('grabbing')
  }

  private move(opt: TPointerEventInfo): void {
    if (!this.panning) return
    const dx = opt.viewportPoint.x - this.panning.x
    const dy = opt.viewportPoint.y - this.panning.y
    this.panning = { x: opt.viewportPoint.x, y: opt.viewportPoint.y }
    this.canvas.relativePan(new Point(dx, dy))
    this.changed()
  }

  private updateCursor(): void {
    this.canvas.defaultCursor = this.active ? 'grab' : 'crosshair'
    this.canvas.setCursor(this.canvas.defaultCursor)
  }

  private clamp(zoom: number): number {
    return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))
  }

  private changed(): void {
    this.canvas.requestRenderAll()
    this.onZoom(this.canvas.getZoom())
  }
}

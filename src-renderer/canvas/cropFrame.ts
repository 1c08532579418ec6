// The square crop frame: move and corner-resize, kept square and inside the image. Reports
// the new crop once per gesture (on release).
import { Rect, type Canvas } from 'fabric'
import type { Crop } from '../../src-shared/contract'

export class CropFrameHandler {
  readonly rect: Rect
  private bounds = { width: 1, height: 1 }
  private dragging = false
  private readonly disposers: (() => void)[] = []

  constructor(
    private readonly canvas: Canvas,
    private readonly onChange: (crop: Crop) => void,
  ) {
    this.rect = new Rect({
      left: 0,
      top: 0,
      width: 10,
      height: 10,
      originX: 'left',
      originY: 'top',
      fill: 'rgba(0,0,0,0)',
      stroke: '#f5f7fa',
      strokeWidth: 1.5,
      strokeUniform: true,
      strokeDashArray: [6, 4],
      hasBorders: false,
      lockRotation: true,
      lockScalingFlip: true,
      lockSkewingX: true,
      lockSkewingY: true,
      cornerColor: '#f5f7fa',
      cornerStrokeColor: '#1b1d21',
      cornerSize: 12,
      transparentCorners: false,
      objectCaching: false,
      hoverCursor: 'move',
    })
    this.rect.setControlsVisibility({ ml: false, mr: false, mt: false, mb: false, mtr: false })
    this.disposers.push(
      canvas.on('object:moving', ({ target }) => target === this.rect && this.constrain()),
      canvas.on('object:scaling', ({ target }) => target === this.rect && this.constrain()),
      canvas.on('object:modified', ({ target }) => {
        if (target !== this.rect) return
        this.dragging = false
        this.onChange(this.current())
      }),
      canvas.on('mouse:down', ({ target }) => {
        if (target === this.rect) this.dragging = true
      }),
    )
  }

  /** The crop the frame shows now, in image pixels. */
  current(): Crop {
    const r = this.rect
    const size = Math.round(r.width * (r.scaleX ?? 1))
    return { x: Math.round(r.left), y: Math.round(r.top), size }
  }

  /** Show this crop (unless the user is in the middle of dragging it). */
  show(crop: Crop, imageWidth: number, imageHeight: number): void {
    this.bounds = { width: imageWidth, height: imageHeight }
    if (this.dragging) return
    this.rect.set({ left: crop.x, top: crop.y, width: crop.size, height: crop.size, scaleX: 1, scaleY: 1 })
    this.rect.setCoords()
  }

  /** Keep the outline about 1.5 screen pixels wide at any zoom. */
  setZoom(zoom: number): void {
    this.rect.set({ strokeWidth: 1.5 / zoom, strokeDashArray: [6 / zoom, 4 / zoom] })
  }

  setInteractive(on: boolean): void {
    this.rect.set({ selectable: on, evented: on, hasControls: on })
    if (on) {
      if (this.canvas.getActiveObject() !== this.rect) this.canvas.setActiveObject(this.rect)
    } else if (this.canvas.getActiveObject() === this.rect) {
      this.canvas.discardActiveObject()
    }
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d()
  }

  private constrain(): void {
    const r = this.rect
    const maxSize = Math.min(this.bounds.width, this.bounds.height)
    let scale = Math.max(r.scaleX ?? 1, r.scaleY ?? 1)
    let size = r.width * scale
    if (size > maxSize) {
      scale = maxSize / r.width
      size = maxSize
    }
    if (size < 8) {
      scale = 8 / r.width
      size = 8
    }
    const left = Math.min(this.bounds.width - size, Math.max(0, r.left))
    const top = Math.min(this.bounds.height - size, Math.max(0, r.top))
    r.set({ scaleX: scale, scaleY: scale, left, top })
    r.setCoords()
  }
}

// The square crop frame: move, corner-resize and turn (fabric's rotation handle, about the
// frame's centre). A plain crop stays inside the image; once turned it is a frame that may
// reach past the edges while its centre stays on the image. Reports the new crop once per
// gesture (on release), the angle to 0.1 degree and snapped upright within 1.5 degrees.
import { Control, controlsUtils, Point, Rect, type Canvas } from 'fabric'
import type { Crop } from '../../src-shared/contract'
import { ANGLE_SNAP_DEGREES, FRAME_MAX_SCALE, FRAME_MAX_SIDE, FRAME_MIN_SIZE, cropAt, frameCentre, normalizeAngle } from '../document/frame'

/** How far inside the frame's top edge the rotation handle sits, in screen pixels. */
export const ROTATE_HANDLE_INSET = 26

export class CropFrameHandler {
  readonly rect: Rect
  private bounds = { width: 1, height: 1 }
  private dragging = false
  /** the frame shown is turned (its crop has an angle, or the user turned it in this gesture) */
  private turned = false
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
      lockRotation: false,
      centeredRotation: true,
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
    // fabric's rotation handle sits 40 px above the top edge, off the canvas for a frame as
    // tall as the photo (the default crop): this one sits just inside the edge instead
    this.rect.controls = {
      ...this.rect.controls,
      mtr: new Control({
        x: 0,
        y: -0.5,
        offsetY: ROTATE_HANDLE_INSET,
        actionHandler: controlsUtils.rotationWithSnapping,
        cursorStyleHandler: controlsUtils.rotationStyleHandler,
        actionName: 'rotate',
        withConnection: false,
      }),
    }
    this.rect.setControlsVisibility({ ml: false, mr: false, mt: false, mb: false, mtr: true })
    this.disposers.push(
      canvas.on('object:moving', ({ target }) => target === this.rect && this.constrain()),
      canvas.on('object:scaling', ({ target }) => target === this.rect && this.constrain()),
      canvas.on('object:rotating', ({ target }) => target === this.rect && this.rotated()),
      canvas.on('object:modified', ({ target }) => {
        if (target !== this.rect) return
        this.dragging = false
        this.onChange(this.current())
      }),
      canvas.on('mouse:down', ({ target }) => {
        if (target === this.rect) this.dragging = true
      }),
      canvas.on('mouse:up', () => {
        // a press on the frame that moved nothing fires no object:modified
        this.dragging = false
      }),
    )
  }

  /** The crop the frame shows now, in image pixels. */
  current(): Crop {
    const r = this.rect
    const size = r.width * (r.scaleX ?? 1)
    const centre = r.getCenterPoint()
    return cropAt(centre, size, this.turned ? r.angle : undefined)
  }

  /** Show this crop (unless the user is in the middle of dragging it). */
  show(crop: Crop, imageWidth: number, imageHeight: number): void {
    this.bounds = { width: imageWidth, height: imageHeight }
    if (this.dragging) return
    this.turned = crop.angle !== undefined
    const c = frameCentre(crop)
    this.rect.set({ width: crop.size, height: crop.size, scaleX: 1, scaleY: 1, angle: crop.angle ?? 0 })
    this.rect.setPositionByOrigin(new Point(c.x, c.y), 'center', 'center')
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

  /** While turning: upright within the snap, and from the first real turn on a frame. */
  private rotated(): void {
    const r = this.rect
    const angle = normalizeAngle(r.angle)
    if (Math.abs(angle) <= ANGLE_SNAP_DEGREES) {
      if (r.angle !== 0) this.turnTo(0)
    } else {
      this.turned = true
    }
    this.keepCentreOnImage()
  }

  private turnTo(angle: number): void {
    const r = this.rect
    const centre = r.getCenterPoint()
    r.set({ angle })
    r.setPositionByOrigin(centre, 'center', 'center')
    r.setCoords()
  }

  private constrain(): void {
    const r = this.rect
    const { width, height } = this.bounds
    const maxSize = this.turned ? Math.min(FRAME_MAX_SIDE, FRAME_MAX_SCALE * Math.max(width, height)) : Math.min(width, height)
    let scale = Math.max(r.scaleX ?? 1, r.scaleY ?? 1)
    let size = r.width * scale
    if (size > maxSize) {
      scale = maxSize / r.width
      size = maxSize
    }
    if (size < FRAME_MIN_SIZE) {
      scale = FRAME_MIN_SIZE / r.width
      size = FRAME_MIN_SIZE
    }
    r.set({ scaleX: scale, scaleY: scale })
    // a plain crop keeps its square inside the image
    this.keepCentreOnImage(this.turned ? 0 : size / 2)
  }

  /**
   * Keep the frame's centre at least `margin` inside the image. Worked out on the centre, never
   * on left/top: fabric's left/top include half the outline's width.
   */
  private keepCentreOnImage(margin = 0): void {
    const r = this.rect
    const c = r.getCenterPoint()
    const x = Math.min(this.bounds.width - margin, Math.max(margin, c.x))
    const y = Math.min(this.bounds.height - margin, Math.max(margin, c.y))
    if (x !== c.x || y !== c.y) r.setPositionByOrigin(new Point(x, y), 'center', 'center')
    r.setCoords()
  }
}

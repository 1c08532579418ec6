// One layer's mask drawn as a translucent colour over the photo. The bitmap lives in the
// document; this keeps an RGBA copy on a canvas element and repaints only dirty rectangles.
import { FabricImage } from 'fabric'
import type { MaskBitmap } from '../mask/maskBitmap'
import type { Rect } from '../mask/rect'

const OVERLAY_ALPHA = 0.5

export class MaskOverlay {
  readonly element: HTMLCanvasElement
  readonly image: FabricImage
  private readonly ctx: CanvasRenderingContext2D
  private rgb: [number, number, number]

  constructor(
    private mask: MaskBitmap,
    color: string,
  ) {
    this.element = document.createElement('canvas')
    this.element.width = mask.width
    this.element.height = mask.height
    const ctx = this.element.getContext('2d')
    if (!ctx) throw new Error('2D canvas is not available')
    this.ctx = ctx
    this.rgb = hexToRgb(color)
    this.image = new FabricImage(this.element, {
      left: 0,
      top: 0,
      originX: 'left',
      originY: 'top',
      selectable: false,
      evented: false,
      objectCaching: false,
    })
    this.repaint('all')
  }

  /** Place the overlay over a photo of this full-resolution size. */
  fitTo(photoWidth: number, photoHeight: number): void {
    this.image.set({ scaleX: photoWidth / this.mask.width, scaleY: photoHeight / this.mask.height })
  }

  setColor(color: string): void {
    const rgb = hexToRgb(color)
    if (rgb.every((v, i) => v === this.rgb[i])) return
    this.rgb = rgb
    this.repaint('all')
  }

  /** The layer's bitmap object was swapped (a project opened): adopt it. */
  setMask(mask: MaskBitmap): void {
    if (mask === this.mask) return
    this.mask = mask
    this.element.width = mask.width
    this.element.height = mask.height
    this.repaint('all')
  }

  repaint(rect: Rect | 'all'): void {
    const r = rect === 'all' ? { x: 0, y: 0, width: this.mask.width, height: this.mask.height } : rect
    if (r.width <= 0 || r.height <= 0) return
    const img = this.ctx.createImageData(r.width, r.height)
    const out = img.data
    const [cr, cg, cb] = this.rgb
    const { data, width } = this.mask
    for (let y = 0; y < r.height; y++) {
      const src = (r.y + y) * width + r.x
      let o = y * r.width * 4
      for (let x = 0; x < r.width; x++) {
        out[o] = cr
        out[o + 1] = cg
        out[o + 2] = cb
        out[o + 3] = data[src + x] * OVERLAY_ALPHA
        o += 4
      }
    }
    this.ctx.putImageData(img, r.x, r.y)
    this.image.dirty = true
  }
}

function hexToRgb(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1, 7), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

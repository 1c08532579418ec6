// Owns the fabric.Canvas: created when the editor mounts, disposed when it unmounts, kept in
// step with the store by sync(). React never renders into it.
import { Canvas, FabricImage, Rect, type Point } from 'fabric'
import type { Crop } from '../../src-shared/contract'
import { canvasGestures, chordOfEvent, parseChord } from '../../src-shared/shortcuts'
import type { EditorActions, ViewController } from '../actions/editorActions'
import type { EditorStore, MaskChange } from '../document/editorStore'
import { acrossPhoto, clampCrop, frameCentre, frameCorners, framePoint, reachesPastPhoto, toFrame } from '../document/frame'
import type { ImageCache } from '../engine/imageCache'
import { loadImage } from '../engine/imageCache'
import type { FaceFinder } from '../faces/faceFinder'
import { chosenFace, faceAt, type Face } from '../faces/faces'
import { isTyping } from '../ui/isTyping'
import type { UiStore } from '../ui/uiStore'
import { BrushTool } from './brushTool'
import { CropFrameHandler } from './cropFrame'
import { faceGuides } from './faceGuides'
import { MaskOverlay } from './maskOverlay'
import { OffsetTool } from './offsetTool'
import { ZoomPanHandler } from './zoomPan'

/** The rings that mark where the model wants the eyes, in screen pixels. */
const GUIDE_MARK_RADIUS = 5
/** How far apart the hatching of the mirrored parts of a frame is, in screen pixels. */
const MIRRORED_HATCH_SPACING = 8
/** A press that moves less than this (screen pixels) before release is a click. */
const CLICK_SLOP = 4
/** Held, it turns a drag into a pan whatever the tool. */
const PAN_KEY = parseChord(canvasGestures.panKey).key

export class CanvasController implements ViewController {
  readonly canvas: Canvas
  private readonly zoomPan: ZoomPanHandler
  private readonly brush: BrushTool
  private readonly offset: OffsetTool
  private readonly cropFrame: CropFrameHandler
  private background: FabricImage | null = null
  private shownImageId: string | null = null
  private loadingImageId: string | null = null
  private readonly overlays = new Map<string, MaskOverlay>()
  private previewPatch: FabricImage | null = null
  private shownPreviewSeq = -1
  private ghost: FabricImage | null = null
  private ghostImageId: string | null = null
  private contentSize = { width: 1, height: 1 }
  /** where the pointer went down (screen and photo), to tell a click from a drag */
  private press: { screen: Point; photo: Point } | null = null
  private readonly disposers: (() => void)[] = []
  private resizeObserver: ResizeObserver

  constructor(
    element: HTMLCanvasElement,
    private readonly container: HTMLElement,
    private readonly store: EditorStore,
    private readonly ui: UiStore,
    private readonly images: ImageCache,
    private readonly faces: FaceFinder,
    private readonly actions: EditorActions,
    /** a drag of the offset begins: its previews may be drafts (LivePreview.mixDragStart) */
    onMixDrag: () => void = () => undefined,
  ) {
    this.canvas = new Canvas(element, {
      selection: false,
      preserveObjectStacking: true,
      uniformScaling: true,
      backgroundColor: '#15171a',
      defaultCursor: 'crosshair',
      hoverCursor: 'crosshair',
      stopContextMenu: true,
      fireMiddleClick: true,
    })
    this.cropFrame = new CropFrameHandler(this.canvas, (crop) => this.commitCrop(crop, actions))
    this.zoomPan = new ZoomPanHandler(
      this.canvas,
      () => this.store.tool === 'pan',
      (zoom) => {
        this.cropFrame.setZoom(zoom)
        this.ui.set({ zoom })
      },
    )
    const blocked = () => this.zoomPan.active
    this.brush = new BrushTool(this.canvas, store, actions, blocked)
    this.offset = new OffsetTool(this.canvas, store, actions, blocked, onMixDrag)
    this.canvas.add(this.cropFrame.rect)
    // the face picker: a click (not a drag) in another face's box frames that face
    this.canvas.on('mouse:down', ({ viewportPoint, scenePoint }) => {
      this.press = { screen: viewportPoint, photo: scenePoint }
    })
    this.canvas.on('mouse:up', ({ viewportPoint }) => {
      const press = this.press
      this.press = null
      if (press && viewportPoint.distanceFrom(press.screen) < CLICK_SLOP) this.pickFaceAt(press.photo)
    })
    this.canvas.on('after:render', ({ ctx }) => this.drawGuides(ctx))
    // the brush outline lives on fabric's top layer: moving it never redraws the photo
    this.canvas.on('mouse:move', () => this.drawBrushOutline())
    this.canvas.on('mouse:out', () => this.drawBrushOutline())
    this.canvas.on('after:render', ({ ctx }) => {
      if (ctx === this.canvas.getContext()) this.drawBrushOutline()
    })

    this.resizeObserver = new ResizeObserver(() => this.resize())
    this.resizeObserver.observe(container)
    this.resize()

    this.disposers.push(
      store.subscribe(() => this.sync()),
      ui.subscribe(() => this.sync()),
      store.onMaskChange((change) => this.repaintMask(change)),
    )
    const isPanKey = (e: KeyboardEvent) => chordOfEvent(e).key === PAN_KEY
    const onKeyDown = (e: KeyboardEvent) => {
      if (isPanKey(e) && !isTyping(e.target)) {
        e.preventDefault()
        if (!this.zoomPan.spaceHeld) this.zoomPan.setSpace(true)
      }
    }
    const onKeyUp = (e: KeyboardEvent) => {
      if (isPanKey(e)) this.zoomPan.setSpace(false)
    }
    window.addEventListener('keydown', onKeyDown)
    window.addEventListener('keyup', onKeyUp)
    this.disposers.push(() => {
      window.removeEventListener('keydown', onKeyDown)
      window.removeEventListener('keyup', onKeyUp)
    })
    this.sync()
  }

  dispose(): void {
    for (const d of this.disposers.splice(0)) d()
    this.resizeObserver.disconnect()
    this.brush.dispose()
    this.offset.dispose()
    this.cropFrame.dispose()
    this.zoomPan.dispose()
    void this.canvas.dispose()
  }

  // ---------------------------------------------------------------- ViewController

  zoomBy(factor: number): void {
    this.zoomPan.zoomBy(factor)
  }

  fit(): void {
    this.zoomPan.fit()
  }

  actualSize(): void {
    this.zoomPan.actualSize()
  }

  // ---------------------------------------------------------------- keeping in step with the store

  private resize(): void {
    const { clientWidth, clientHeight } = this.container
    if (clientWidth === 0 || clientHeight === 0) return
    this.canvas.setDimensions({ width: clientWidth, height: clientHeight })
    this.zoomPan.fit()
  }

  private targetImage(): { imageId: string; crop: Crop; width: number; height: number } | null {
    const framed = this.store.croppedTarget()
    if (!framed) return null
    const info = this.store.doc.images[framed.imageId]
    return { imageId: framed.imageId, crop: framed.crop, width: info.width, height: info.height }
  }

  private sync(): void {
    const shown = this.targetImage()
    const onPhoto = this.store.target.kind === 'photo'
    if (!shown) {
      this.setBackground(null, null)
      this.cropFrame.rect.set({ visible: false })
      for (const [id, overlay] of this.overlays) {
        this.canvas.remove(overlay.image)
        this.overlays.delete(id)
      }
      this.hidePreview()
      this.canvas.requestRenderAll()
      return
    }
    if (shown.imageId !== this.shownImageId && shown.imageId !== this.loadingImageId) void this.loadBackground(shown.imageId)

    // crop frame: interactive with the crop tool, or whenever a reference's crop is edited
    this.cropFrame.rect.set({ visible: true })
    this.cropFrame.show(shown.crop, shown.width, shown.height)
    this.cropFrame.setInteractive(this.store.placingCrop)
    // the face picker needs the faces of what is framed (a project's images were never asked)
    if (this.store.placingCrop && this.ui.activeModel?.alignsFaces) void this.faces.find(shown.imageId).catch(() => undefined)

    this.syncOverlays(onPhoto)
    this.syncGhost(onPhoto)
    this.syncPreview(onPhoto)
    this.orderLayers()
    this.canvas.defaultCursor = this.zoomPan.active ? 'grab' : this.store.tool === 'offset' ? 'move' : 'crosshair'
    this.canvas.hoverCursor = this.canvas.defaultCursor
    this.canvas.requestRenderAll()
  }

  /** The faces the picker offers for the image being framed (two or more), else null. */
  private pickableFaces(): { imageId: string; width: number; height: number; crop: Crop; faces: Face[] } | null {
    const shown = this.targetImage()
    if (!shown || !this.store.placingCrop || !this.ui.activeModel?.alignsFaces) return null
    const faces = this.faces.known(shown.imageId)
    if (!faces || faces.length < 2) return null
    return { ...shown, faces }
  }

  private pickFaceAt(p: Point): void {
    if (this.zoomPan.active) return
    const pickable = this.pickableFaces()
    if (!pickable) return
    const index = faceAt(pickable.faces, p)
    if (index < 0) return
    const chosen = chosenFace(pickable.faces, pickable.crop, (c) => clampCrop(c, pickable.width, pickable.height))
    if (index !== chosen) void this.actions.dispatch('crop.pickFace', { index })
  }

  private async loadBackground(imageId: string): Promise<void> {
    this.loadingImageId = imageId
    try {
      const display = await this.images.get(imageId)
      if (this.loadingImageId !== imageId) return
      const image = new FabricImage(display.element, {
        left: 0,
        top: 0,
        originX: 'left',
        originY: 'top',
        scaleX: display.fullWidth / display.width,
        scaleY: display.fullHeight / display.height,
        selectable: false,
        evented: false,
        objectCaching: false,
      })
      this.setBackground(image, imageId)
      this.contentSize = { width: display.fullWidth, height: display.fullHeight }
      this.zoomPan.setContent(display.fullWidth, display.fullHeight)
      this.zoomPan.fit()
      this.sync()
    } catch {
      // the action that opened the image already reported the failure
    } finally {
      if (this.loadingImageId === imageId) this.loadingImageId = null
    }
  }

  private setBackground(image: FabricImage | null, imageId: string | null): void {
    if (this.background) this.canvas.remove(this.background)
    this.background = image
    this.shownImageId = imageId
    if (image) this.canvas.insertAt(0, image)
  }

  private syncOverlays(onPhoto: boolean): void {
    const { doc } = this.store
    const photo = doc.original ? doc.images[doc.original.imageId] : null
    const alive = new Set<string>()
    for (const layer of doc.references) {
      alive.add(layer.id)
      let overlay = this.overlays.get(layer.id)
      if (!overlay) {
        overlay = new MaskOverlay(layer.mask, layer.color)
        this.overlays.set(layer.id, overlay)
        this.canvas.add(overlay.image)
      }
      overlay.setMask(layer.mask)
      overlay.setColor(layer.color)
      if (photo) overlay.fitTo(photo.width, photo.height)
      overlay.image.set({ visible: onPhoto && layer.visible && this.ui.showMasks && !this.ui.holdCompare })
    }
    for (const [id, overlay] of this.overlays) {
      if (alive.has(id)) continue
      this.canvas.remove(overlay.image)
      this.overlays.delete(id)
    }
  }

  private repaintMask(change: MaskChange): void {
    this.overlays.get(change.layerId)?.repaint(change.rect)
    this.canvas.requestRenderAll()
  }

  /** In offset mode, the active reference's crop shown where its content lands. */
  private syncGhost(onPhoto: boolean): void {
    const layer = this.store.activeLayer()
    const original = this.store.doc.original
    const want = onPhoto && this.store.tool === 'offset' && layer && original
    if (!want) {
      if (this.ghost) this.ghost.set({ visible: false })
      return
    }
    if (this.ghostImageId !== layer.imageId) {
      this.ghostImageId = layer.imageId
      void this.images.get(layer.imageId).then((display) => {
        if (this.ghost) this.canvas.remove(this.ghost)
        this.ghost = new FabricImage(display.element, { selectable: false, evented: false, opacity: 0.45, objectCaching: false, originX: 'left', originY: 'top' })
        this.canvas.add(this.ghost)
        this.sync()
      })
      return
    }
    if (!this.ghost) return
    // reference point q shows at the original's frame point with the same place in its frame
    // (scaled from the reference's frame to the original's), moved by the offset (measured
    // along the original's frame); only the original's frame is shown
    const el = this.ghost.getElement() as HTMLImageElement
    const info = this.store.doc.images[layer.imageId]
    const k = original.crop.size / layer.crop.size
    const corner = toFrame(layer.crop, { x: 0, y: 0 })
    const at = framePoint(original.crop, corner.x * k, corner.y * k)
    const centre = frameCentre(original.crop)
    const shift = acrossPhoto(original.crop, { x: layer.offset.dx, y: layer.offset.dy })
    const clip = this.ghost.clipPath instanceof Rect ? this.ghost.clipPath : new Rect({ absolutePositioned: true, originX: 'center', originY: 'center' })
    clip.set({ left: centre.x + shift.x, top: centre.y + shift.y, width: original.crop.size, height: original.crop.size, angle: original.crop.angle ?? 0 })
    clip.setCoords()
    this.ghost.set({
      visible: true,
      clipPath: clip,
      scaleX: (k * info.width) / el.naturalWidth,
      scaleY: (k * info.height) / el.naturalHeight,
      angle: (original.crop.angle ?? 0) - (layer.crop.angle ?? 0),
      left: at.x + shift.x,
      top: at.y + shift.y,
    })
  }

  private syncPreview(onPhoto: boolean): void {
    const frame = this.ui.preview
    if (!frame) {
      this.hidePreview()
      return
    }
    if (frame.seq !== this.shownPreviewSeq) {
      const seq = frame.seq
      this.shownPreviewSeq = seq
      void loadImage(frame.pastedUrl).then((element) => {
        // a newer frame may have arrived while this one decoded
        if (this.ui.preview?.seq !== seq) return
        if (this.previewPatch) this.canvas.remove(this.previewPatch)
        // the pasted image covers `region`: the crop square, or a turned frame's bounding box
        this.previewPatch = new FabricImage(element, {
          left: frame.region.x,
          top: frame.region.y,
          originX: 'left',
          originY: 'top',
          scaleX: frame.region.width / element.naturalWidth,
          scaleY: frame.region.height / element.naturalHeight,
          selectable: false,
          evented: false,
          objectCaching: false,
        })
        this.canvas.add(this.previewPatch)
        this.sync()
      })
    }
    this.previewPatch?.set({ visible: onPhoto && !this.ui.holdCompare })
  }

  private hidePreview(): void {
    if (this.previewPatch) this.canvas.remove(this.previewPatch)
    this.previewPatch = null
    this.shownPreviewSeq = -1
  }

  /** Photo, preview, ghost, masks (in layer order), crop frame on top. */
  private orderLayers(): void {
    const order = [
      this.background,
      this.previewPatch,
      this.ghost,
      ...this.store.doc.references.map((l) => this.overlays.get(l.id)?.image ?? null),
      this.cropFrame.rect,
    ].filter((o): o is NonNullable<typeof o> => o !== null)
    order.forEach((obj, i) => {
      if (this.canvas.getObjects().indexOf(obj) !== i) this.canvas.moveObjectTo(obj, i)
    })
  }

  private commitCrop(crop: Crop, actions: EditorActions): void {
    // a drag of the frame is no click on a face box
    this.press = null
    const target = this.store.target
    if (target.kind === 'reference') void actions.dispatch('crop.setReference', { layerId: target.layerId, crop })
    else void actions.dispatch('crop.setOriginal', { crop })
    // the store may clamp or refuse: show what it holds
    this.sync()
  }

  private drawBrushOutline(): void {
    const ctx = this.canvas.contextTop
    if (!ctx) return
    this.canvas.clearContext(ctx)
    const p = this.brush.pointer
    if (!p || !this.brush.enabled || this.zoomPan.active) return
    const vpt = this.canvas.viewportTransform
    const r = this.canvas.getRetinaScaling()
    const zoom = vpt[0]
    ctx.save()
    ctx.setTransform(r, 0, 0, r, 0, 0)
    ctx.transform(vpt[0], vpt[1], vpt[2], vpt[3], vpt[4], vpt[5])
    ctx.lineWidth = 1 / zoom
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.9)'
    ctx.beginPath()
    ctx.arc(p.x, p.y, this.store.brush.size / 2, 0, Math.PI * 2)
    ctx.stroke()
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.6)'
    ctx.beginPath()
    ctx.arc(p.x, p.y, this.store.brush.size / 2 + 1 / zoom, 0, Math.PI * 2)
    ctx.stroke()
    ctx.restore()
  }

  /**
   * Hatch the parts of the frame past the photo's edges: the model sees the photo mirrored
   * there (the engine reflects it), while the canvas has nothing to show.
   */
  private drawMirrored(ctx: CanvasRenderingContext2D, corners: readonly { x: number; y: number }[], framePath: () => void, zoom: number): void {
    const { width, height } = this.contentSize
    const xs = corners.map((c) => c.x)
    const ys = corners.map((c) => c.y)
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]
    ctx.save()
    ctx.beginPath()
    framePath()
    ctx.clip()
    // and outside the photo
    ctx.beginPath()
    ctx.rect(minX - 1, minY - 1, maxX - minX + 2, maxY - minY + 2)
    ctx.rect(0, 0, width, height)
    ctx.clip('evenodd')
    ctx.fillStyle = 'rgba(255, 255, 255, 0.05)'
    ctx.fillRect(minX, minY, maxX - minX, maxY - minY)
    // diagonal hatching a fixed number of screen pixels apart, anchored to the photo so it
    // does not crawl while the frame moves
    const spacing = MIRRORED_HATCH_SPACING / zoom
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.16)'
    ctx.lineWidth = 1 / zoom
    ctx.beginPath()
    for (let t = Math.floor((minX + minY) / spacing) * spacing; t <= maxX + maxY; t += spacing) {
      ctx.moveTo(t - minY, minY)
      ctx.lineTo(t - maxY, maxY)
    }
    ctx.stroke()
    ctx.restore()
  }

  /** Shade outside the crop and, for face models while the frame is placed, the guides of where the face goes (faceGuides). */
  private drawGuides(ctx: CanvasRenderingContext2D): void {
    // fabric also fires after:render for its top (selection) layer: draw on the scene only
    if (ctx !== this.canvas.getContext()) return
    const shown = this.targetImage()
    if (!shown || !this.background) return
    const vpt = this.canvas.viewportTransform
    const crop = this.cropFrame.current()
    ctx.save()
    ctx.transform(vpt[0], vpt[1], vpt[2], vpt[3], vpt[4], vpt[5])
    const zoom = vpt[0]
    const { width, height } = this.contentSize
    // the frame may be turned: its square as it lies on the photo
    const corners = frameCorners(crop)
    const framePath = () => {
      ctx.moveTo(corners[0].x, corners[0].y)
      for (const c of corners.slice(1)) ctx.lineTo(c.x, c.y)
      ctx.closePath()
    }
    // shade the photo outside the frame (only the photo: past its edges is the canvas)
    ctx.save()
    ctx.beginPath()
    ctx.rect(0, 0, width, height)
    ctx.clip()
    ctx.fillStyle = 'rgba(10, 11, 13, 0.45)'
    ctx.beginPath()
    ctx.rect(0, 0, width, height)
    framePath()
    ctx.fill('evenodd')
    ctx.restore()
    if (reachesPastPhoto(crop, width, height)) this.drawMirrored(ctx, corners, framePath, zoom)
    // the guides are for placing the frame: while painting they would cross the eyes and mouth being painted
    const guides = faceGuides(this.store.placingCrop ? this.ui.activeModel : null)
    if (guides.lines.length > 0) {
      // drawn in the frame's own axes, so the guides turn with it
      const centre = frameCentre(crop)
      ctx.translate(centre.x, centre.y)
      ctx.rotate(((crop.angle ?? 0) * Math.PI) / 180)
      const half = crop.size / 2
      const at = (f: number) => -half + crop.size * f
      // light on a dark halo, so the guides read on pale skin and on dark hair alike
      const haloed = (path: () => void, dash: number[]) => {
        ctx.beginPath()
        path()
        ctx.setLineDash([])
        ctx.strokeStyle = 'rgba(0, 0, 0, 0.3)'
        ctx.lineWidth = 3 / zoom
        ctx.stroke()
        ctx.setLineDash(dash.map((d) => d / zoom))
        ctx.strokeStyle = 'rgba(255, 255, 255, 0.6)'
        ctx.lineWidth = 1 / zoom
        ctx.stroke()
        ctx.setLineDash([])
      }
      haloed(() => {
        for (const line of guides.lines) {
          ctx.moveTo(at(line.from), at(line.y))
          ctx.lineTo(at(line.to), at(line.y))
        }
      }, [4, 4])
      // where each eye goes: a small ring the user lines the pupils up with
      haloed(() => {
        for (const mark of guides.marks) {
          ctx.moveTo(at(mark.x) + GUIDE_MARK_RADIUS / zoom, at(mark.y))
          ctx.arc(at(mark.x), at(mark.y), GUIDE_MARK_RADIUS / zoom, 0, Math.PI * 2)
        }
      }, [])
      ctx.font = `${11 / zoom}px system-ui, sans-serif`
      ctx.lineJoin = 'round'
      ctx.lineWidth = 3 / zoom
      ctx.strokeStyle = 'rgba(0, 0, 0, 0.45)'
      ctx.fillStyle = 'rgba(255, 255, 255, 0.8)'
      for (const line of guides.lines) {
        const [x, y] = [at(line.from) + 4 / zoom, at(line.y) - 4 / zoom]
        ctx.strokeText(line.label, x, y)
        ctx.fillText(line.label, x, y)
      }
    }
    ctx.restore()
  }
}


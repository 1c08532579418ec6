// One place that owns the document, its undo history and the editor's UI state. Actions
// call these methods; React subscribes; the canvas listens for mask changes. No DOM here.
import type { Crop, ImageInfo, ProjectDocument } from '../../src-shared/contract'
import type { AppError } from '../../src-shared/ipc'
import { History, type HistoryInfo } from '../history/history'
import { coverageBounds, readRect, readRectFrom, strokeSegment, type BrushMode } from '../mask/maskBitmap'
import { clampRect, unionRect, type Rect } from '../mask/rect'
import { applyDelta, deltaBytes, imagesOfDelta, mergeDeltas, type DeltaEffect, type DocumentDelta } from './deltas'
import {
  defaultCrop,
  emptyDocument,
  findLayer,
  newMaskFor,
  nextLayerColor,
  type EditSettings,
  type EditorDocument,
  type LayerProps,
  type ReferenceLayer,
} from './editorDocument'
import { clampCrop, sameCrop } from './frame'

export type Tool = 'brush' | 'eraser' | 'crop' | 'offset' | 'pan'

export interface BrushSettings {
  /** diameter in photo pixels */
  size: number
  hardness: number
}

export type CanvasTarget = { kind: 'photo' } | { kind: 'reference'; layerId: string }

export interface MaskChange {
  layerId: string
  rect: Rect | 'all'
}

interface StrokeSession {
  layerId: string
  before: Uint8Array
  dirty: Rect | null
  last: { x: number; y: number } | null
  mode: BrushMode
}

export const BRUSH_MIN = 1
export const BRUSH_MAX = 2000

let idCounter = 0
export function newId(prefix: string): string {
  idCounter += 1
  return `${prefix}-${Date.now().toString(36)}-${idCounter}`
}

/** The editor's state container. */
export class EditorStore {
  doc: EditorDocument = emptyDocument()
  readonly history: History<DocumentDelta>
  // the tool, brush, active layer and canvas target change only through the setters below
  // (called by actions), which notify; outside the store they are read-only
  #tool: Tool = 'brush'
  #brush: BrushSettings = { size: 40, hardness: 0.6 }
  #activeLayerId: string | null = null
  #target: CanvasTarget = { kind: 'photo' }
  /** bumps on every document change; the preview and autosave key off it */
  docRevision = 0
  /** a document change not yet saved to a project file */
  dirty = false
  projectName: string | null = null
  errors: (AppError & { id: number })[] = []

  private version = 0
  private stroke: StrokeSession | null = null
  private readonly listeners = new Set<() => void>()
  private readonly maskListeners = new Set<(change: MaskChange) => void>()
  private errorCounter = 0

  constructor() {
    this.history = new History<DocumentDelta>({
      apply: (delta, direction) => this.afterChange(applyDelta(this.doc, delta, direction)),
      merge: mergeDeltas,
    })
    this.history.subscribe(() => this.emit())
  }

  // ------------------------------------------------------------- subscription

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getVersion = (): number => this.version

  onMaskChange(listener: (change: MaskChange) => void): () => void {
    this.maskListeners.add(listener)
    return () => this.maskListeners.delete(listener)
  }

  emit(): void {
    this.version++
    for (const l of this.listeners) l()
  }

  historyInfo(): HistoryInfo {
    return this.history.info()
  }

  // ------------------------------------------------------------- tool, brush, selection (not undo steps)

  get tool(): Tool {
    return this.#tool
  }

  get brush(): BrushSettings {
    return this.#brush
  }

  /** The reference layer masks are painted on. */
  get activeLayerId(): string | null {
    return this.#activeLayerId
  }

  /** What the canvas shows: the photo, or a reference while its crop frame is placed. */
  get target(): CanvasTarget {
    return this.#target
  }

  setTool(tool: Tool): void {
    if (tool === this.#tool) return
    this.#tool = tool
    this.emit()
  }

  /** Change the brush; the size is kept to whole pixels in [BRUSH_MIN, BRUSH_MAX], the hardness to [0, 1]. */
  setBrush(patch: Partial<BrushSettings>): void {
    const b = this.#brush
    this.#brush = {
      size: patch.size === undefined ? b.size : Math.round(Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, patch.size))),
      // steps of 0.1 add up to 0.7000000000000001: keep two decimals
      hardness: patch.hardness === undefined ? b.hardness : Math.round(Math.min(1, Math.max(0, patch.hardness)) * 100) / 100,
    }
    this.emit()
  }

  /** Make a reference the one masks are painted on (and the one whose crop is placed, if one is). */
  selectLayer(layerId: string): void {
    findLayer(this.doc, layerId)
    this.#activeLayerId = layerId
    if (this.#target.kind === 'reference') this.#target = { kind: 'reference', layerId }
    this.emit()
  }

  /** The crop frame is being placed: the crop tool on the photo, or a reference's crop. */
  get placingCrop(): boolean {
    return this.#tool === 'crop' || this.#target.kind === 'reference'
  }

  /** The image whose crop the canvas shows: the photo, or the reference whose crop is placed (`layerId`). */
  croppedTarget(): { imageId: string; crop: Crop; layerId: string | null } | null {
    const original = this.doc.original
    if (!original) return null
    const target = this.#target
    const layer = target.kind === 'reference' ? this.doc.references.find((l) => l.id === target.layerId) : undefined
    return layer ? { imageId: layer.imageId, crop: layer.crop, layerId: layer.id } : { imageId: original.imageId, crop: original.crop, layerId: null }
  }

  /** Place a reference's crop frame on the canvas, or (null) go back to the photo. */
  editCrop(layerId: string | null): void {
    if (layerId) findLayer(this.doc, layerId)
    this.#target = layerId ? { kind: 'reference', layerId } : { kind: 'photo' }
    if (layerId) this.#activeLayerId = layerId
    this.emit()
  }

  // ------------------------------------------------------------- errors

  reportError(error: AppError): void {
    this.errors = [...this.errors, { ...error, id: ++this.errorCounter }].slice(-4)
    this.emit()
  }

  dismissError(id: number): void {
    this.errors = this.errors.filter((e) => e.id !== id)
    this.emit()
  }

  // ------------------------------------------------------------- whole-document changes (not undo steps)

  /** Start a new document on this photo; history starts empty. */
  loadPhoto(image: ImageInfo, crop: Crop): void {
    this.doc = { ...emptyDocument(), original: { imageId: image.imageId, crop }, images: { [image.imageId]: image } }
    this.doc.settings = { ...this.doc.settings }
    this.#activeLayerId = null
    this.#target = { kind: 'photo' }
    this.projectName = null
    this.history.clear()
    this.afterChange({ layers: true, crop: true, settings: true })
    this.dirty = false
  }

  /** Back to an empty editor (File > New). */
  reset(): void {
    this.doc = emptyDocument()
    this.#activeLayerId = null
    this.#target = { kind: 'photo' }
    this.projectName = null
    this.history.clear()
    this.afterChange({ layers: true, crop: true, settings: true })
    this.dirty = false
  }

  /** Replace the document with an opened or recovered project. */
  loadProject(project: ProjectDocument, images: ImageInfo[], name: string | null): void {
    const byId: Record<string, ImageInfo> = {}
    for (const image of images) byId[image.imageId] = image
    const doc: EditorDocument = {
      original: { imageId: project.original.imageId, crop: project.original.crop },
      images: byId,
      references: project.references.map((r) => ({
        id: r.id,
        imageId: r.imageId,
        name: r.name || byId[r.imageId]?.name || 'Reference',
        crop: r.crop,
        color: r.color,
        visible: r.visible,
        strength: r.strength,
        offset: { ...r.offset },
        mask: { width: r.mask.width, height: r.mask.height, data: new Uint8Array(r.mask.data) },
      })),
      settings: {
        space: project.settings.space,
        coarseStrength: project.settings.coarseStrength,
        fineStrength: project.settings.fineStrength,
        feather: project.settings.feather,
        detail: project.settings.detail,
        livePreview: project.settings.livePreview,
      },
    }
    this.doc = doc
    this.#activeLayerId = doc.references[0]?.id ?? null
    this.#target = { kind: 'photo' }
    this.projectName = name
    this.history.clear()
    this.afterChange({ layers: true, crop: true, settings: true })
    // a recovered document (no file name) still needs saving
    this.dirty = name === null
  }

  /** The document as the contract's project schema expects it. */
  toProjectDocument(): ProjectDocument | null {
    const original = this.doc.original
    if (!original) return null
    return {
      original: { imageId: original.imageId, crop: original.crop },
      references: this.doc.references.map((l) => ({
        id: l.id,
        imageId: l.imageId,
        crop: l.crop,
        name: l.name,
        color: l.color,
        visible: l.visible,
        strength: l.strength,
        offset: { ...l.offset },
        mask: { width: l.mask.width, height: l.mask.height, data: l.mask.data.slice() },
      })),
      settings: { ...this.doc.settings },
    }
  }

  markSaved(name: string): void {
    this.projectName = name
    this.dirty = false
    this.emit()
  }

  // ------------------------------------------------------------- undoable changes

  private record(label: string, delta: DocumentDelta, mergeKey?: string): void {
    this.history.push(label, delta, deltaBytes(delta), mergeKey)
  }

  /** Apply a delta now and record it (the usual path for non-brush edits). */
  commit(label: string, delta: DocumentDelta, mergeKey?: string): void {
    this.afterChange(applyDelta(this.doc, delta, 'redo'))
    this.record(label, delta, mergeKey)
  }

  setOriginalCrop(crop: Crop, mergeKey?: string): void {
    const original = this.doc.original
    if (!original) return
    const photo = this.doc.images[original.imageId]
    const next = clampCrop(crop, photo.width, photo.height)
    if (sameCrop(next, original.crop)) return
    this.commit('Move crop frame', { kind: 'originalCrop', before: original.crop, after: next }, mergeKey)
  }

  /**
   * Put the crop being placed (the photo's, or the reference's whose crop is placed) back to the
   * default framing, unturned: the largest centred square (`defaultCrop`, for the model's
   * domain). One undo step; nothing when it is already there.
   */
  resetFrame(domain?: string): void {
    const framed = this.croppedTarget()
    if (!framed) return
    const image = this.doc.images[framed.imageId]
    const next = defaultCrop(image.width, image.height, domain)
    if (sameCrop(next, framed.crop)) return
    if (framed.layerId) {
      this.commit('Reset frame', { kind: 'layerProps', layerId: framed.layerId, before: { crop: framed.crop }, after: { crop: next } })
    } else {
      this.commit('Reset frame', { kind: 'originalCrop', before: framed.crop, after: next })
    }
  }

  addReference(image: ImageInfo, crop: Crop): ReferenceLayer {
    const photo = this.requirePhoto()
    const layer: ReferenceLayer = {
      id: newId('ref'),
      imageId: image.imageId,
      name: image.name,
      crop,
      color: nextLayerColor(this.doc),
      visible: true,
      strength: 1,
      offset: { dx: 0, dy: 0 },
      mask: newMaskFor(photo),
    }
    this.doc.images = { ...this.doc.images, [image.imageId]: image }
    this.commit('Add reference', { kind: 'layerInsert', index: this.doc.references.length, layer })
    this.#activeLayerId = layer.id
    this.emit()
    return layer
  }

  removeReference(layerId: string): void {
    const index = this.doc.references.findIndex((l) => l.id === layerId)
    if (index < 0) return
    const layer = this.doc.references[index]
    this.commit('Remove reference', { kind: 'layerRemove', index, layer })
    if (this.#target.kind === 'reference' && this.#target.layerId === layerId) this.#target = { kind: 'photo' }
    if (this.#activeLayerId === layerId) this.#activeLayerId = this.doc.references[Math.min(index, this.doc.references.length - 1)]?.id ?? null
    this.emit()
  }

  moveReference(layerId: string, toIndex: number): void {
    const from = this.doc.references.findIndex((l) => l.id === layerId)
    const to = Math.max(0, Math.min(this.doc.references.length - 1, toIndex))
    if (from < 0 || from === to) return
    this.commit('Reorder references', { kind: 'layerMove', from, to })
  }

  setLayerProps(layerId: string, patch: Partial<LayerProps>, mergeKey?: string): void {
    const layer = findLayer(this.doc, layerId)
    if (patch.crop) {
      const image = this.doc.images[layer.imageId]
      patch = { ...patch, crop: clampCrop(patch.crop, image.width, image.height) }
    }
    const before: Partial<LayerProps> = {}
    const after: Partial<LayerProps> = {}
    let changed = false
    for (const key of Object.keys(patch) as (keyof LayerProps)[]) {
      if (JSON.stringify(layer[key]) === JSON.stringify(patch[key])) continue
      ;(before as Record<string, unknown>)[key] = structuredCloneLite(layer[key])
      ;(after as Record<string, unknown>)[key] = structuredCloneLite(patch[key])
      changed = true
    }
    if (!changed) return
    this.commit(layerPropsLabel(after), { kind: 'layerProps', layerId, before, after }, mergeKey)
  }

  setSettings(patch: Partial<EditSettings>, mergeKey?: string): void {
    const before: Partial<EditSettings> = {}
    const after: Partial<EditSettings> = {}
    let changed = false
    for (const key of Object.keys(patch) as (keyof EditSettings)[]) {
      if (this.doc.settings[key] === patch[key]) continue
      ;(before as Record<string, unknown>)[key] = this.doc.settings[key]
      ;(after as Record<string, unknown>)[key] = patch[key]
      changed = true
    }
    if (!changed) return
    this.commit('Change settings', { kind: 'settings', before, after }, mergeKey)
  }

  clearMask(layerId: string): void {
    const mask = findLayer(this.doc, layerId).mask
    const rect = coverageBounds(mask)
    if (!rect) return
    const before = readRect(mask, rect)
    this.commit('Clear mask', { kind: 'maskPixels', layerId, rect, before, after: new Uint8Array(before.length) })
  }

  invertMask(layerId: string): void {
    findLayer(this.doc, layerId)
    this.commit('Invert mask', { kind: 'maskInvert', layerId })
  }

  // ------------------------------------------------------------- brush strokes: one gesture, one step

  /** Scale from photo pixels to mask pixels for the current document. */
  maskScale(): number {
    const photo = this.requirePhoto()
    const layer = this.doc.references[0]
    const maskWidth = layer ? layer.mask.width : newMaskFor(photo).width
    return maskWidth / photo.width
  }

  beginStroke(layerId: string, mode: BrushMode): void {
    if (this.stroke) this.endStroke()
    const layer = findLayer(this.doc, layerId)
    this.stroke = { layerId, before: layer.mask.data.slice(), dirty: null, last: null, mode }
  }

  /** Extend the stroke to a point in photo pixels. */
  strokeTo(point: { x: number; y: number }): void {
    const stroke = this.stroke
    if (!stroke) return
    const layer = findLayer(this.doc, stroke.layerId)
    const scale = layer.mask.width / this.requirePhoto().width
    const p = { x: point.x * scale, y: point.y * scale }
    const tip = { radius: Math.max(0.5, (this.#brush.size * scale) / 2), hardness: this.#brush.hardness, mode: stroke.mode }
    const rect = strokeSegment(layer.mask, stroke.last ?? p, p, tip)
    stroke.last = p
    if (!rect) return
    stroke.dirty = unionRect(stroke.dirty, rect)
    for (const l of this.maskListeners) l({ layerId: stroke.layerId, rect })
  }

  endStroke(): void {
    const stroke = this.stroke
    this.stroke = null
    if (!stroke || !stroke.dirty) return
    const layer = findLayer(this.doc, stroke.layerId)
    const rect = clampRect(stroke.dirty, layer.mask.width, layer.mask.height)
    if (!rect) return
    const before = readRectFrom(stroke.before, layer.mask.width, rect)
    const after = readRect(layer.mask, rect)
    if (before.every((v, i) => v === after[i])) return
    this.record(stroke.mode === 'paint' ? 'Brush stroke' : 'Eraser stroke', { kind: 'maskPixels', layerId: stroke.layerId, rect, before, after })
    this.afterChange({ maskLayerId: stroke.layerId })
  }

  get strokeActive(): boolean {
    return this.stroke !== null
  }

  // ------------------------------------------------------------- helpers

  requirePhoto(): ImageInfo {
    const original = this.doc.original
    if (!original) throw Object.assign(new Error('Open a photo first.'), { code: 'E_NO_PHOTO' })
    return this.doc.images[original.imageId]
  }

  activeLayer(): ReferenceLayer | null {
    return this.doc.references.find((l) => l.id === this.#activeLayerId) ?? null
  }

  /** Every image the document or a step of its undo history names: main must keep holding them. */
  imagesInUse(): Set<string> {
    const ids = new Set<string>()
    if (this.doc.original) ids.add(this.doc.original.imageId)
    for (const layer of this.doc.references) ids.add(layer.imageId)
    for (const delta of this.history.deltas()) for (const id of imagesOfDelta(delta)) ids.add(id)
    return ids
  }

  private afterChange(effect: DeltaEffect): void {
    this.docRevision++
    this.dirty = true
    if (effect.maskLayerId && effect.maskRect) {
      for (const l of this.maskListeners) l({ layerId: effect.maskLayerId, rect: effect.maskRect })
    }
    if (effect.layers) {
      // a layer that came back through undo needs its overlay redrawn entirely
      for (const layer of this.doc.references) for (const l of this.maskListeners) l({ layerId: layer.id, rect: 'all' })
      if (this.#activeLayerId && !this.doc.references.some((l) => l.id === this.#activeLayerId)) {
        this.#activeLayerId = this.doc.references[0]?.id ?? null
      }
      if (this.#target.kind === 'reference' && !this.doc.references.some((l) => l.id === (this.#target as { layerId: string }).layerId)) {
        this.#target = { kind: 'photo' }
      }
    }
    this.emit()
  }
}

function structuredCloneLite<T>(value: T): T {
  return typeof value === 'object' && value !== null ? (JSON.parse(JSON.stringify(value)) as T) : value
}

function layerPropsLabel(after: Partial<LayerProps>): string {
  if ('strength' in after) return 'Change strength'
  if ('visible' in after) return after.visible ? 'Show layer' : 'Hide layer'
  if ('offset' in after) return 'Move reference content'
  if ('crop' in after) return 'Move reference crop'
  if ('color' in after) return 'Change layer colour'
  return 'Change layer'
}


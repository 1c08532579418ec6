// Every undoable change to the document as a delta, and how to apply one either way.
import type { Crop } from '../../src-shared/contract'
import type { Direction } from '../history/history'
import { invertMask, writeRect } from '../mask/maskBitmap'
import type { Rect } from '../mask/rect'
import { findLayer, type EditSettings, type EditorDocument, type LayerProps, type ReferenceLayer } from './editorDocument'

export type DocumentDelta =
  /** pixels of one mask rectangle before and after (a stroke, a clear) */
  | { kind: 'maskPixels'; layerId: string; rect: Rect; before: Uint8Array; after: Uint8Array }
  /** invert is its own inverse: no pixels stored */
  | { kind: 'maskInvert'; layerId: string }
  | { kind: 'layerInsert'; index: number; layer: ReferenceLayer }
  | { kind: 'layerRemove'; index: number; layer: ReferenceLayer }
  | { kind: 'layerMove'; from: number; to: number }
  | { kind: 'layerProps'; layerId: string; before: Partial<LayerProps>; after: Partial<LayerProps> }
  | { kind: 'settings'; before: Partial<EditSettings>; after: Partial<EditSettings> }
  | { kind: 'originalCrop'; before: Crop; after: Crop }

/** What a delta touched, so views refresh only that. */
export interface DeltaEffect {
  maskLayerId?: string
  maskRect?: Rect | 'all'
  layers?: boolean
  settings?: boolean
  crop?: boolean
}

export function applyDelta(doc: EditorDocument, delta: DocumentDelta, direction: Direction): DeltaEffect {
  const forward = direction === 'redo'
  switch (delta.kind) {
    case 'maskPixels': {
      writeRect(findLayer(doc, delta.layerId).mask, delta.rect, forward ? delta.after : delta.before)
      return { maskLayerId: delta.layerId, maskRect: delta.rect }
    }
    case 'maskInvert': {
      invertMask(findLayer(doc, delta.layerId).mask)
      return { maskLayerId: delta.layerId, maskRect: 'all' }
    }
    case 'layerInsert':
    case 'layerRemove': {
      const insert = (delta.kind === 'layerInsert') === forward
      if (insert) doc.references.splice(delta.index, 0, delta.layer)
      else doc.references.splice(delta.index, 1)
      return { layers: true }
    }
    case 'layerMove': {
      const [from, to] = forward ? [delta.from, delta.to] : [delta.to, delta.from]
      const [layer] = doc.references.splice(from, 1)
      doc.references.splice(to, 0, layer)
      return { layers: true }
    }
    case 'layerProps': {
      Object.assign(findLayer(doc, delta.layerId), forward ? delta.after : delta.before)
      return { layers: true }
    }
    case 'settings': {
      doc.settings = { ...doc.settings, ...(forward ? delta.after : delta.before) }
      return { settings: true }
    }
    case 'originalCrop': {
      if (doc.original) doc.original = { ...doc.original, crop: forward ? delta.after : delta.before }
      return { crop: true }
    }
    default: {
      const unreachable: never = delta
      throw new Error(`unknown delta ${JSON.stringify(unreachable)}`)
    }
  }
}

/** Fold two consecutive deltas of one gesture (same kind and target) into one. */
export function mergeDeltas(older: DocumentDelta, newer: DocumentDelta): DocumentDelta {
  if (older.kind === 'layerProps' && newer.kind === 'layerProps' && older.layerId === newer.layerId) {
    return { ...older, before: { ...newer.before, ...older.before }, after: { ...older.after, ...newer.after } }
  }
  if (older.kind === 'settings' && newer.kind === 'settings') {
    return { ...older, before: { ...newer.before, ...older.before }, after: { ...older.after, ...newer.after } }
  }
  if (older.kind === 'originalCrop' && newer.kind === 'originalCrop') {
    return { ...older, after: newer.after }
  }
  return newer
}

/** Memory a delta keeps alive, for the history's byte limit. */
export function deltaBytes(delta: DocumentDelta): number {
  switch (delta.kind) {
    case 'maskPixels':
      return delta.before.byteLength + delta.after.byteLength + 64
    case 'layerInsert':
    case 'layerRemove':
      return delta.layer.mask.data.byteLength + 256
    default:
      return 128
  }
}

/**
 * The images an undo step can bring back: a removed reference returns with undo, an undone
 * one with redo. Exhaustive, so a new kind of step that names an image cannot be forgotten
 * here (its image would be released while undo still needs it).
 */
export function imagesOfDelta(delta: DocumentDelta): string[] {
  switch (delta.kind) {
    case 'layerInsert':
    case 'layerRemove':
      return [delta.layer.imageId]
    case 'maskPixels':
    case 'maskInvert':
    case 'layerMove':
    case 'layerProps':
    case 'settings':
    case 'originalCrop':
      return []
    default: {
      const unreachable: never = delta
      throw new Error(`unknown undo step ${String((unreachable as { kind: unknown }).kind)}`)
    }
  }
}

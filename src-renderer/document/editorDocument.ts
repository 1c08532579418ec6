// The editable document: original photo + crop, reference layers with their masks, and
// the edit settings. Pure data and pure functions over it (no DOM), so undo tests in Node.
import type { Crop, ImageInfo, MixSpace } from '../../src-shared/contract'
import type { MaskBitmap } from '../mask/maskBitmap'
import { createMask } from '../mask/maskBitmap'

/** Masks are kept at most this many pixels on their long side (the contract lets main scale up). */
export const MASK_MAX_SIDE = 2048

export interface ReferenceLayer {
  id: string
  imageId: string
  name: string
  crop: Crop
  color: string
  visible: boolean
  strength: number
  offset: { dx: number; dy: number }
  /** in the ORIGINAL photo's coordinates, scaled by maskScale(document) */
  mask: MaskBitmap
}

/** The properties of a layer a single settings step may change. */
export type LayerProps = Pick<ReferenceLayer, 'name' | 'crop' | 'color' | 'visible' | 'strength' | 'offset'>

export interface EditSettings {
  space: MixSpace
  /** advanced (W+ only): undefined means "use the layer strength" */
  coarseStrength: number | undefined
  fineStrength: number | undefined
  feather: number
  /** detail transfer in the paste-back (fine detail from the reference and the photo) */
  detail: boolean
  livePreview: boolean
}

export interface EditorDocument {
  original: { imageId: string; crop: Crop } | null
  /** everything main holds for this document, by id */
  images: Record<string, ImageInfo>
  references: ReferenceLayer[]
  settings: EditSettings
}

export const defaultSettings: EditSettings = {
  space: 'wplus',
  coarseStrength: undefined,
  fineStrength: undefined,
  feather: 8,
  detail: true,
  livePreview: true,
}

export function emptyDocument(): EditorDocument {
  return { original: null, images: {}, references: [], settings: { ...defaultSettings } }
}

export const layerPalette = ['#ff5c7a', '#4cc9f0', '#ffd166', '#7bd88f', '#b388ff', '#ff9f43', '#f78fb3', '#48dbfb']

/** Size of the mask bitmap for a photo of this size. */
export function maskSizeFor(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MASK_MAX_SIDE / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

export function newMaskFor(image: ImageInfo): MaskBitmap {
  const { width, height } = maskSizeFor(image.width, image.height)
  return createMask(width, height)
}

/** The largest centred square, or a square around the upper middle for face photos. */
export function defaultCrop(width: number, height: number, domain?: string): Crop {
  const size = Math.max(1, Math.min(width, height))
  const x = Math.floor((width - size) / 2)
  // portraits: faces sit in the upper part of the frame
  const y = domain === 'face' && height > width ? Math.floor((height - size) * 0.25) : Math.floor((height - size) / 2)
  return { x, y, size }
}

export function findLayer(doc: EditorDocument, layerId: string): ReferenceLayer {
  const layer = doc.references.find((l) => l.id === layerId)
  if (!layer) throw new Error(`no reference layer ${layerId}`)
  return layer
}

export function nextLayerColor(doc: EditorDocument): string {
  const used = new Set(doc.references.map((l) => l.color))
  return layerPalette.find((c) => !used.has(c)) ?? layerPalette[doc.references.length % layerPalette.length]
}

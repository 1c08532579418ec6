// Every editor action: name -> typed payload -> what it does.
import type { CatalogDataset } from '../../src-shared/catalog'
import type { Crop, ExportFormat, ImageInfo, MenuCommand, OpenedProject } from '../../src-shared/contract'
import { defaultCrop, type EditSettings, type LayerProps } from '../document/editorDocument'
import { clampCrop, turnedBy } from '../document/frame'
import type { BrushSettings, EditorStore, Tool } from '../document/editorStore'
import { bytesToUrl, call, CodedError, toAppError } from '../engine/api'
import type { ImageCache } from '../engine/imageCache'
import type { ImageHolds } from '../engine/imageHolds'
import type { FaceFinder } from '../faces/faceFinder'
import { openingCrop } from '../faces/faces'
import { cancelCheckpointImport, cancelDownload, importCheckpointFile, importDroppedCheckpoint, startDownload, upgradeModel } from '../models/downloads'
import type { LivePreview } from '../preview/livePreview'
import type { Dialog, UiStore } from '../ui/uiStore'
import { ActionManager, type ActionTable } from './actionManager'
import { editorShortcuts, runShortcut } from './shortcuts'

/** What the canvas offers the actions (set when it mounts). */
export interface ViewController {
  zoomBy(factor: number): void
  fit(): void
  actualSize(): void
}

export interface EditorContext {
  store: EditorStore
  ui: UiStore
  images: ImageCache
  /** the holds this window has on images main keeps */
  holds: ImageHolds
  /** the faces found in the document's images */
  faces: FaceFinder
  preview: LivePreview
  view: ViewController | null
}

type LayerTarget = { layerId?: string }

export interface EditorActionPayloads {
  'file.open': void
  'file.openReference': void
  'file.importDropped': { name: string; bytes: Uint8Array; purpose: 'original' | 'reference' }
  'file.openRecent': { id: string }
  'recent.clear': void
  'file.export': { format: ExportFormat; quality: number }
  'project.new': void
  'project.open': void
  'project.save': void
  'project.saveAs': void
  'recovery.accept': void
  'recovery.discard': void
  'edit.undo': void
  'edit.redo': void
  'crop.setOriginal': { crop: Crop; mergeKey?: string }
  'crop.setReference': { layerId: string; crop: Crop; mergeKey?: string }
  /** Frame the face at this index of the faces found in the image the crop tool targets. */
  'crop.pickFace': { index: number }
  /** Turn the crop frame the crop tool targets about its centre (clockwise for positive degrees). */
  'crop.turn': { degrees: number }
  /** Put the crop frame the crop tool targets back to the default framing: the largest centred square, unturned. */
  'crop.reset': void
  'layer.select': { layerId: string }
  'layer.remove': LayerTarget
  'layer.move': { layerId: string; toIndex: number }
  'layer.set': { layerId: string; patch: Partial<LayerProps>; mergeKey?: string }
  'layer.editCrop': { layerId: string | null }
  'mask.strokeBegin': { mode?: 'paint' | 'erase' } & LayerTarget
  'mask.strokeTo': { x: number; y: number }
  'mask.strokeEnd': void
  'mask.clear': LayerTarget
  'mask.invert': LayerTarget
  'settings.set': { patch: Partial<EditSettings>; mergeKey?: string }
  'tool.set': { tool: Tool }
  'brush.set': Partial<BrushSettings>
  'brush.grow': void
  'brush.shrink': void
  'brush.harder': void
  'brush.softer': void
  'view.zoomIn': void
  'view.zoomOut': void
  'view.fit': void
  'view.actual': void
  'view.escape': void
  'preview.render': void
  'compare.toggle': void
  'view.toggleMasks': void
  'compare.hold': { on: boolean }
  'dialog.open': { dialog: Exclude<Dialog, null> }
  'dialog.close': void
  'model.refresh': void
  'model.select': { id: string }
  'model.import': void
  'model.download': { dataset: CatalogDataset }
  'model.cancelDownload': { dataset: CatalogDataset }
  /** Models › Import checkpoint (the dialog's button, the application menu): a .pt chosen in a file dialog */
  'model.importCheckpoint': void
  /** a .pt dropped on the window */
  'model.importDroppedCheckpoint': { file: File }
  /** stop the checkpoint import by hand that runs (chosen or dropped) */
  'model.cancelImport': void
  'model.upgrade': { id: string }
  'generate.random': { seed: number; truncation: number }
  'generate.morph': { layerId?: string; t: number }
  'generate.save': void
  'generate.useAsReference': void
  'error.dismiss': { id: number }
}

export type EditorActionName = keyof EditorActionPayloads
export type EditorActions = ActionManager<EditorContext, EditorActionPayloads>

function layerIdOf(ctx: EditorContext, target: LayerTarget | undefined): string {
  const id = target?.layerId ?? ctx.store.activeLayerId
  if (!id) throw new CodedError('E_NO_LAYER', 'Add a reference photo first: masks belong to a reference.')
  return id
}

/**
 * Take images main has just handed over (one hold each) into the document. The holds are
 * counted whether or not that works: the ones the document does not use are released, and
 * with a new document, those of the one it replaced.
 */
async function adoptHeld(ctx: EditorContext, images: readonly ImageInfo[], adopt: () => Promise<void>): Promise<void> {
  try {
    await adopt()
  } finally {
    ctx.holds.took(images.map((image) => image.imageId))
  }
}

export interface OpeningFrame {
  crop: Crop
  /** what to tell the user when no face was found, else null */
  noFace: string | null
}

/**
 * The crop a newly opened image starts with: its largest face's frame when the active model
 * aligns faces and one is found, else the default framing. A failing detection is reported
 * and opening goes on with the default framing.
 */
export async function openingFrame(ctx: Pick<EditorContext, 'store' | 'ui' | 'faces'>, image: ImageInfo): Promise<OpeningFrame> {
  const model = ctx.ui.activeModel
  const crop = defaultCrop(image.width, image.height, model?.domain)
  if (!model?.alignsFaces) return { crop, noFace: null }
  try {
    const faces = await withTask(ctx, `Finding faces in ${image.name}…`, () => ctx.faces.find(image.imageId))
    const face = openingCrop(faces, true)
    if (face) return { crop: clampCrop(face, image.width, image.height), noFace: null }
  } catch (error) {
    ctx.store.reportError(toAppError(error))
    return { crop, noFace: null }
  }
  return { crop, noFace: `No face found in ${image.name} — frame it by hand` }
}

function adoptPhoto(ctx: EditorContext, image: ImageInfo): Promise<void> {
  return adoptHeld(ctx, [image], async () => {
    // load the display copy first: if it fails the current document stays as it is
    const [, frame] = await Promise.all([ctx.images.get(image.imageId), openingFrame(ctx, image)])
    ctx.preview.reset()
    ctx.store.loadPhoto(image, frame.crop)
    ctx.ui.set({ compareOpen: false, notice: frame.noFace ?? `Opened ${image.name} (${image.width} × ${image.height})` })
    ctx.view?.fit()
    void refreshRecents(ctx)
  })
}

function adoptReference(ctx: EditorContext, image: ImageInfo): Promise<void> {
  return adoptHeld(ctx, [image], async () => {
    ctx.store.requirePhoto()
    const [, frame] = await Promise.all([ctx.images.get(image.imageId), openingFrame(ctx, image)])
    ctx.store.addReference(image, frame.crop)
    if (frame.noFace) ctx.ui.set({ notice: frame.noFace })
    if (ctx.store.tool === 'crop' || ctx.store.tool === 'pan') ctx.store.setTool('brush')
  })
}

/** The image the crop tool targets, and how to change its crop. */
function framedImage(ctx: EditorContext): { imageId: string; crop: Crop; set: (crop: Crop) => void } {
  const { store } = ctx
  store.requirePhoto()
  const { imageId, crop, layerId } = store.croppedTarget()!
  return { imageId, crop, set: (next) => (layerId ? store.setLayerProps(layerId, { crop: next }) : store.setOriginalCrop(next)) }
}

/** Frame one of the faces found in the image the crop tool targets. */
function pickFace(ctx: EditorContext, index: number): void {
  const framed = framedImage(ctx)
  const crop = ctx.faces.known(framed.imageId)?.[index]?.crop
  if (!crop) throw new CodedError('E_NO_FACE', `There is no face ${index + 1} to frame in this image.`)
  framed.set(crop)
}

function adoptProject(ctx: EditorContext, opened: OpenedProject): Promise<void> {
  return adoptHeld(ctx, opened.images, async () => {
    await Promise.all(opened.images.map((img) => ctx.images.get(img.imageId)))
    ctx.preview.reset()
    ctx.store.loadProject(opened.document, opened.images, opened.name)
    ctx.ui.set({ compareOpen: false, notice: opened.name ? `Opened project ${opened.name}` : 'Recovered unsaved work' })
    ctx.view?.fit()
    if (ctx.store.doc.settings.livePreview) ctx.preview.renderNow()
    void refreshRecents(ctx)
  })
}

/** Save to the project file ('project:save', asking for one the first time) or to a new one ('project:saveAs'). */
async function saveProject(ctx: EditorContext, channel: 'project:save' | 'project:saveAs'): Promise<void> {
  const document = ctx.store.toProjectDocument()
  if (!document) throw new CodedError('E_NO_PHOTO', 'Open a photo first: there is nothing to save.')
  const res = await withTask(ctx, 'Saving project…', () => call(channel, { document }))
  if (res.canceled) return
  ctx.store.markSaved(res.name)
  ctx.ui.set({ notice: `Saved ${res.name}` })
  await call('autosave:discard', {}).catch(() => undefined)
  void refreshRecents(ctx)
}

async function refreshRecents(ctx: EditorContext): Promise<void> {
  try {
    const { items } = await call('recent:list', {})
    ctx.ui.set({ recents: items })
  } catch {
    // the list is a convenience; failing to read it is not worth a message
  }
}

async function refreshModels(ctx: EditorContext): Promise<void> {
  const [{ models }, info] = await Promise.all([call('model:list', {}), call('app:info', {})])
  ctx.ui.set({ models, appInfo: info })
}

/** After a new model became the active one: the list, the faces it frames and the preview follow. */
async function modelChanged(ctx: EditorContext): Promise<void> {
  ctx.faces.clear()
  await refreshModels(ctx)
  ctx.preview.reset()
  if (ctx.store.doc.settings.livePreview) ctx.preview.renderNow()
}

async function withTask<T>(ctx: Pick<EditorContext, 'ui'>, label: string, work: () => Promise<T>): Promise<T> {
  ctx.ui.set({ task: label })
  try {
    return await work()
  } finally {
    ctx.ui.set({ task: null })
  }
}

function showGenerated(ctx: EditorContext, label: string, image: { mime: 'image/png' | 'image/jpeg' | 'image/webp'; bytes: Uint8Array; width: number; height: number }) {
  const old = ctx.ui.generated
  if (old) URL.revokeObjectURL(old.url)
  ctx.ui.set({ generated: { label, url: bytesToUrl(image.bytes, image.mime), image } })
}

const BRUSH_STEP = 1.2
const ZOOM_STEP = 1.25

export const editorActionTable: ActionTable<EditorContext, EditorActionPayloads> = {
  'file.open': {
    label: 'Open photo…',
    perform: async (ctx) => {
      const res = await call('image:open', { purpose: 'original' })
      if (!res.canceled) await adoptPhoto(ctx, res.image)
    },
  },
  'file.openReference': {
    label: 'Add reference photo…',
    perform: async (ctx) => {
      ctx.store.requirePhoto()
      const res = await call('image:open', { purpose: 'reference' })
      if (!res.canceled) await adoptReference(ctx, res.image)
    },
  },
  'file.importDropped': {
    label: 'Drop a photo',
    perform: async (ctx, { name, bytes, purpose }) => {
      const { image } = await withTask(ctx, `Reading ${name}…`, () => call('image:import', { name, bytes }))
      if (purpose === 'reference' && ctx.store.doc.original) await adoptReference(ctx, image)
      else await adoptPhoto(ctx, image)
    },
  },
  'file.openRecent': {
    label: 'Open recent',
    perform: async (ctx, { id }) => {
      const res = await call('recent:open', { id })
      if (res.kind === 'image') await adoptPhoto(ctx, res.image)
      else await adoptProject(ctx, res.project)
    },
  },
  'recent.clear': {
    label: 'Clear recent files',
    perform: async (ctx) => {
      await call('recent:clear', {})
      await refreshRecents(ctx)
    },
  },
  'file.export': {
    label: 'Export…',
    perform: async (ctx, { format, quality }) => {
      // main renders the document itself: an export is the same as rendering the saved project
      const document = ctx.store.toProjectDocument()
      if (!document) throw new CodedError('E_NO_PHOTO', 'Open a photo first.')
      const res = await withTask(ctx, 'Exporting at full resolution…', () => call('file:export', { document, format, quality }))
      if (res.canceled) return
      ctx.ui.set({ dialog: null, notice: `Exported ${res.name} (${res.width} × ${res.height}, ${res.format.toUpperCase()})` })
    },
  },
  'project.new': {
    label: 'New project',
    perform: async (ctx) => {
      await call('project:new', {})
      ctx.preview.reset()
      ctx.store.reset()
      ctx.ui.set({ notice: null })
    },
  },
  'project.open': {
    label: 'Open project…',
    perform: async (ctx) => {
      const res = await call('project:open', {})
      if (!res.canceled) await adoptProject(ctx, res.project)
    },
  },
  'project.save': { label: 'Save project', perform: (ctx) => saveProject(ctx, 'project:save') },
  'project.saveAs': { label: 'Save project as…', perform: (ctx) => saveProject(ctx, 'project:saveAs') },
  'recovery.accept': {
    label: 'Recover unsaved work',
    perform: async (ctx) => {
      ctx.ui.set({ recovery: null })
      const { project } = await call('autosave:recover', {})
      await adoptProject(ctx, project)
    },
  },
  'recovery.discard': {
    label: 'Discard recovered work',
    perform: async (ctx) => {
      ctx.ui.set({ recovery: null })
      await call('autosave:discard', {})
    },
  },
  'edit.undo': { label: 'Undo', perform: (ctx) => void ctx.store.history.undo() },
  'edit.redo': { label: 'Redo', perform: (ctx) => void ctx.store.history.redo() },
  'crop.setOriginal': { label: 'Move crop frame', perform: (ctx, { crop, mergeKey }) => ctx.store.setOriginalCrop(crop, mergeKey) },
  'crop.setReference': {
    label: 'Move reference crop frame',
    perform: (ctx, { layerId, crop, mergeKey }) => ctx.store.setLayerProps(layerId, { crop }, mergeKey),
  },
  'crop.pickFace': { label: 'Frame a face', perform: (ctx, { index }) => pickFace(ctx, index) },
  'crop.turn': {
    label: 'Turn the crop frame',
    perform: (ctx, { degrees }) => {
      // only while the frame is being placed: a stray key while painting leaves the crop alone
      if (!ctx.store.placingCrop) return
      const framed = framedImage(ctx)
      framed.set(turnedBy(framed.crop, degrees))
    },
  },
  'crop.reset': {
    label: 'Reset frame',
    perform: (ctx) => {
      // as crop.turn: only while the frame is being placed
      if (!ctx.store.placingCrop) return
      ctx.store.resetFrame(ctx.ui.activeModel?.domain)
    },
  },
  'layer.select': { label: 'Select reference', perform: (ctx, { layerId }) => ctx.store.selectLayer(layerId) },
  'layer.remove': {
    label: 'Remove reference',
    perform: (ctx, target) => ctx.store.removeReference(layerIdOf(ctx, target)),
  },
  'layer.move': { label: 'Reorder references', perform: (ctx, { layerId, toIndex }) => ctx.store.moveReference(layerId, toIndex) },
  'layer.set': { label: 'Change reference', perform: (ctx, { layerId, patch, mergeKey }) => ctx.store.setLayerProps(layerId, patch, mergeKey) },
  'layer.editCrop': { label: 'Edit reference crop', perform: (ctx, { layerId }) => editCrop(ctx, layerId) },
  'mask.strokeBegin': {
    label: 'Paint',
    perform: (ctx, p) => ctx.store.beginStroke(layerIdOf(ctx, p), p.mode ?? (ctx.store.tool === 'eraser' ? 'erase' : 'paint')),
  },
  'mask.strokeTo': { label: 'Paint', perform: (ctx, point) => ctx.store.strokeTo(point) },
  'mask.strokeEnd': { label: 'Paint', perform: (ctx) => ctx.store.endStroke() },
  'mask.clear': { label: 'Clear mask', perform: (ctx, t) => ctx.store.clearMask(layerIdOf(ctx, t)) },
  'mask.invert': { label: 'Invert mask', perform: (ctx, t) => ctx.store.invertMask(layerIdOf(ctx, t)) },
  'settings.set': { label: 'Change settings', perform: (ctx, { patch, mergeKey }) => ctx.store.setSettings(patch, mergeKey) },
  'tool.set': { label: 'Choose tool', perform: (ctx, { tool }) => ctx.store.setTool(tool) },
  // the store clamps and rounds: the slider and the bracket keys take the same path
  'brush.set': { label: 'Brush settings', perform: (ctx, patch) => ctx.store.setBrush(patch) },
  'brush.grow': {
    label: 'Larger brush',
    perform: (ctx) => ctx.store.setBrush({ size: Math.max(ctx.store.brush.size + 1, ctx.store.brush.size * BRUSH_STEP) }),
  },
  'brush.shrink': {
    label: 'Smaller brush',
    perform: (ctx) => ctx.store.setBrush({ size: Math.min(ctx.store.brush.size - 1, ctx.store.brush.size / BRUSH_STEP) }),
  },
  'brush.harder': { label: 'Harder brush', perform: (ctx) => ctx.store.setBrush({ hardness: ctx.store.brush.hardness + 0.1 }) },
  'brush.softer': { label: 'Softer brush', perform: (ctx) => ctx.store.setBrush({ hardness: ctx.store.brush.hardness - 0.1 }) },
  'view.zoomIn': { label: 'Zoom in', perform: (ctx) => ctx.view?.zoomBy(ZOOM_STEP) },
  'view.zoomOut': { label: 'Zoom out', perform: (ctx) => ctx.view?.zoomBy(1 / ZOOM_STEP) },
  'view.fit': { label: 'Fit to window', perform: (ctx) => ctx.view?.fit() },
  'view.actual': { label: 'Actual size (100%)', perform: (ctx) => ctx.view?.actualSize() },
  'view.escape': {
    label: 'Close the open panel or slider, leave crop placing, else fit to window',
    perform: (ctx) => {
      if (ctx.ui.dialog) ctx.ui.set({ dialog: null })
      else if (ctx.ui.compareOpen) ctx.ui.set({ compareOpen: false })
      else if (ctx.store.target.kind === 'reference') editCrop(ctx, null)
      else ctx.view?.fit()
    },
  },
  'preview.render': { label: 'Render preview', perform: (ctx) => ctx.preview.renderNow() },
  'compare.toggle': {
    label: 'Before / after slider',
    perform: (ctx) => ctx.ui.set({ compareOpen: !ctx.ui.compareOpen }),
  },
  'view.toggleMasks': {
    label: 'Show or hide the mask colours',
    perform: (ctx) => ctx.ui.set({ showMasks: !ctx.ui.showMasks }),
  },
  'compare.hold': {
    label: 'Hold to see the original',
    perform: (ctx, { on }) => {
      if (ctx.ui.holdCompare !== on) ctx.ui.set({ holdCompare: on })
    },
  },
  'dialog.open': {
    label: 'Open panel',
    perform: async (ctx, { dialog }) => {
      ctx.ui.set({ dialog })
      if (dialog === 'models' || dialog === 'about') await refreshModels(ctx)
    },
  },
  'dialog.close': { label: 'Close panel', perform: (ctx) => ctx.ui.set({ dialog: null }) },
  'model.refresh': { label: 'Refresh models', perform: (ctx) => refreshModels(ctx) },
  'model.select': {
    label: 'Use model',
    perform: async (ctx, { id }) => {
      await withTask(ctx, 'Loading model…', () => call('model:select', { id }))
      // each model frames faces its own way
      ctx.faces.clear()
      await refreshModels(ctx)
      ctx.preview.reset()
      if (ctx.store.doc.settings.livePreview) ctx.preview.renderNow()
    },
  },
  'model.import': {
    label: 'Import model folder…',
    perform: async (ctx) => {
      const res = await withTask(ctx, 'Checking model folder…', () => call('model:import', {}))
      if (res.canceled) return
      await refreshModels(ctx)
      ctx.ui.set({ notice: `Imported model ${res.model.name}` })
    },
  },
  'model.download': {
    label: 'Download model',
    perform: (ctx, { dataset }) => startDownload(ctx.ui, dataset, () => modelChanged(ctx)),
  },
  'model.cancelDownload': { label: 'Cancel download', perform: (_ctx, { dataset }) => cancelDownload(dataset) },
  'model.importCheckpoint': {
    label: 'Import checkpoint…',
    perform: async (ctx) => {
      // from the application menu too: the Models panel shows the import's progress, Cancel and what went wrong
      if (ctx.ui.dialog !== 'models') {
        ctx.ui.set({ dialog: 'models' })
        await refreshModels(ctx)
      }
      await importCheckpointFile(ctx.ui, () => modelChanged(ctx))
    },
  },
  'model.cancelImport': { label: 'Cancel import', perform: () => cancelCheckpointImport() },
  'model.upgrade': {
    label: 'Update model',
    perform: (ctx, { id }) => {
      // the model in use is loaded again with its new graphs: the preview is made anew
      const active = ctx.ui.models.some((m) => m.id === id && m.active)
      return upgradeModel(ctx.ui, id, () => (active ? modelChanged(ctx) : refreshModels(ctx)))
    },
  },
  'model.importDroppedCheckpoint': {
    label: 'Import dropped checkpoint',
    perform: async (ctx, { file }) => {
      // the Models panel shows the import's progress and what went wrong
      ctx.ui.set({ dialog: 'models' })
      await refreshModels(ctx)
      await importDroppedCheckpoint(ctx.ui, file, () => modelChanged(ctx))
    },
  },
  'generate.random': {
    label: 'Random image',
    perform: async (ctx, { seed, truncation }) => {
      const res = await withTask(ctx, 'Generating…', () => call('engine:random', { seed, truncation }))
      showGenerated(ctx, `Random, seed ${seed}, ψ ${truncation.toFixed(2)} (${Math.round(res.ms)} ms)`, res.image)
      ctx.ui.set({ lastRenderMs: res.ms })
    },
  },
  'generate.morph': {
    label: 'Morph',
    perform: async (ctx, p) => {
      const original = ctx.store.doc.original
      if (!original) throw new CodedError('E_NO_PHOTO', 'Open a photo first.')
      const layer = ctx.store.doc.references.find((l) => l.id === (p.layerId ?? ctx.store.activeLayerId))
      if (!layer) throw new CodedError('E_NO_LAYER', 'Add a reference photo to morph towards.')
      const res = await withTask(ctx, 'Morphing…', () =>
        call('engine:morph', { a: original, b: { imageId: layer.imageId, crop: layer.crop }, t: p.t }),
      )
      showGenerated(ctx, `Morph to ${layer.name}, t ${p.t.toFixed(2)} (${Math.round(res.ms)} ms)`, res.image)
      ctx.ui.set({ lastRenderMs: res.ms })
    },
  },
  'generate.save': {
    label: 'Save generated image…',
    perform: async (ctx) => {
      const g = ctx.ui.generated
      if (!g) return
      const res = await call('file:saveImage', { image: g.image, suggestedName: 'stylemap.png' })
      if (!res.canceled) ctx.ui.set({ notice: `Saved ${res.name}` })
    },
  },
  'generate.useAsReference': {
    label: 'Use as reference',
    perform: async (ctx) => {
      const g = ctx.ui.generated
      if (!g) return
      const { image } = await call('image:import', { name: 'generated.png', bytes: g.image.bytes })
      if (ctx.store.doc.original) await adoptReference(ctx, image)
      else await adoptPhoto(ctx, image)
    },
  },
  'error.dismiss': { label: 'Dismiss', perform: (ctx, { id }) => ctx.store.dismissError(id) },
}

function editCrop(ctx: EditorContext, layerId: string | null): void {
  ctx.store.editCrop(layerId)
  ctx.view?.fit()
}

export function createEditorActions(ctx: EditorContext): EditorActions {
  return new ActionManager(ctx, editorActionTable, (error) => ctx.store.reportError(error))
}

/** Menu commands from main run the action the shortcut table (src-shared/shortcuts.ts) names for them. */
export function dispatchMenuCommand(actions: EditorActions, command: MenuCommand, recentId?: string): Promise<void> {
  if (command === 'openRecent') return recentId ? actions.dispatch('file.openRecent', { id: recentId }) : Promise.resolve()
  const declaration = editorShortcuts.find((d) => d.menu === command)
  if (!declaration) return Promise.reject(new Error(`no action for the menu command ${command}`))
  return runShortcut(actions, { name: declaration.action, payload: declaration.payload })
}

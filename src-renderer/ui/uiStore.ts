// Editor state that is not part of the document and never an undo step: dialogs, the
// preview frame, engine status, notices.
import type { AppInfo, CatalogItem, Crop, EncodedImage, ModelInfo, RecentItem } from '../../src-shared/contract'
import type { Face } from '../faces/faces'
import type { DownloadState } from '../models/downloads'

export type Dialog = null | 'shortcuts' | 'models' | 'export' | 'about' | 'generate'

export interface PreviewFrame {
  seq: number
  crop: Crop
  /** the photo rectangle the pasted image covers (the crop square, or a turned frame's bounding box) */
  region: { x: number; y: number; width: number; height: number }
  pastedUrl: string
  rawUrl: string
  width: number
  height: number
  ms: number
  /** a draft shown while a stroke is painted (the exact render follows when it ends) */
  draft: boolean
}

export interface GeneratedImage {
  label: string
  url: string
  image: EncodedImage
}

export class UiStore {
  dialog: Dialog = null
  compareOpen = false
  /** mask overlays drawn over the photo (view only: the edit is the same either way) */
  showMasks = true
  /** the hold-to-compare key is down: show the photo without the preview */
  holdCompare = false
  previewBusy = false
  /** the engine is readying the crops for the first stroke (CropPreparer) */
  preparing = false
  /** a slow task that is not the preview ("Exporting…") */
  task: string | null = null
  lastRenderMs: number | null = null
  preview: PreviewFrame | null = null
  appInfo: AppInfo | null = null
  models: ModelInfo[] = []
  recents: RecentItem[] = []
  recovery: { savedAt: string; name: string | null } | null = null
  notice: string | null = null
  zoom = 1
  generated: GeneratedImage | null = null
  /** faces found per image id, largest first (FaceFinder keeps them) */
  faces: Record<string, Face[]> = {}
  /** Models › Add: the released checkpoints */
  catalog: CatalogItem[] = []
  /** each download or import by hand, by job (a catalog data set, or `checkpoint`) */
  downloads: Record<string, DownloadState> = {}

  private version = 0
  private readonly listeners = new Set<() => void>()

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  getVersion = (): number => this.version

  /** Change fields and notify. */
  set(patch: Partial<Omit<UiStore, 'set' | 'subscribe' | 'getVersion'>>): void {
    Object.assign(this, patch)
    this.version++
    for (const l of this.listeners) l()
  }

  get activeModel(): ModelInfo | null {
    return this.models.find((m) => m.active) ?? this.appInfo?.model ?? null
  }
}

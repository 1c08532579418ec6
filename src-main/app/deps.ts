// What the app layer needs from its host. Electron main passes native dialogs and its
// recent-documents hook; the e2e bridge passes stubs the test answers; unit tests pass fakes.
import type { z } from 'zod'
import type { CatalogDataset } from '../../src-shared/catalog'
import type { EventName, Events } from '../../src-shared/contract'
import type { EngineApi } from '../engine/api'
import type { SpawnVerify } from '../torch/verifyProcess'
import type { CheckpointImporter } from './downloads'
import type { RecentStore } from './recent'

export type ImageFormat = 'png' | 'jpeg' | 'webp'

/** Native dialogs; each file dialog resolves to the chosen path, or null when the user cancels. */
export interface Dialogs {
  openImage(purpose: 'original' | 'reference'): Promise<string | null>
  openProject(): Promise<string | null>
  /** `suggestedName` ends in `.smproj`. */
  saveProject(suggestedName: string): Promise<string | null>
  /** `suggestedName` ends in the format's extension. */
  saveImage(suggestedName: string, format: ImageFormat): Promise<string | null>
  openModelFolder(): Promise<string | null>
  /** A StyleMapGAN checkpoint (.pt) to import. */
  openCheckpoint(): Promise<string | null>
  /**
   * Asks before replacing the file of a photo that is open in the editor (`name` is its file
   * name): true only when the user explicitly chose to replace it.
   */
  confirmOverwriteOriginal(name: string): Promise<boolean>
}

export interface AppDeps {
  engine: EngineApi
  /** Cancels the engine's waiting/running interactive work, when the engine client can. */
  cancelEngine?: () => unknown
  dialogs: Dialogs
  recent: RecentStore
  /** Per-user folder for the recovery copy and the imported-model list. */
  userDataDir: string
  /** Folder whose subfolders are the models shipped with the app (or itself one model folder). */
  bundledModelsDir: string
  /**
   * The checkpoint importer's graph and face templates (models/templates in a checkout,
   * resources/templates in an installed app); default: the checkout's.
   */
  checkpointTemplatesDir?: string
  app: { name: string; version: string }
  /** Largest photo accepted (pixels); shown in app info. The engine enforces its own guard too. */
  maxInputPixels?: number
  /** Largest image file read into memory (bytes). */
  maxInputBytes?: number
  /** Main -> renderer events (download progress); a host without a window leaves it out. */
  emit?: <K extends EventName>(event: K, payload: z.input<Events[K]>) => void
  /** Model downloads: test hosts point catalog entries at a local server; the importer defaults to importCheckpoint. */
  downloads?: DownloadDeps
}

export interface DownloadDeps {
  /** Catalog entries fetched from another address than the authors' (end-to-end tests only). */
  urls?: Partial<Record<CatalogDataset, string>>
  importer?: CheckpointImporter
  /** Free bytes where downloads are saved (default: statfs). */
  freeBytes?: (dir: string) => Promise<number>
  /** Wait before resuming a broken download (default 500 ms times the attempt). */
  retryDelayMs?: number
  /** Starts the importer's check process (default child_process.fork; Electron main: utilityProcess). */
  spawnVerify?: SpawnVerify
}

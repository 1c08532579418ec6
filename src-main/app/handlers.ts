// The app layer: one handler per channel of the contract, grouped by namespace in channels/.
// Plain Node; everything Electron-only (dialogs, the recent-documents hook) comes in through
// `deps`, so Electron main, the e2e bridge and the tests run exactly this code.
import type { HandlerMap } from '../../src-shared/ipc'
import type { Channels } from '../../src-shared/contract'
import { autosaveHandlers } from './channels/autosave'
import { downloadHandlers } from './channels/download'
import { engineHandlers } from './channels/engine'
import { fileHandlers } from './channels/file'
import { imageHandlers } from './channels/image'
import { modelHandlers } from './channels/model'
import { projectHandlers } from './channels/project'
import { recentHandlers } from './channels/recent'
import { createContext } from './context'
import type { AppDeps } from './deps'

/** The app layer as its host sees it. */
export interface App {
  handlers: HandlerMap<Channels>
  /** Call on a clean exit (after the user saved or declined to): drops the recovery copy. */
  cleanExit(): Promise<void>
  /** Call after the engine process was restarted: hands it the open images and the model again. */
  engineRestarted(): Promise<void>
  /** How many images main holds for the document (they are released through `image:release`). */
  heldImageCount(): number
}

export function createApp(deps: AppDeps): App {
  const ctx = createContext(deps)
  const handlers: HandlerMap<Channels> = {
    ...imageHandlers(ctx),
    ...engineHandlers(ctx),
    ...fileHandlers(ctx),
    ...projectHandlers(ctx),
    ...recentHandlers(ctx),
    ...autosaveHandlers(ctx),
    ...modelHandlers(ctx),
    ...downloadHandlers(ctx),
  }
  return {
    handlers,
    cleanExit: () => ctx.autosave.discard(),
    engineRestarted: async () => {
      await ctx.models.ensureLoaded({ refresh: true })
      await ctx.images.reopenAll()
    },
    heldImageCount: () => ctx.images.size,
  }
}

/** The handler map alone, for hosts that need nothing else. */
export function createHandlers(deps: AppDeps): HandlerMap<Channels> {
  return createApp(deps).handlers
}

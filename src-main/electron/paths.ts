// Where main finds things on disk, as a pure function of how the app runs.
import { join } from 'node:path'

export interface RuntimeLayout {
  /** app.isPackaged */
  isPackaged: boolean
  /** process.resourcesPath: the folder beside app.asar in an installed app */
  resourcesPath: string
  /** app.getAppPath(): the repo root in development, app.asar when packaged */
  appPath: string
  /** the folder holding the built main bundle (out/main) */
  mainDir: string
}

export interface AppPaths {
  /** Folder whose subfolders are the models shipped with the app. */
  bundledModels: string
  /** The built renderer (served through app://). */
  renderer: string
  /** The checkpoint importer's templates (electron-builder copies models/templates there). */
  checkpointTemplates: string
  /** The sandboxed preload script. */
  preload: string
  /** The engine's utilityProcess script. */
  engineHost: string
  /** The checkpoint importer's check process (a utilityProcess script too). */
  verifyHost: string
  /** Window icon for Linux (macOS and Windows take it from the app bundle). */
  icon: string
}

/** The installed app reads models from resources/, a checkout from its models/ folder. */
export function appPaths(layout: RuntimeLayout): AppPaths {
  return {
    bundledModels: layout.isPackaged ? join(layout.resourcesPath, 'models') : join(layout.appPath, 'models'),
    checkpointTemplates: layout.isPackaged ? join(layout.resourcesPath, 'templates') : join(layout.appPath, 'models', 'templates'),
    renderer: join(layout.mainDir, '..', 'renderer'),
    preload: join(layout.mainDir, '..', 'preload', 'index.cjs'),
    engineHost: join(layout.mainDir, 'host.js'),
    verifyHost: join(layout.mainDir, 'verifyHost.js'),
    icon: layout.isPackaged ? join(layout.resourcesPath, 'icon.png') : join(layout.appPath, 'build', 'icons', '512x512.png'),
  }
}

// The hooks end-to-end tests use in Electron main. STYLEMAP_E2E=1 lets a test launch answer
// dialogs from a JSON file, run in its own profile and model folder, keep DevTools, quit
// without asking about unsaved work and find the engine process. None of that may reach an
// installed app, so they are honoured only when the app is not packaged; this is the one place
// that reads the variables.
import { resolve } from 'node:path'
import { z } from 'zod'
import { catalogDatasets, type CatalogDataset } from '../../src-shared/catalog'

export interface TestHooks {
  /** STYLEMAP_USER_DATA_DIR: the profile to use instead of the user's */
  userDataDir: string | null
  /** STYLEMAP_E2E_DIALOG_FILE: dialogs answered from this file (see stubDialogs.ts) */
  dialogFile: string | null
  /** STYLEMAP_E2E_MODELS_DIR: the bundled-models folder to use instead of the app's */
  modelsDir: string | null
  /** STYLEMAP_E2E_CATALOG_URLS: JSON {"celeba_hq": "http://127.0.0.1:PORT/file.pt"}, catalog entries fetched from a test server */
  catalogUrls: Partial<Record<CatalogDataset, string>> | null
}

const catalogUrlsSchema = z.partialRecord(z.enum(catalogDatasets), z.url({ protocol: /^https?$/ }))

/** The test hooks asked for by `env`; null when there are none or the app is packaged. */
export function testHooks(env: NodeJS.ProcessEnv, isPackaged: boolean): TestHooks | null {
  if (isPackaged || env.STYLEMAP_E2E !== '1') return null
  return {
    userDataDir: env.STYLEMAP_USER_DATA_DIR ? resolve(env.STYLEMAP_USER_DATA_DIR) : null,
    dialogFile: env.STYLEMAP_E2E_DIALOG_FILE ? resolve(env.STYLEMAP_E2E_DIALOG_FILE) : null,
    modelsDir: env.STYLEMAP_E2E_MODELS_DIR ? resolve(env.STYLEMAP_E2E_MODELS_DIR) : null,
    // a malformed value throws: a test that asked for it should fail, not download from the internet
    catalogUrls: env.STYLEMAP_E2E_CATALOG_URLS ? catalogUrlsSchema.parse(JSON.parse(env.STYLEMAP_E2E_CATALOG_URLS)) : null,
  }
}

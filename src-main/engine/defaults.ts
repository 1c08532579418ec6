// Finding the bundled default model folder.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { EngineError, engineErrorCodes } from './errors.js'

/** The folder under `modelsRoot` whose model.json says `"default": true` (utkface-64 preferred). */
export async function findDefaultModel(modelsRoot: string): Promise<string> {
  const preferred = join(modelsRoot, 'utkface-64')
  const candidates: string[] = existsSync(join(preferred, 'model.json')) ? [preferred] : []
  try {
    for (const entry of (await readdir(modelsRoot, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = join(modelsRoot, entry.name)
      if (entry.isDirectory() && dir !== preferred && existsSync(join(dir, 'model.json'))) candidates.push(dir)
    }
  } catch {
    // no models folder: reported below
  }
  for (const dir of candidates) {
    try {
      const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as { default?: unknown }
      if (manifest.default === true) return dir
    } catch {
      // a broken folder is not the default; loading it by name reports what is wrong
    }
  }
  throw new EngineError(engineErrorCodes.modelMissing, `no default model found in ${modelsRoot} (a folder with model.json marked "default": true); pass --model DIR`)
}

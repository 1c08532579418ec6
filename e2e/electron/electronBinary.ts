// Finds the Electron executable without `require('electron')`: that call downloads the
// binary when it is missing, which must never happen inside a test run (no network here).
// Mirrors how the electron package itself resolves it: node_modules/electron/path.txt names
// the executable inside node_modules/electron/dist (ELECTRON_OVERRIDE_DIST_PATH replaces
// that folder). STYLEMAP_ELECTRON may name an executable directly.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string }

export interface LookupOptions {
  env?: NodeJS.ProcessEnv
  /** The installed electron package folder (default: resolved from this repo). */
  packageDir?: string | null
}

function defaultPackageDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('electron/package.json'))
  } catch {
    return null
  }
}

function isExecutableFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** Where the Electron binary is, or why there is none. */
export function findElectronBinary(options: LookupOptions = {}): ElectronBinary {
  const env = options.env ?? process.env
  if (env.STYLEMAP_ELECTRON) {
    return isExecutableFile(env.STYLEMAP_ELECTRON)
      ? { ok: true, path: env.STYLEMAP_ELECTRON }
      : { ok: false, reason: `Electron binary not installed: STYLEMAP_ELECTRON=${env.STYLEMAP_ELECTRON} is not a file` }
  }
  const packageDir = options.packageDir === undefined ? defaultPackageDir() : options.packageDir
  if (!packageDir) return { ok: false, reason: 'Electron binary not installed: the electron npm package is missing (run npm install)' }
  const pathFile = join(packageDir, 'path.txt')
  if (!existsSync(pathFile)) {
    return {
      ok: false,
      reason: `Electron binary not installed: ${pathFile} does not exist (the binary is downloaded on first use; run "npx install-electron" where the network allows it)`,
    }
  }
  const relative = readFileSync(pathFile, 'utf8').trim()
  const distDir = env.ELECTRON_OVERRIDE_DIST_PATH || join(packageDir, 'dist')
  const executable = join(distDir, relative)
  return isExecutableFile(executable) ? { ok: true, path: executable } : { ok: false, reason: `Electron binary not installed: ${executable} does not exist` }
}

// Before the browser specs: make sure out/renderer holds a build of the current renderer
// sources (electron-vite's renderer config, built with vite alone, so no Electron is needed).
// A build newer than every source file is reused; STYLEMAP_E2E_BUILD=always forces one.
import { existsSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { repoRoot, defaultRendererDir } from './server'

async function newestMtime(dir: string): Promise<number> {
  let newest = 0
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(path))
    else newest = Math.max(newest, (await stat(path)).mtimeMs)
  }
  return newest
}

export async function buildRenderer(force = false): Promise<void> {
  const index = join(defaultRendererDir, 'index.html')
  if (!force && existsSync(index)) {
    const sources = Math.max(
      await newestMtime(join(repoRoot, 'src-renderer')),
      await newestMtime(join(repoRoot, 'src-shared')),
      (await stat(join(repoRoot, 'electron.vite.config.ts'))).mtimeMs,
    )
    if ((await stat(index)).mtimeMs >= sources) return
  }
  const { build } = await import('vite')
  const config = (await import('../../electron.vite.config')).default as { renderer?: Record<string, unknown> }
  if (!config.renderer) throw new Error('electron.vite.config.ts has no renderer section')
  // relative asset URLs, as electron-vite builds them for the packaged app
  const renderer = config.renderer as { build?: Record<string, unknown> }
  await build({
    ...renderer,
    configFile: false,
    base: './',
    logLevel: 'error',
    build: { ...renderer.build, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  })
}

export default async function globalSetup(): Promise<void> {
  await buildRenderer(process.env.STYLEMAP_E2E_BUILD === 'always')
}

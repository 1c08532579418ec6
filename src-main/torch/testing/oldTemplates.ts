// The graph templates as the app had them on 2026-12-04 (templates-2026-12-04.tgz: `git
// archive 5b6f77a` of models/templates' index.json, alignments.json and 64-small-cm2, the
// architecture of the small test checkpoint), for folders imported the way that version
// imported them: what upgradeFolder brings to today's graphs.
import { execFile } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '../../engine/testing/models.js'

const run = promisify(execFile)

let cached: Promise<string> | null = null

/** A templates folder (for importCheckpoint's templatesDir) of 2026-12-04, unpacked once per process. */
export function templatesOf20261204(): Promise<string> {
  cached ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stylemap-templates-2026-12-04-'))
    await run('tar', ['-xzf', join(repoRoot, 'src-main', 'torch', 'testing', 'templates-2026-12-04.tgz'), '-C', dir])
    return dir
  })()
  return cached
}

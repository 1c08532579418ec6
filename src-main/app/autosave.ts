// The recovery copy: while a document has unsaved changes the renderer hands it over every
// few seconds and it is written (atomically, in the project format) to the user's data
// folder. A clean save or a clean exit removes it, so finding one at start means the last
// session ended without either: offer to recover it, if it still opens.
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { appErrorCodes } from '../../src-shared/contract'
import { writeFileAtomic } from './atomicWrite'
import { AppFailure } from './dispatch'
import { parseProject } from './projectFile'

const metaSchema = z.object({ savedAt: z.string(), projectPath: z.string().nullable() })
export type RecoveryMeta = z.output<typeof metaSchema>

/** True when a recovery check failed because the copy itself is bad, not because it could not be read now. */
function damaged(error: unknown): boolean {
  if (error instanceof AppFailure) return error.code === appErrorCodes.projectCorrupt || error.code === appErrorCodes.projectTooLarge
  if (error instanceof SyntaxError || error instanceof z.ZodError) return true // the marker
  return (error as NodeJS.ErrnoException).code === 'ENOENT' // a marker without its copy
}

export class Autosave {
  private readonly dir: string
  private readonly dataFile: string
  private readonly metaFile: string
  private queue: Promise<unknown> = Promise.resolve()

  constructor(userDataDir: string) {
    this.dir = join(userDataDir, 'recovery')
    this.dataFile = join(this.dir, 'autosave.smproj')
    this.metaFile = join(this.dir, 'autosave.json')
  }

  // one writer at a time, so a discard never races a write that started before it
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work)
    this.queue = next.catch(() => undefined)
    return next
  }

  /** Store project-file bytes as the recovery copy; the data lands before the marker that points at it. */
  write(bytes: Uint8Array, projectPath: string | null): Promise<RecoveryMeta> {
    return this.serial(async () => {
      await mkdir(this.dir, { recursive: true })
      const meta: RecoveryMeta = { savedAt: new Date().toISOString(), projectPath }
      await writeFileAtomic(this.dataFile, bytes)
      await writeFileAtomic(this.metaFile, JSON.stringify(meta))
      return meta
    })
  }

  /**
   * The recovery copy left behind, or null when there is none. It is offered only when it
   * parses as a whole project: a truncated or damaged copy (a full disk, a crash of the
   * machine mid-write) is discarded instead. One from a newer version, or one that cannot be
   * read just now (EACCES, EBUSY), is left in place but not offered; the next recovery copy
   * this session writes replaces it.
   */
  check(): Promise<RecoveryMeta | null> {
    return this.serial(async () => {
      let marker: string
      try {
        marker = await readFile(this.metaFile, 'utf8')
      } catch {
        return null
      }
      try {
        const meta = metaSchema.parse(JSON.parse(marker))
        await parseProject(await readFile(this.dataFile))
        return meta
      } catch (error) {
        if (damaged(error)) await this.remove()
        return null
      }
    })
  }

  /** The recovery copy's bytes and marker; null when there is none. */
  read(): Promise<{ bytes: Uint8Array; meta: RecoveryMeta } | null> {
    return this.serial(async () => {
      try {
        const meta = metaSchema.parse(JSON.parse(await readFile(this.metaFile, 'utf8')))
        return { bytes: await readFile(this.dataFile), meta }
      } catch {
        return null
      }
    })
  }

  discard(): Promise<void> {
    return this.serial(() => this.remove())
  }

  private async remove(): Promise<void> {
    // marker first: a crash between the two leaves no marker, so nothing half-removed is offered
    await rm(this.metaFile, { force: true })
    await rm(this.dataFile, { force: true })
  }
}

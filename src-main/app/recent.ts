// Recent files. The app layer only needs this small interface; the default store keeps a
// JSON list in the user's data folder. Electron main may wrap it to also feed the OS
// recent-documents list and rebuild the Open Recent menu.
import { createHash } from 'node:crypto'
import { mkdir, readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { z } from 'zod'
import type { RecentItem } from '../../src-shared/contract'
import { writeFileAtomic } from './atomicWrite'

export interface RecentEntry {
  id: string
  kind: 'image' | 'project'
  path: string
  openedAt: string
}

export interface RecentStore {
  list(): Promise<RecentEntry[]>
  add(kind: RecentEntry['kind'], path: string): Promise<void>
  remove(id: string): Promise<void>
  clear(): Promise<void>
}

const entrySchema = z.object({ id: z.string(), kind: z.enum(['image', 'project']), path: z.string(), openedAt: z.string() })

/** A stable id for a path, so the renderer can name an entry without holding the path. */
export function recentId(path: string): string {
  return createHash('sha256').update(path).digest('hex').slice(0, 16)
}

/** What the renderer may see of an entry: the name and folder as text, never a handle to read. */
export function toRecentItem(entry: RecentEntry): RecentItem {
  return { id: entry.id, kind: entry.kind, name: basename(entry.path), location: dirname(entry.path), openedAt: entry.openedAt }
}

/** Recent files kept in a JSON file; a missing or damaged list reads as empty. */
export function createFileRecentStore(file: string, limit = 12): RecentStore {
  async function read(): Promise<RecentEntry[]> {
    try {
      const parsed = z.array(entrySchema).safeParse(JSON.parse(await readFile(file, 'utf8')))
      return parsed.success ? parsed.data : []
    } catch {
      return []
    }
  }
  async function write(entries: RecentEntry[]): Promise<void> {
    await mkdir(dirname(file), { recursive: true })
    await writeFileAtomic(file, JSON.stringify(entries, null, 1))
  }
  // serialise writers so two quick adds never lose one another
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work)
    queue = next.catch(() => undefined)
    return next
  }
  return {
    list: () => serial(read),
    add: (kind, path) =>
      serial(async () => {
        const id = recentId(path)
        const rest = (await read()).filter((entry) => entry.id !== id)
        await write([{ id, kind, path, openedAt: new Date().toISOString() }, ...rest].slice(0, limit))
      }),
    remove: (id) => serial(async () => write((await read()).filter((entry) => entry.id !== id))),
    clear: () => serial(async () => write([])),
  }
}

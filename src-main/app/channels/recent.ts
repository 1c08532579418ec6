// recent:* — the files opened lately, by opaque id (the renderer never sees their paths).
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import type { HandlerMap } from '../../../src-shared/ipc'
import { appErrorCodes, type Channels } from '../../../src-shared/contract'
import type { AppContext } from '../context'
import { AppFailure } from '../dispatch'
import { toRecentItem } from '../recent'

export function recentHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'recent:list' | 'recent:open' | 'recent:clear'> {
  const { recent } = ctx.deps
  return {
    'recent:list': async () => ({ items: (await recent.list()).map(toRecentItem) }),
    'recent:open': async ({ id }) => {
      const entry = (await recent.list()).find((item) => item.id === id)
      if (!entry) throw new AppFailure(appErrorCodes.recentMissing, 'That recent file is no longer in the list.')
      const exists = await stat(entry.path).then(
        () => true,
        () => false,
      )
      if (!exists) {
        await recent.remove(id)
        throw new AppFailure(appErrorCodes.recentMissing, `${basename(entry.path)} no longer exists; it was removed from the recent files.`)
      }
      if (entry.kind === 'image') return { kind: 'image', image: await ctx.openImageFile(entry.path, true) }
      return { kind: 'project', project: await ctx.openProjectFile(entry.path) }
    },
    'recent:clear': async () => {
      await recent.clear()
      return {}
    },
  }
}

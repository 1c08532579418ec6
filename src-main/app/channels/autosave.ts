// autosave:* — the recovery copy of a document with unsaved changes.
import { basename } from 'node:path'
import type { HandlerMap } from '../../../src-shared/ipc'
import { appErrorCodes, type Channels } from '../../../src-shared/contract'
import type { AppContext } from '../context'
import { AppFailure } from '../dispatch'
import { parseProject } from '../projectFile'

export function autosaveHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'autosave:write' | 'autosave:check' | 'autosave:recover' | 'autosave:discard'> {
  const { autosave } = ctx
  return {
    'autosave:write': async ({ document }) => {
      const meta = await autosave.write(await ctx.documentBytes(document), ctx.projectPath)
      return { savedAt: meta.savedAt }
    },
    'autosave:check': async () => {
      const meta = await autosave.check()
      return { recovery: meta ? { savedAt: meta.savedAt, name: meta.projectPath ? basename(meta.projectPath) : null } : null }
    },
    'autosave:recover': async () => {
      const found = await autosave.read()
      if (!found) throw new AppFailure(appErrorCodes.noRecovery, 'There is no recovered document.')
      const project = await ctx.adoptProject(await parseProject(found.bytes), found.meta.projectPath ? basename(found.meta.projectPath) : null)
      ctx.projectPath = found.meta.projectPath
      return { project }
    },
    'autosave:discard': async () => {
      await autosave.discard()
      return {}
    },
  }
}

// project:* — the document's file: save, save as, open, new.
import { basename } from 'node:path'
import type { HandlerMap } from '../../../src-shared/ipc'
import { appErrorCodes, type Channels, type ProjectDocument } from '../../../src-shared/contract'
import { writeFileAtomic } from '../atomicWrite'
import { stem, type AppContext } from '../context'
import { AppFailure } from '../dispatch'
import { projectExtension } from '../projectFile'

export function projectHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'project:save' | 'project:saveAs' | 'project:open' | 'project:new'> {
  const { deps, images } = ctx

  /** Save to `path`, or ask for one first when there is none (Save As, or a document never saved). */
  async function save(document: ProjectDocument, path: string | null) {
    const target = path ?? (await deps.dialogs.saveProject(ctx.projectPath ? basename(ctx.projectPath) : `${stem(images.get(document.original.imageId).name)}.${projectExtension}`))
    if (!target) return { canceled: true as const }
    // a project written over a photo would replace the JPEG with JSON
    await ctx.guardOriginals(target)
    const bytes = await ctx.documentBytes(document)
    try {
      await writeFileAtomic(target, bytes)
    } catch (error) {
      throw new AppFailure(appErrorCodes.projectIo, `The project could not be written to ${basename(target)}: ${(error as Error).message}`, { cause: error })
    }
    ctx.projectPath = target
    await deps.recent.add('project', target)
    await ctx.autosave.discard()
    return { canceled: false as const, name: basename(target) }
  }

  return {
    'project:save': ({ document }) => save(document, ctx.projectPath),
    'project:saveAs': ({ document }) => save(document, null),
    'project:open': async () => {
      const path = await deps.dialogs.openProject()
      if (!path) return { canceled: true }
      return { canceled: false, project: await ctx.openProjectFile(path) }
    },
    'project:new': async () => {
      ctx.projectPath = null
      return {}
    },
  }
}

// file:* — writing results where the user chooses. Export renders the project document through
// the engine's one edit call, exactly as `stylemap render --project` does with the saved file.
import { basename } from 'node:path'
import type { HandlerMap } from '../../../src-shared/ipc'
import { appErrorCodes, type Channels } from '../../../src-shared/contract'
import { editFromProject } from '../../../src-shared/edit'
import { writeFileAtomic } from '../atomicWrite'
import { stem, type AppContext } from '../context'
import type { ImageFormat } from '../deps'
import { AppFailure } from '../dispatch'

const mimeExtension = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' } as const
const formatOfMime = { 'image/png': 'png', 'image/jpeg': 'jpeg', 'image/webp': 'webp' } as const
const formatExtension: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' }

export function fileHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'file:export' | 'file:saveImage'> {
  const { images, engine, deps } = ctx
  return {
    'file:export': async ({ document, format, quality }) => {
      const original = images.get(document.original.imageId)
      for (const reference of document.references) images.get(reference.imageId)
      const sourceFormat = (['png', 'jpeg', 'webp'] as const).find((f) => f === original.info.format || (f === 'jpeg' && original.info.format === 'jpg'))
      const chosen: ImageFormat = format === 'original' ? (sourceFormat ?? 'png') : format
      const path = await deps.dialogs.saveImage(`${stem(original.name)}-edited.${formatExtension[chosen]}`, chosen)
      if (!path) return { canceled: true }
      await ctx.guardOriginals(path)
      // with nothing painted the export is the photo itself, re-encoded: no model needed
      const painted = editFromProject(document, { wplusAvailable: true })
      const needsModel = painted.layers.length > 0
      // the same rule as `stylemap render --project`: W+ falls back to W on a model without it
      const edit = needsModel && !(await ctx.models.ensureLoaded()).model.features.wplus ? editFromProject(document, { wplusAvailable: false }) : painted
      // main has refused or confirmed writing onto an open photo (guardOriginals), and the
      // engine holds the app's images as bytes, so it knows no input path to protect
      const output = { kind: 'file', path, format: chosen, quality, overwriteInput: true } as const
      const rendered = await ctx.withEngine(() => engine.render({ edit, output }), { needsModel })
      const { file } = rendered
      return { canceled: false, name: basename(file.path), width: file.width, height: file.height, format: file.format, byteLength: file.bytes }
    },
    'file:saveImage': async ({ image, suggestedName }) => {
      const format = formatOfMime[image.mime]
      const name = `${stem(suggestedName)}.${mimeExtension[image.mime]}`
      const path = await deps.dialogs.saveImage(name, format)
      if (!path) return { canceled: true }
      await ctx.guardOriginals(path)
      try {
        await writeFileAtomic(path, image.bytes)
      } catch (error) {
        throw new AppFailure(appErrorCodes.exportIo, `${basename(path)} could not be written: ${(error as Error).message}`, { cause: error })
      }
      return { canceled: false, name: basename(path), width: image.width, height: image.height, format, byteLength: image.bytes.length }
    },
  }
}

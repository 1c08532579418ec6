// image:* — photos main holds for the document, by id; the renderer never sees a path.
import { basename } from 'node:path'
import type { HandlerMap } from '../../../src-shared/ipc'
import type { Channels } from '../../../src-shared/contract'
import type { AppContext } from '../context'
import { rawToPng } from '../pixels'

export function imageHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'image:open' | 'image:import' | 'image:preview' | 'image:faces' | 'image:release'> {
  const { images, engine } = ctx
  return {
    'image:open': async ({ purpose }) => {
      const path = await ctx.deps.dialogs.openImage(purpose)
      if (!path) return { canceled: true }
      return { canceled: false, image: await ctx.openImageFile(path, purpose === 'original') }
    },
    'image:import': async ({ name, bytes }) => ({ image: await ctx.addImageBytes(basename(name) || 'dropped image', bytes) }),
    'image:preview': async ({ imageId, maxSize }) => {
      const held = images.get(imageId)
      const raw = await ctx.withEngine(() => engine.getPixels(imageId, maxSize), { needsModel: false })
      return { preview: await rawToPng(raw, maxSize), fullWidth: held.info.width, fullHeight: held.info.height }
    },
    'image:faces': async ({ imageId }) => {
      images.get(imageId)
      // the frames come from the active model's alignment
      return ctx.withEngine(() => engine.detectFaces(imageId))
    },
    'image:release': async ({ imageId }) => ({ released: await images.release(imageId) }),
  }
}

// engine:* — the live preview (and readying its crops ahead of it), random samples and morphs.
// The preview is one engine request: the engine encodes (cached), mixes, decodes and pastes
// back in one `render` call.
import type { HandlerMap } from '../../../src-shared/ipc'
import type { Channels } from '../../../src-shared/contract'
import type { AppContext } from '../context'
import { LatestWins } from '../latestWins'
import { rawToPng } from '../pixels'

/** zlib level of the live preview's PNGs: 0 (stored) costs ~3 ms on 1024 px against ~45 ms at level 2. */
const livePreviewPngLevel = 0

export function engineHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'engine:generate' | 'engine:prepare' | 'engine:random' | 'engine:morph'> {
  const { engine, images } = ctx
  const previews = new LatestWins()
  return {
    'engine:generate': async ({ seq, edit, maxSize, draft }) => {
      const outcome = await previews.submit(seq, async () => {
        images.get(edit.original.imageId)
        for (const layer of edit.layers) images.get(layer.reference.imageId)
        const rendered = await ctx.withEngine(async () => engine.render({ edit: await ctx.engineEdit(edit), output: { kind: 'preview', maxSize }, draft }))
        // replaced by the next render within a second: encoding speed beats size here
        const pasted = await rawToPng(rendered.pasted, maxSize, livePreviewPngLevel)
        const raw = await rawToPng(rendered.generated, undefined, livePreviewPngLevel)
        return { crop: rendered.crop, pasted, region: rendered.region, raw, ms: rendered.ms, draft: rendered.draft }
      })
      if (outcome.status === 'superseded') return { status: 'superseded', seq }
      return { status: 'rendered', seq, ...outcome.value }
    },
    'engine:prepare': async ({ original, references }) => {
      images.get(original.imageId)
      for (const reference of references) images.get(reference.imageId)
      const { encoded, ms, complete } = await ctx.withEngine(() => engine.prepare({ original, references }))
      return { encoded, ms, complete }
    },
    'engine:random': async ({ seed, truncation }) => {
      const generated = await ctx.withEngine(() => engine.random({ seed, truncation }))
      return { image: await rawToPng(generated.image), ms: generated.ms }
    },
    'engine:morph': async ({ a, b, t }) => {
      images.get(a.imageId)
      images.get(b.imageId)
      const generated = await ctx.withEngine(() => engine.morph({ a, b, t }))
      return { image: await rawToPng(generated.image), ms: generated.ms }
    },
  }
}

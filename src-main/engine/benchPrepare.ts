// `stylemap bench`'s stroke_during_prepare_ms: the first stroke painted while the crops it is
// painted on are still being readied. The requests go through the engine process's loop
// (host.ts's serve: one request at a time, in order), run here in the bench's process, so
// the render meets the prepare as it does in the app.
import type { Edit } from './api.js'
import { benchPhoto, disc } from './benchInputs.js'
import { EngineError, type EngineErrorCode } from './errors.js'
import { serve } from './host.js'
import type { FromHost, HostMethod, HostRequest } from './protocol.js'

/** How long after the prepare the stroke's render is asked for. */
export const STROKE_AFTER_MS = 1000

/**
 * A photo and three references framed (just opened, nothing of them encoded), `prepare` asked
 * for, and STROKE_AFTER_MS later the first dab on the first layer asked for as a draft, as the
 * app asks while a stroke is painted: milliseconds from asking for that render to its answer,
 * the median of `rounds` (each on images of its own).
 */
export async function strokeDuringPrepare(dir: string, threads: number, rounds = 3): Promise<number> {
  const listeners: ((message: unknown) => void)[] = []
  const answers = new Map<number, (reply: FromHost) => void>()
  const engine = serve({
    send: (message) => {
      if (message.kind === 'result') answers.get(message.id)?.(message)
    },
    onMessage: (listener) => listeners.push(listener),
  })
  let nextId = 1
  const call = <T>(method: HostMethod, ...params: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++
      answers.set(id, (reply) => {
        answers.delete(id)
        if (reply.kind !== 'result') return
        if (reply.ok) resolve(reply.value as T)
        else reject(new EngineError(reply.error.code as EngineErrorCode, reply.error.message))
      })
      const request: HostRequest = { kind: 'request', id, method, params }
      for (const listener of listeners) listener(request)
    })
  try {
    await call('loadModel', dir, { threads })
    const times: number[] = []
    for (let k = 0; k < rounds; k++) {
      const images: { imageId: string; width: number; height: number }[] = []
      for (let j = 0; j < 4; j++) images.push(await call('openImage', { bytes: await benchPhoto(4 * k + j) }))
      const [photo, ...references] = images
      const crop = { x: 0, y: 0, size: Math.min(photo.width, photo.height) }
      const prepared = call('prepare', { original: { imageId: photo.imageId, crop }, references: references.map((r) => ({ imageId: r.imageId })) })
      await new Promise((resolve) => setTimeout(resolve, STROKE_AFTER_MS))
      const dab = disc(photo.width, Math.round(photo.width * 0.45), Math.round(photo.width * 0.55), 20)
      const edit: Edit = { original: { imageId: photo.imageId, crop }, layers: [{ reference: { imageId: references[0].imageId }, mask: dab }] }
      const t = performance.now()
      await call('render', { edit, output: { kind: 'preview', maxSize: 1024 }, draft: true })
      times.push(performance.now() - t)
      await prepared
      for (const image of images) await call('closeImage', image.imageId)
    }
    times.sort((a, b) => a - b)
    return Math.round(times[times.length >> 1] * 10) / 10
  } finally {
    await engine.dispose()
  }
}

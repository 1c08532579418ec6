// The shape every IPC channel follows. The channel map itself lives in contract.ts;
// main registration, the preload API and the e2e bridge are all derived from it.
import type { z } from 'zod'

/** A stable, machine-readable error the UI can act on; only this crosses `invoke`. */
export interface AppError {
  code: string
  message: string
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError }

export interface ChannelSpec<Req extends z.ZodType, Res extends z.ZodType> {
  request: Req
  response: Res
}

export function channel<Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res): ChannelSpec<Req, Res> {
  return { request, response }
}

export type AnyChannelMap = Record<string, ChannelSpec<z.ZodType, z.ZodType>>

export type RequestOf<M extends AnyChannelMap, K extends keyof M> = z.input<M[K]['request']>
export type ResponseOf<M extends AnyChannelMap, K extends keyof M> = z.output<M[K]['response']>

/** What main implements: one async function per channel, payload already validated. */
export type HandlerMap<M extends AnyChannelMap> = {
  [K in keyof M]: (request: z.output<M[K]['request']>) => Promise<ResponseOf<M, K>>
}

/** What the renderer sees: one async function per channel, returning a Result. */
export type InvokeApi<M extends AnyChannelMap> = {
  [K in keyof M]: (request: RequestOf<M, K>) => Promise<Result<ResponseOf<M, K>>>
}

export const ipcErrorCodes = {
  badSender: 'E_IPC_SENDER',
  badPayload: 'E_IPC_PAYLOAD',
  unknownChannel: 'E_IPC_CHANNEL',
  internal: 'E_INTERNAL',
} as const

/** Main -> renderer notifications (menu commands, engine restarts): name -> payload schema. */
export type AnyEventMap = Record<string, z.ZodType>

export type EventApi<E extends AnyEventMap> = {
  [K in keyof E]: (listener: (payload: z.output<E[K]>) => void) => () => void
}

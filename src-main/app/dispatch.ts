// One entry point for every IPC call, used by Electron main (after its sender check) and
// by the e2e bridge: validate the payload, call the handler, wrap into a Result.
import type { z } from 'zod'
import { ipcErrorCodes, type AnyChannelMap, type AppError, type HandlerMap, type Result } from '../../src-shared/ipc'
import { channels, type Channels } from '../../src-shared/contract'

/** An error the UI can act on: a stable code and a readable message. */
export class AppFailure extends Error {
  readonly code: string
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AppFailure'
    this.code = code
  }
}

const codePattern = /^E_[A-Z0-9_]+$/

/** Any thrown value -> the { code, message } that crosses IPC; errors with a stable code keep it. */
export function toAppError(error: unknown): AppError {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code
    const message = (error as { message?: unknown }).message
    if (typeof code === 'string' && codePattern.test(code)) {
      return { code, message: typeof message === 'string' && message ? message : code }
    }
    if (typeof message === 'string' && message) {
      return { code: ipcErrorCodes.internal, message }
    }
  }
  return { code: ipcErrorCodes.internal, message: String(error) }
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`)
    .join('; ')
}

/** True when `name` is one of the map's own channels (not e.g. `toString`). */
export function isChannel<M extends AnyChannelMap>(name: unknown, map: M): name is keyof M & string {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(map, name)
}

/**
 * Validate `payload` against the channel's request schema and run the handler.
 * A malformed payload answers E_IPC_PAYLOAD and never reaches the handler.
 */
export async function dispatchOn<M extends AnyChannelMap>(map: M, name: string, payload: unknown, handlers: HandlerMap<M>): Promise<Result<unknown>> {
  if (!isChannel(name, map)) {
    return { ok: false, error: { code: ipcErrorCodes.unknownChannel, message: `unknown channel ${JSON.stringify(String(name)).slice(0, 80)}` } }
  }
  const parsed = map[name].request.safeParse(payload === undefined ? {} : payload)
  if (!parsed.success) {
    return { ok: false, error: { code: ipcErrorCodes.badPayload, message: `invalid request for ${name}: ${describeIssues(parsed.error.issues)}` } }
  }
  try {
    const handler = handlers[name] as (request: unknown) => Promise<unknown>
    const value = await handler(parsed.data)
    return { ok: true, value }
  } catch (error) {
    return { ok: false, error: toAppError(error) }
  }
}

/** `dispatchOn` for the app's own channel map. */
export function dispatch(name: string, payload: unknown, handlers: HandlerMap<Channels>): Promise<Result<unknown>> {
  return dispatchOn(channels, name, payload, handlers)
}

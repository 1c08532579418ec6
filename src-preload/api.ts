// Builds `window.stylemap` from the contract's channel and event names, so the preload
// never names a channel itself and exposes nothing but the contract's task functions.
// No electron import: the preload entry passes in a transport over ipcRenderer, the tests
// pass a fake one.
import { ipcErrorCodes, type Result } from '../src-shared/ipc'
import { channels, events, type ChannelName, type EventName, type StylemapApi } from '../src-shared/contract'

/** The global the renderer reads: `window.stylemap`. */
export const apiGlobalName = 'stylemap'

/** The two things the preload needs from ipcRenderer, with the event object already gone. */
export interface PreloadTransport {
  invoke(channel: string, payload: unknown): Promise<unknown>
  /** Adds a listener that receives only the payload; returns a function that removes it. */
  subscribe(event: string, listener: (payload: unknown) => void): () => void
}

export const channelNames = Object.keys(channels) as ChannelName[]
export const eventNames = Object.keys(events) as EventName[]

/** The renderer's whole view of main, derived from the contract. */
export function buildStylemapApi(transport: PreloadTransport): StylemapApi {
  const api: Record<string, unknown> = {}
  for (const name of channelNames) {
    api[name] = (request: unknown) => invokeAsResult(transport, name, request)
  }
  const on: Record<string, unknown> = {}
  for (const name of eventNames) {
    on[name] = (listener: (payload: unknown) => void) => {
      if (typeof listener !== 'function') throw new TypeError(`stylemap.on['${name}'] needs a function`)
      return transport.subscribe(name, (payload) => listener(payload))
    }
  }
  api.on = Object.freeze(on)
  return Object.freeze(api) as unknown as StylemapApi
}

/** Main answers with a Result; a rejected invoke (no handler, main crashed) becomes one too. */
async function invokeAsResult(transport: PreloadTransport, name: string, request: unknown): Promise<Result<unknown>> {
  try {
    return (await transport.invoke(name, request)) as Result<unknown>
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    return { ok: false, error: { code: ipcErrorCodes.internal, message: `${name} failed: ${message}` } }
  }
}

// Runs in the page (bundled into the bridge's init script): defines `window.stylemap` with
// the preload's own builder, over a transport that talks HTTP to the bridge server instead
// of ipcRenderer. Same channel names, same Result values, same Uint8Array bytes. Each
// request carries the bridge's per-run token, which buildInitScript bakes in.
import { apiGlobalName, buildStylemapApi, type PreloadTransport } from '../../src-preload/api'
import { fromWire, toWire } from './wire'

// typed by hand: this file is checked with the node-side tsconfig, which has no DOM library
interface EventSourceLike {
  onmessage: ((message: { data: string }) => void) | null
}
const page = globalThis as unknown as { EventSource: new (url: string) => EventSourceLike }

// replaced by buildInitScript (esbuild `define`)
declare const __STYLEMAP_BRIDGE_TOKEN__: string
declare const __STYLEMAP_BRIDGE_TOKEN_HEADER__: string
const token = __STYLEMAP_BRIDGE_TOKEN__

const listeners = new Map<string, Set<(payload: unknown) => void>>()
let source: EventSourceLike | null = null

function events(): void {
  if (source) return
  source = new page.EventSource(`/__bridge/events?token=${encodeURIComponent(token)}`)
  source.onmessage = (message) => {
    const { event, payload } = fromWire(JSON.parse(message.data)) as { event: string; payload: unknown }
    for (const listener of listeners.get(event) ?? []) listener(payload)
  }
}

const transport: PreloadTransport = {
  async invoke(channel, payload) {
    const response = await fetch(`/__bridge/ipc/${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [__STYLEMAP_BRIDGE_TOKEN_HEADER__]: token },
      // an envelope, so an absent payload stays absent (as with ipcRenderer.invoke)
      body: JSON.stringify({ payload: toWire(payload) }),
    })
    if (!response.ok) throw new Error(`bridge answered HTTP ${response.status}`)
    return fromWire(await response.json())
  },
  subscribe(event, listener) {
    events()
    let set = listeners.get(event)
    if (!set) listeners.set(event, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
    }
  },
}

Object.defineProperty(globalThis, apiGlobalName, { value: buildStylemapApi(transport), writable: false, configurable: false })

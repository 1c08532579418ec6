// Main -> renderer notifications, typed and validated against the contract's event map, so
// a wrong name or payload is a compile error and a malformed payload never leaves main.
import type { WebContents } from 'electron'
import type { z } from 'zod'
import { events, type EventName, type Events } from '../../src-shared/contract'

/** Sends `payload` on event `name` to `target` if it is still alive. */
export function emitEvent<K extends EventName>(target: WebContents | null | undefined, name: K, payload: z.input<Events[K]>): void {
  if (!target || target.isDestroyed()) return
  const parsed = events[name].parse(payload)
  target.send(name, parsed)
}

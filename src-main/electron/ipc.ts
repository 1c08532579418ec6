// Registers one ipcMain handler per contract channel. Every call first passes the sender
// check (our page, main frame), then the app's `dispatch` (payload schema, handler, Result).
// Written against the small slice of ipcMain it uses, so tests drive it with a fake.
import { ipcErrorCodes, type Result } from '../../src-shared/ipc'
import { checkSender, type TrustedRenderer } from './sender'

/** The part of Electron's WebFrameMain the check reads. */
export interface SenderFrameLike {
  readonly url: string
  readonly parent: unknown
  readonly detached?: boolean
}

export interface InvokeEventLike {
  readonly senderFrame: SenderFrameLike | null
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, payload: unknown) => Promise<unknown>): void
  removeHandler(channel: string): void
}

export interface IpcRegistration {
  channels: readonly string[]
  /** Where our renderer is served from right now. */
  trusted: () => TrustedRenderer
  /** Validates and runs the call: the app layer's dispatch. */
  dispatch: (channel: string, payload: unknown) => Promise<Result<unknown>>
  /** Told about every refused sender (for the log). */
  onRejected?: (channel: string, reason: string) => void
}

/** Registers all channels and returns a function that removes them. */
export function registerIpcHandlers(ipc: IpcMainLike, registration: IpcRegistration): () => void {
  for (const channel of registration.channels) {
    ipc.handle(channel, async (event, payload) => {
      const frame = event.senderFrame
      const verdict = checkSender(frame && !frame.detached ? { url: frame.url, isMainFrame: frame.parent === null } : null, registration.trusted())
      if (!verdict.ok) {
        registration.onRejected?.(channel, verdict.reason)
        return { ok: false, error: { code: ipcErrorCodes.badSender, message: `refused ${channel}: ${verdict.reason}` } } satisfies Result<never>
      }
      return registration.dispatch(channel, payload)
    })
  }
  return () => {
    for (const channel of registration.channels) ipc.removeHandler(channel)
  }
}

// Decides whether an IPC call may be served: only our own page, in the window's main
// frame, may talk to main. Kept free of electron imports so it is unit-tested in Node.

/** Where our renderer is loaded from: the packaged app protocol or the dev server. */
export interface TrustedRenderer {
  /** Origin of the renderer page, e.g. `app://stylemap` or `http://localhost:5173`. */
  origin: string
}

/** The facts about a sender frame that the check needs (from `event.senderFrame`). */
export interface SenderFacts {
  /** The frame's current URL; empty or missing when the frame is gone. */
  url: string | undefined
  /** True when the frame is its window's top-level frame. */
  isMainFrame: boolean
}

export type SenderVerdict = { ok: true } | { ok: false; reason: string }

/** Accept only the main frame of a page served from the trusted origin. */
export function checkSender(sender: SenderFacts | null | undefined, trusted: TrustedRenderer): SenderVerdict {
  if (!sender) return { ok: false, reason: 'the sending frame no longer exists' }
  if (!sender.isMainFrame) return { ok: false, reason: 'calls from sub-frames are not accepted' }
  if (!sender.url) return { ok: false, reason: 'the sending frame has no URL' }
  let parsed: URL
  try {
    parsed = new URL(sender.url)
  } catch {
    return { ok: false, reason: `the sending frame's URL is not valid: ${sender.url}` }
  }
  const expected = normaliseOrigin(trusted.origin)
  if (expected === null) return { ok: false, reason: `the trusted origin is not valid: ${trusted.origin}` }
  // `URL.origin` is the string "null" for non-special schemes (app:, file:), so compare
  // protocol + host explicitly instead.
  if (originOf(parsed) !== expected) {
    return { ok: false, reason: `calls from ${originOf(parsed)} are not accepted` }
  }
  return { ok: true }
}

function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`.toLowerCase()
}

function normaliseOrigin(origin: string): string | null {
  try {
    return originOf(new URL(origin))
  } catch {
    return null
  }
}

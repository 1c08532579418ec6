// How IPC values travel over the bridge's HTTP: JSON, with every Uint8Array replaced by
// {"$bytes": base64} and turned back into a Uint8Array on the other side, so the page sees
// exactly the types Electron's structured clone would give it. Runs in Node and in the page.

const tag = '$bytes'

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const lookup = new Uint8Array(128)
for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i

function hasBuffer(): boolean {
  return typeof (globalThis as { Buffer?: unknown }).Buffer === 'function'
}

export function bytesToBase64(bytes: Uint8Array): string {
  if (hasBuffer()) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  const parts: string[] = []
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]
    const b = i + 1 < bytes.length ? bytes[i + 1] : 0
    const c = i + 2 < bytes.length ? bytes[i + 2] : 0
    const n = (a << 16) | (b << 8) | c
    parts.push(
      alphabet[(n >> 18) & 63] + alphabet[(n >> 12) & 63] + (i + 1 < bytes.length ? alphabet[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? alphabet[n & 63] : '='),
    )
  }
  return parts.join('')
}

export function base64ToBytes(text: string): Uint8Array {
  if (hasBuffer()) {
    const buffer = Buffer.from(text, 'base64')
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
  }
  const clean = text.replace(/=+$/, '')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let o = 0
  for (let i = 0; i < clean.length; i += 4) {
    const n =
      (lookup[clean.charCodeAt(i)] << 18) |
      (lookup[clean.charCodeAt(i + 1)] << 12) |
      ((i + 2 < clean.length ? lookup[clean.charCodeAt(i + 2)] : 0) << 6) |
      (i + 3 < clean.length ? lookup[clean.charCodeAt(i + 3)] : 0)
    if (o < out.length) out[o++] = (n >> 16) & 255
    if (o < out.length) out[o++] = (n >> 8) & 255
    if (o < out.length) out[o++] = n & 255
  }
  return out
}

/** A value with its bytes tagged, ready for JSON.stringify. */
export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { [tag]: bytesToBase64(value) }
  if (Array.isArray(value)) return value.map(toWire)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) if (item !== undefined) out[key] = toWire(item)
    return out
  }
  return value
}

/** The inverse of toWire, applied to parsed JSON. */
export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire)
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    const keys = Object.keys(record)
    if (keys.length === 1 && keys[0] === tag && typeof record[tag] === 'string') return base64ToBytes(record[tag])
    const out: Record<string, unknown> = {}
    for (const key of keys) out[key] = fromWire(record[key])
    return out
  }
  return value
}

// The renderer's only door to the engine and the file system: window.stylemap.
import type { Channels, StylemapApi } from '../../src-shared/contract'
import type { RequestOf, ResponseOf } from '../../src-shared/ipc'

declare global {
  interface Window {
    stylemap?: StylemapApi
  }
}

/** An error with the stable code the engine or the app layer gave it. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'CodedError'
  }
}

export function getApi(): StylemapApi {
  const api = window.stylemap
  if (!api) throw new CodedError('E_NO_BRIDGE', 'The editor was opened outside Stylemap Studio: the engine bridge is missing.')
  return api
}

/** Invoke a channel; a failed Result becomes a CodedError with the engine's code. */
export async function call<K extends keyof Channels>(name: K, request: RequestOf<Channels, K>): Promise<ResponseOf<Channels, K>> {
  const api = getApi()
  const invoke = api[name] as unknown as (req: RequestOf<Channels, K>) => ReturnType<StylemapApi[K]>
  const result = await invoke(request)
  if (!result.ok) throw new CodedError(result.error.code, result.error.message)
  return result.value as ResponseOf<Channels, K>
}

/** Turn anything thrown into the {code, message} the UI shows. */
export function toAppError(error: unknown): { code: string; message: string } {
  if (error instanceof CodedError) return { code: error.code, message: error.message }
  if (error && typeof error === 'object' && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return { code: (error as { code: string }).code, message: String((error as { message?: unknown }).message ?? '') }
  }
  return { code: 'E_UI', message: error instanceof Error ? error.message : String(error) }
}

/** A blob: URL for encoded image bytes (the CSP allows blob: images). */
export function bytesToUrl(bytes: Uint8Array, mime: string): string {
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return URL.createObjectURL(new Blob([copy.buffer], { type: mime }))
}

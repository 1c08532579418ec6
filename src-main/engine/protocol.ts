// Messages between the engine client (app side) and the engine host (its own process).
import type { EngineMethod } from './api.js'
import type { EngineErrorData } from './errors.js'

/** Engine methods plus `ping` (health check; optional busy time in ms, used to test queueing and crashes). */
export type HostMethod = EngineMethod | 'ping'

export interface HostRequest {
  kind: 'request'
  id: number
  method: HostMethod
  params: unknown[]
}

export type ToHost = HostRequest

export type HostReply =
  | { kind: 'result'; id: number; ok: true; value: unknown; ms: number }
  | { kind: 'result'; id: number; ok: false; error: EngineErrorData; ms: number }

export type FromHost = HostReply | { kind: 'ready'; pid: number }

export function isToHost(value: unknown): value is ToHost {
  if (!value || typeof value !== 'object') return false
  const v = value as Record<string, unknown>
  if (typeof v.id !== 'number') return false
  return v.kind === 'request' && typeof v.method === 'string' && Array.isArray(v.params)
}

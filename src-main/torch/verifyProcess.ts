// Runs the imported folder's check (verifyFolder.ts) in a process of its own, so the importing
// process never holds the model's graphs: for a 1.9 GB 256 px checkpoint the check peaks near
// 1.9 GB, while reading the checkpoint and writing the folder stays near 230 MiB. Node (CLI, tests, the
// e2e bridge) forks verifyHost with child_process.fork; Electron main passes a spawn that uses
// utilityProcess.fork on the built verifyHost.js (src-main/electron/verifyProcess.ts).
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { EngineError } from '../engine/errors.js'
import { childExecArgv } from '../engine/spawn.js'
import { type FolderCheck, verifyErrorCode } from './verifyFolder.js'

/** The one message the check process gets: the model folder to check. */
export interface VerifyRequest {
  dir: string
}

/** The one message the check process sends. */
export type VerifyReply = { ok: true; value: FolderCheck } | { ok: false; error: { code: string; message: string } }

/** A started check process, whatever started it. */
export interface VerifyChild {
  send(message: VerifyRequest): void
  onMessage(listener: (message: unknown) => void): void
  /** Called once when the process ends, for any reason (null: ended by a signal). */
  onExit(listener: (code: number | null) => void): void
  kill(): void
  readonly pid?: number
}

/** Starts a check process (verifyHost.ts). */
export type SpawnVerify = () => VerifyChild

/** verifyHost beside this file: the .ts through tsx in a checkout, the .js when built. */
export function verifyHostPath(): string {
  return fileURLToPath(import.meta.url).replace(/verifyProcess\.(ts|js|mjs)$/, (_m, ext: string) => `verifyHost.${ext}`)
}

/** Node: child_process.fork of verifyHost (Electron main must use utilityProcess instead). */
export function forkVerify(hostPath = verifyHostPath()): VerifyChild {
  const child = fork(hostPath, [], { execArgv: childExecArgv(hostPath), serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let exited = false
  let exitCode: number | null = null
  const exitListeners: ((code: number | null) => void)[] = []
  const ended = (code: number | null) => {
    if (exited) return
    exited = true
    exitCode = code
    for (const l of exitListeners) l(code)
  }
  child.on('exit', (code) => ended(code))
  child.on('error', () => {
    // a process that never started may not report an exit: it ends without an answer, E_CONVERT_VERIFY
    if (child.pid === undefined) ended(null)
  })
  return {
    pid: child.pid,
    send(message) {
      if (child.connected) child.send(message)
    },
    onMessage: (listener) => child.on('message', listener),
    onExit(listener) {
      if (exited) listener(exitCode)
      else exitListeners.push(listener)
    },
    kill() {
      if (!exited) child.kill()
    },
  }
}

/** The error a canceled import ends with (importCheckpoint's convertErrorCodes.canceled). */
export const canceledErrorCode = 'E_CONVERT_CANCELED'

export function canceledError(): EngineError {
  return new EngineError(canceledErrorCode, 'the import was canceled')
}

function isReply(message: unknown): message is VerifyReply {
  if (!message || typeof message !== 'object') return false
  const m = message as Record<string, unknown>
  return (m.ok === true && typeof m.value === 'object' && m.value !== null) || (m.ok === false && typeof m.error === 'object' && m.error !== null)
}

/**
 * Checks the model folder `dir` in a process of its own; resolves once that process has ended
 * (so none of the folder's files is open any more). A failed check, or a process that ends
 * without answering (killed for memory, say), fails with E_CONVERT_VERIFY; `signal` stops the
 * process and fails with E_CONVERT_CANCELED.
 */
export function verifyInChild(dir: string, spawn: SpawnVerify = forkVerify, signal?: AbortSignal): Promise<FolderCheck> {
  if (signal?.aborted) return Promise.reject(canceledError())
  return new Promise((resolve, reject) => {
    let child: VerifyChild
    try {
      child = spawn()
    } catch (e) {
      reject(new EngineError(verifyErrorCode, `the check process did not start: ${(e as Error).message}`, { cause: e }))
      return
    }
    let reply: VerifyReply | null = null
    let canceled = false
    const cancel = () => {
      canceled = true
      child.kill()
    }
    signal?.addEventListener('abort', cancel, { once: true })
    child.onMessage((message) => {
      if (reply || !isReply(message)) return
      reply = message
      // the answer is all it has to give; a process that lingers is stopped
      child.kill()
    })
    child.onExit((code) => {
      signal?.removeEventListener('abort', cancel)
      if (canceled) reject(canceledError())
      else if (!reply) {
        const how = code === null ? 'was killed (out of memory?)' : `ended with exit code ${code}`
        reject(new EngineError(verifyErrorCode, `the imported model's check process ${how} before it answered`))
      } else if (reply.ok) resolve(reply.value)
      else reject(new EngineError(verifyErrorCode, reply.error.message))
    })
    child.send({ dir })
  })
}

/** The parts of Electron's UtilityProcess the check needs (structural: this file does not import electron). */
export interface UtilityProcessLike {
  readonly pid?: number | undefined
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  kill(): boolean
}

/**
 * An Electron UtilityProcess (`utilityProcess.fork(verifyHostJs)`) as a VerifyChild. A
 * utility process reports no signal: one that was killed ends with a non-zero code.
 */
export function utilityVerifyChild(proc: UtilityProcessLike): VerifyChild {
  let exited = false
  let exitCode: number | null = null
  const exitListeners: ((code: number | null) => void)[] = []
  proc.on('exit', (code: number) => {
    exited = true
    exitCode = code
    for (const l of exitListeners) l(code)
  })
  return {
    get pid() {
      return proc.pid
    },
    send(message) {
      if (!exited) proc.postMessage(message)
    },
    onMessage: (listener) => void proc.on('message', listener),
    onExit(listener) {
      if (exited) listener(exitCode)
      else exitListeners.push(listener)
    },
    kill() {
      if (!exited) proc.kill()
    },
  }
}

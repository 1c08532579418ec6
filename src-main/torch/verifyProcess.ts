// Runs the imported folder's check (verifyFolder.ts) in a process of its own, so the importing
// process never holds the model's graphs: for a 1.9 GB 256 px checkpoint the check peaks near
// 1.9 GB, while reading the checkpoint and writing the folder stays near 230 MiB. Node (CLI, tests, the
// e2e bridge) forks verifyHost with child_process.fork; Electron main passes a spawn that uses
// utilityProcess.fork on the built verifyHost.js (src-main/electron/verifyProcess.ts).
import { fileURLToPath } from 'node:url'
import { EngineError } from '../engine/errors.js'
import { type ChildChannel, forkChild, type UtilityProcessLike, utilityChild } from '../engine/spawn.js'
import { type FolderCheck, verifyErrorCode } from './verifyFolder.js'

export type { UtilityProcessLike }

/** The one message the check process gets: the model folder to check, and one to compare it with (an upgrade's old folder). */
export interface VerifyRequest {
  dir: string
  against?: string
}

/** The one message the check process sends. */
export type VerifyReply = { ok: true; value: FolderCheck } | { ok: false; error: { code: string; message: string } }

/** A started check process, whatever started it (`onMessage` gets anything: the answer is checked). */
export type VerifyChild = ChildChannel<VerifyRequest, unknown>

/** Starts a check process (verifyHost.ts). */
export type SpawnVerify = () => VerifyChild

/** verifyHost beside this file: the .ts through tsx in a checkout, the .js when built. */
export function verifyHostPath(): string {
  return fileURLToPath(import.meta.url).replace(/verifyProcess\.(ts|js|mjs)$/, (_m, ext: string) => `verifyHost.${ext}`)
}

/** Node: child_process.fork of verifyHost (Electron main must use utilityProcess instead). */
export function forkVerify(hostPath = verifyHostPath()): VerifyChild {
  return forkChild<VerifyRequest, unknown>(hostPath)
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
 * Checks the model folder `dir` in a process of its own (and compares it with the folder
 * `against`, when given); resolves once that process has ended
 * (so none of the folder's files is open any more). A failed check, or a process that ends
 * without answering (killed for memory, say), fails with E_CONVERT_VERIFY; `signal` stops the
 * process and fails with E_CONVERT_CANCELED.
 */
export function verifyInChild(dir: string, spawn: SpawnVerify = forkVerify, signal?: AbortSignal, against?: string): Promise<FolderCheck> {
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
    child.send(against === undefined ? { dir } : { dir, against })
  })
}

/**
 * An Electron UtilityProcess (`utilityProcess.fork(verifyHostJs)`) as a VerifyChild. A
 * utility process reports no signal: one that was killed ends with a non-zero code.
 */
export function utilityVerifyChild(proc: UtilityProcessLike): VerifyChild {
  return utilityChild<VerifyRequest, unknown>(proc)
}

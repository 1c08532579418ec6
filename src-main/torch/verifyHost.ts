// The check process of a checkpoint import: it gets one VerifyRequest (the model folder to
// check), checks the folder (verifyFolder.ts), answers once with a VerifyReply and is ended by
// its parent (verifyProcess.ts). Runs under Node's child_process.fork (process.send) or
// Electron's utilityProcess (process.parentPort). It never imports electron.
import { checkFolder, verifyErrorCode } from './verifyFolder.js'
import type { VerifyReply, VerifyRequest } from './verifyProcess.js'

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

async function check(request: unknown): Promise<VerifyReply> {
  try {
    const { dir, against } = (request as Partial<VerifyRequest> | null) ?? {}
    if (typeof dir !== 'string' || !dir) throw new Error('the check process was sent no model folder')
    if (against !== undefined && (typeof against !== 'string' || !against)) throw new Error('the check process was sent a folder to compare with that is no path')
    return { ok: true, value: await checkFolder(dir, against) }
  } catch (e) {
    // whatever stops the check is the import's verify failure; the message keeps the cause's code
    const err = e as { code?: unknown; message?: unknown }
    const message = typeof err.message === 'string' ? err.message : String(e)
    const cause = typeof err.code === 'string' && err.code !== verifyErrorCode ? `${err.code}: ` : ''
    return { ok: false, error: { code: verifyErrorCode, message: `${cause}${message}` } }
  }
}

const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort
let started = false
if (parentPort) {
  parentPort.on('message', (event) => {
    if (started) return
    started = true
    void check(event.data).then((reply) => parentPort.postMessage(reply))
  })
} else if (process.send) {
  const send = process.send.bind(process)
  // the importer is gone: nobody can use the answer
  process.on('disconnect', () => process.exit(0))
  process.on('message', (request) => {
    if (started) return
    started = true
    void check(request).then((reply) => send(reply))
  })
} else {
  throw new Error('the import check process must be started by verifyProcess.ts (utilityProcess or child_process.fork)')
}

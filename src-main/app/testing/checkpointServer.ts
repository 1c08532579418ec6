// A local HTTP server for download tests: serves files with Range support, can break the
// connection half-way through a body once, and stands in for what real links do wrong (a web
// page instead of the file, a cut file, a 404, a server that ignores Range). Every request is
// logged with its Range header.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ServedFile {
  bytes: Uint8Array
  /** Content-Type to send (default application/octet-stream). */
  type?: string
  /** Close the socket after this many body bytes, on the first full (non-Range) request only. */
  interruptOnceAt?: number
  /** Answer every request with 200 and the whole file, ignoring Range. */
  ignoreRange?: boolean
  /** Send this many body bytes, then nothing more (the connection stays open): a download to cancel. */
  stallAt?: number
  /** Send the body in 4 MiB pieces this many milliseconds apart (a download slow enough to watch). */
  pieceDelayMs?: number
}

const piece = 4 * 1024 * 1024

/** Writes `bytes` in pieces `delayMs` apart, then `done`; stops when the response is closed. */
function trickle(response: ServerResponse, bytes: Uint8Array, delayMs: number, done: () => void): void {
  let at = 0
  const next = () => {
    if (response.destroyed) return
    if (at >= bytes.length) return done()
    const end = Math.min(bytes.length, at + piece)
    response.write(bytes.subarray(at, end))
    at = end
    setTimeout(next, delayMs)
  }
  next()
}

export interface RequestLog {
  path: string
  range: string | null
  status: number
}

export interface CheckpointServer {
  url(path: string): string
  serve(path: string, file: ServedFile): void
  readonly requests: RequestLog[]
  close(): Promise<void>
}

export const htmlPage = new TextEncoder().encode(
  '<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body>Google Drive can\'t scan this file for viruses. <a href="/uc?confirm=t">Download anyway</a></body></html>',
)

export async function startCheckpointServer(): Promise<CheckpointServer> {
  const files = new Map<string, ServedFile>()
  const interrupted = new Set<string>()
  const requests: RequestLog[] = []

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    const range = request.headers.range ?? null
    const file = files.get(path)
    const log = (status: number) => requests.push({ path, range, status })
    if (!file) {
      log(404)
      response.writeHead(404, { 'content-type': 'text/plain' })
      response.end('not found')
      return
    }
    const type = file.type ?? 'application/octet-stream'
    const size = file.bytes.length
    const asked = range && !file.ignoreRange ? /^bytes=(\d+)-$/.exec(range) : null
    if (asked) {
      const start = Number(asked[1])
      if (start >= size) {
        log(416)
        response.writeHead(416, { 'content-range': `bytes */${size}` })
        response.end()
        return
      }
      log(206)
      response.writeHead(206, { 'content-type': type, 'content-length': String(size - start), 'content-range': `bytes ${start}-${size - 1}/${size}`, 'accept-ranges': 'bytes' })
      if (file.pieceDelayMs !== undefined) trickle(response, file.bytes.subarray(start), file.pieceDelayMs, () => response.end())
      else response.end(file.bytes.subarray(start))
      return
    }
    log(200)
    response.writeHead(200, { 'content-type': type, 'content-length': String(size), 'accept-ranges': file.ignoreRange ? 'none' : 'bytes' })
    if (file.stallAt !== undefined) {
      response.write(file.bytes.subarray(0, file.stallAt))
      return
    }
    if (file.interruptOnceAt !== undefined && !interrupted.has(path)) {
      interrupted.add(path)
      // part of the body, then the connection drops as a flaky network would drop it
      const drop = () => setTimeout(() => request.socket.destroy(), 50)
      if (file.pieceDelayMs !== undefined) trickle(response, file.bytes.subarray(0, file.interruptOnceAt), file.pieceDelayMs, drop)
      else response.write(file.bytes.subarray(0, file.interruptOnceAt), drop)
      return
    }
    if (file.pieceDelayMs !== undefined) trickle(response, file.bytes, file.pieceDelayMs, () => response.end())
    else response.end(file.bytes)
  }

  const server: Server = createServer(handle)
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    serve: (path, file) => {
      files.set(path, file)
      interrupted.delete(path)
    },
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

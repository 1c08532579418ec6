// The engine process. Runs the same Engine as the CLI and tests, answering one request at a
// time, under Electron's utilityProcess (process.parentPort) or Node's child_process.fork
// (process.send). It never imports electron.
import type { EngineApi, EngineMethod } from './api.js'
import { Engine } from './engine.js'
import { EngineError, engineErrorCodes, errorData } from './errors.js'
import { type FromHost, type HostRequest, isToHost, type ToHost } from './protocol.js'

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

interface Port {
  send(message: FromHost): void
  onMessage(listener: (message: unknown) => void): void
}

function connect(): Port {
  const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (l) => parentPort.on('message', (e) => l(e.data)),
    }
  }
  if (process.send) {
    const send = process.send.bind(process)
    // the parent is gone: nobody can use our answers any more
    process.on('disconnect', () => process.exit(0))
    return {
      send: (m) => {
        send(m)
      },
      onMessage: (l) => process.on('message', l),
    }
  }
  throw new Error('the engine host must be started by the engine client (utilityProcess or child_process.fork)')
}

// a record rather than a list, so a method added to EngineApi and not served here fails the typecheck
const served: Record<EngineMethod, true> = {
  loadModel: true,
  modelInfo: true,
  openImage: true,
  closeImage: true,
  getPixels: true,
  encode: true,
  interpolate: true,
  generate: true,
  edit: true,
  reconstruct: true,
  morph: true,
  random: true,
  pasteBack: true,
  pastePreview: true,
  exportImage: true,
}
const engineMethods: ReadonlySet<string> = new Set(Object.keys(served))

function busyWait(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // a long synchronous stretch, like session.run on a big model
  }
}

/** Serves requests from `port` one at a time. */
export function serve(port: Port, engine: Engine = new Engine()): void {
  const cancelled = new Set<number>()
  const queued = new Set<number>()
  let queue: Promise<void> = Promise.resolve()

  const handle = async (request: HostRequest): Promise<void> => {
    queued.delete(request.id)
    const started = performance.now()
    const reply = (body: { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }): void => {
      port.send({ kind: 'result', id: request.id, ...body, ms: performance.now() - started } as FromHost)
    }
    if (cancelled.delete(request.id)) return reply({ ok: false, error: { code: engineErrorCodes.cancelled, message: 'cancelled before it started' } })
    try {
      let value: unknown
      if (request.method === 'ping') {
        const ms = Number(request.params[0] ?? 0)
        if (ms > 0) busyWait(Math.min(ms, 60_000))
        value = { pid: process.pid }
      } else if (engineMethods.has(request.method)) {
        const method = (engine as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[request.method as keyof EngineApi]
        value = await method.apply(engine, request.params)
      } else {
        throw new EngineError(engineErrorCodes.badArgument, `unknown engine method ${request.method}`)
      }
      reply({ ok: true, value: value ?? null })
    } catch (e) {
      reply({ ok: false, error: errorData(e) })
    }
  }

  port.onMessage((message) => {
    if (!isToHost(message)) return
    const m = message as ToHost
    if (m.kind === 'cancel') {
      if (queued.has(m.id)) cancelled.add(m.id)
      return
    }
    queued.add(m.id)
    queue = queue.then(() => handle(m))
  })
  port.send({ kind: 'ready', pid: process.pid })
}

const isMain = (process as unknown as { parentPort?: unknown }).parentPort !== undefined || typeof process.send === 'function'
if (isMain && !process.env.STYLEMAP_ENGINE_HOST_NO_AUTOSTART) serve(connect())

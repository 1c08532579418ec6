// The engine process. Runs the same Engine as the CLI and tests, answering one request at a
// time, under Electron's utilityProcess (process.parentPort) or Node's child_process.fork
// (process.send). It never imports electron.
import { Engine, type EngineOptions } from './engine.js'
import { EngineError, engineErrorCodes, errorData } from './errors.js'
import { type FromHost, type HostRequest, isToHost } from './protocol.js'

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

/**
 * The engine methods this process serves: the public methods of Engine, read from its
 * prototype (its helpers are #private and not listed), less the ones only the process itself
 * may call. A method added to EngineApi and Engine is served with no edit here.
 */
export const servedMethods: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(Engine.prototype).filter((name) => {
    const descriptor = Object.getOwnPropertyDescriptor(Engine.prototype, name)
    return name !== 'constructor' && name !== 'dispose' && typeof descriptor?.value === 'function'
  }),
)

function busyWait(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // a long synchronous stretch, like session.run on a big model
  }
}

/**
 * Serves requests from `port` one at a time, in the order they come. The engine it makes is told
 * whether requests wait behind the one running, so that work ahead of need (prepare) gives way
 * to them.
 */
export function serve(port: Port, options: EngineOptions = {}): Engine {
  let queue: Promise<void> = Promise.resolve()
  // requests received and not started yet
  let waiting = 0
  const engine = new Engine({ ...options, othersWaiting: () => waiting > 0 })

  const handle = async (request: HostRequest): Promise<void> => {
    const started = performance.now()
    const reply = (body: { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }): void => {
      port.send({ kind: 'result', id: request.id, ...body, ms: performance.now() - started } as FromHost)
    }
    try {
      let value: unknown
      if (request.method === 'ping') {
        const ms = Number(request.params[0] ?? 0)
        if (ms > 0) busyWait(Math.min(ms, 60_000))
        value = { pid: process.pid }
      } else if (servedMethods.has(request.method)) {
        const method = (engine as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[request.method]
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
    waiting++
    queue = queue.then(() => {
      waiting--
      return handle(message)
    })
  })
  port.send({ kind: 'ready', pid: process.pid })
  return engine
}

const isMain = (process as unknown as { parentPort?: unknown }).parentPort !== undefined || typeof process.send === 'function'
if (isMain && !process.env.STYLEMAP_ENGINE_HOST_NO_AUTOSTART) serve(connect())

// The app side of the engine process: request ids, crash detection with restart on the next
// request. Every EngineApi method is forwarded as it is (a Proxy, in the spirit of VS Code's
// ProxyChannel), so a method added to EngineApi and Engine needs no edit here.
import type { EngineApi, LoadModelOptions } from './api.js'
import { EngineError, engineErrorCodes } from './errors.js'
import type { FromHost, HostMethod, ToHost } from './protocol.js'

/** A started engine process, whatever started it (utilityProcess.fork, child_process.fork). */
export interface EngineChannel {
  send(message: ToHost): void
  onMessage(listener: (message: FromHost) => void): void
  /** Called once when the process ends, for any reason. */
  onExit(listener: (code: number | null) => void): void
  kill(): void
  readonly pid?: number
}

export type SpawnEngine = () => EngineChannel

/** How often a crashed engine is started again: at most `maxCrashes` crashes within `windowMs`, then not until the oldest ages out. */
export interface RestartPolicy {
  maxCrashes: number
  windowMs: number
  now?: () => number
}

// an engine that dies on start (a model that crashes onnxruntime, say) is not restarted in a loop
const defaultRestartPolicy: RestartPolicy = { maxCrashes: 3, windowMs: 60_000 }

/**
 * How long the engine may go without answering while requests wait before it is taken for
 * stuck: far longer than any real work (a 100 MP export with a 256 px model on a slow CPU takes
 * a minute or two). Counted from its last answer, not from each send: it answers one request
 * at a time, so one queued behind others has waited for them too.
 */
export const defaultRequestTimeoutMs = 10 * 60_000

interface Pending {
  method: HostMethod
  resolve(value: unknown): void
  reject(error: EngineError): void
}

// Declaration merging: an EngineClient has every EngineApi method (served by the Proxy below).
// eslint-disable-next-line @typescript-eslint/no-empty-object-type, @typescript-eslint/no-unsafe-declaration-merging
export interface EngineClient extends EngineApi {}

/** Talks to the engine process; an EngineApi, so the app codes against the same interface as the in-process Engine. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class EngineClient {
  private channel: EngineChannel | null = null
  private nextId = 1
  private readonly inFlight = new Map<number, Pending>()
  private lastModel: { dir: string; options?: LoadModelOptions } | null = null
  private closed = false
  private restarts = 0
  /** When the engine crashed lately (within the policy's window), oldest first. */
  private crashTimes: number[] = []
  private readonly crashListeners = new Set<(info: { restarts: number; code: number | null }) => void>()
  /** Fires when the engine has not answered for the request timeout while requests wait. */
  private watchdog: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly spawn: SpawnEngine,
    private readonly restartPolicy: RestartPolicy = defaultRestartPolicy,
    private readonly requestTimeoutMs = defaultRequestTimeoutMs,
  ) {
    return new Proxy(this, {
      get(target, key, receiver) {
        // the client's own members stay its own; any other name is an engine method
        if (typeof key === 'symbol' || key in target || key === 'then') return Reflect.get(target, key, receiver)
        return (...params: unknown[]) => target.call(key as HostMethod, params)
      },
    })
  }

  /** How often the engine process died and was started again. */
  get restartCount(): number {
    return this.restarts
  }

  /** Process id of the running engine, if one runs. */
  get pid(): number | undefined {
    return this.channel?.pid
  }

  /** Called when the engine process dies unexpectedly; returns an unsubscribe function. */
  onCrash(listener: (info: { restarts: number; code: number | null }) => void): () => void {
    this.crashListeners.add(listener)
    return () => this.crashListeners.delete(listener)
  }

  /** Health check: the engine's pid, after keeping it busy for `busyMs` (to test queueing and crashes). */
  async ping(busyMs = 0): Promise<{ pid: number }> {
    return (await this.call('ping', [busyMs])) as { pid: number }
  }

  /**
   * Sends one request. It fails with E_ENGINE_CRASHED if the process dies before answering, and
   * with E_ENGINE_TIMEOUT if it is the one the engine works on when the engine has not answered
   * anything for the request timeout: the process is then stopped (it answers one request at a
   * time, so a stuck one blocks every other) and starts again with the next request.
   */
  call(method: HostMethod, params: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let channel: EngineChannel
      try {
        channel = this.ensureChannel()
      } catch (error) {
        reject(error instanceof EngineError ? error : new EngineError(engineErrorCodes.internal, String(error)))
        return
      }
      const id = this.nextId++
      const remember = method === 'loadModel' ? () => (this.lastModel = { dir: params[0] as string, options: params[1] as LoadModelOptions | undefined }) : null
      this.inFlight.set(id, {
        method,
        resolve: (value) => {
          remember?.()
          resolve(value)
        },
        reject,
      })
      if (!this.watchdog) this.watch(channel)
      channel.send({ kind: 'request', id, method, params })
    })
  }

  private ensureChannel(): EngineChannel {
    if (this.closed) throw new EngineError(engineErrorCodes.engineClosed, 'the engine was shut down')
    if (this.channel) return this.channel
    const backoff = this.backoff()
    if (backoff) throw new EngineError(engineErrorCodes.engineCrashed, `the engine ${backoff}`)
    const channel = this.spawn()
    this.channel = channel
    channel.onMessage((m) => this.onMessage(channel, m))
    channel.onExit((code) => this.onExit(channel, code))
    if (this.lastModel) {
      // a restarted engine gets the model back before the request that restarted it
      channel.send({ kind: 'request', id: this.nextId++, method: 'loadModel', params: [this.lastModel.dir, this.lastModel.options] })
    }
    return channel
  }

  /** Why the engine is not started again now (it crashed too often lately), or null. */
  private backoff(): string | null {
    const { maxCrashes, windowMs, now = Date.now } = this.restartPolicy
    const t = now()
    this.crashTimes = this.crashTimes.filter((at) => t - at < windowMs)
    if (this.crashTimes.length < maxCrashes) return null
    const wait = Math.max(1, Math.ceil((this.crashTimes[0] + windowMs - t) / 1000))
    return `keeps crashing (${this.crashTimes.length} times in the last ${Math.round(windowMs / 1000)} s), so it is not restarted; try again in ${wait} s`
  }

  /** Starts the stuck-engine timer again (any answer shows the engine is working), or stops it when nothing waits. */
  private watch(channel: EngineChannel): void {
    if (this.watchdog) clearTimeout(this.watchdog)
    this.watchdog = null
    if (this.inFlight.size === 0) return
    this.watchdog = setTimeout(() => this.stuck(channel), this.requestTimeoutMs)
    this.watchdog.unref?.()
  }

  /** The engine answered nothing for the request timeout: fail what waits and stop it. */
  private stuck(channel: EngineChannel): void {
    this.watchdog = null
    if (this.channel !== channel) return
    // the next request must not reach the stuck process: let go of it now, then stop it
    this.channel = null
    // the host answers in order, so the oldest request is the one it is stuck on
    const [running, ...behind] = this.takeInFlight()
    const seconds = this.requestTimeoutMs / 1000
    running?.reject(
      new EngineError(
        engineErrorCodes.engineTimeout,
        `the engine did not answer ${running.method} within ${seconds} s; it was stopped and starts again with the next request`,
      ),
    )
    const next = this.noteCrash(null)
    for (const p of behind)
      p.reject(
        new EngineError(engineErrorCodes.engineCrashed, `the engine was stopped while ${p.method} waited (${running?.method} did not finish); it ${next}`),
      )
    channel.kill()
  }

  private onMessage(channel: EngineChannel, message: FromHost): void {
    if (message.kind !== 'result' || this.channel !== channel) return
    const pending = this.inFlight.get(message.id)
    this.inFlight.delete(message.id)
    // any answer (a restarted engine's model reload too) shows the engine is working
    this.watch(channel)
    if (!pending) return
    if (message.ok) pending.resolve(message.value)
    else pending.reject(new EngineError(message.error.code as `E_${string}`, message.error.message))
  }

  private onExit(channel: EngineChannel, code: number | null): void {
    if (this.channel !== channel) return
    this.channel = null
    if (this.watchdog) clearTimeout(this.watchdog)
    this.watchdog = null
    // taken before the listeners run: what they ask of the restarted engine is not lost with these
    const lost = this.takeInFlight()
    const next = this.closed ? '' : this.noteCrash(code)
    for (const p of lost) {
      p.reject(
        this.closed
          ? new EngineError(engineErrorCodes.engineClosed, 'the engine was shut down')
          : new EngineError(engineErrorCodes.engineCrashed, `the engine process stopped (exit ${code ?? 'signal'}) during ${p.method}; it ${next}`),
      )
    }
  }

  /** Counts an unexpected end of the engine process and tells the listeners; says what happens next. */
  private noteCrash(code: number | null): string {
    this.restarts++
    this.crashTimes.push((this.restartPolicy.now ?? Date.now)())
    for (const l of this.crashListeners) l({ restarts: this.restarts, code })
    return this.backoff() ?? 'restarts with the next request'
  }

  /** The requests still waiting for an answer from a process that is gone (they are forgotten). */
  private takeInFlight(): Pending[] {
    const lost = [...this.inFlight.values()]
    this.inFlight.clear()
    return lost
  }

  /** Stops the engine process; pending requests fail with E_ENGINE_CLOSED. */
  async close(): Promise<void> {
    this.closed = true
    const channel = this.channel
    if (!channel) return
    const exited = new Promise<void>((resolve) => channel.onExit(() => resolve()))
    channel.kill()
    await exited
  }
}

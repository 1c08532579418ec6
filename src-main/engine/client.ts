// The app side of the engine process: request ids, per-lane coalescing of interactive
// requests (latest wins), cancel, and crash detection with restart on the next request.
import type {
  EditRequest,
  EditStateInfo,
  EncodeRequest,
  EngineApi,
  EngineMethod,
  EngineParams,
  EngineResult,
  ExportRequest,
  ExportResult,
  GeneratedImage,
  GenerateRequest,
  ImageInfo,
  ImageSource,
  InterpolateRequest,
  LoadedModel,
  LoadModelOptions,
  MorphRequest,
  PasteBackRequest,
  PastePreviewRequest,
  RandomRequest,
  RawImage,
  StylemapInfo,
} from './api.js'
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

export interface SubmitOptions {
  /**
   * Interactive lane: while one request of the lane runs, only the newest waiting one is kept;
   * the ones it replaces fail with E_SUPERSEDED.
   */
  lane?: string
}

/** A result with the sequence number of its request within its lane (0 without a lane). */
export interface Sequenced<T> {
  seq: number
  value: T
  /** Engine time for the request. */
  ms: number
}

export interface Ticket<T> {
  id: number
  seq: number
  result: Promise<Sequenced<T>>
  /** Fails the request with E_CANCELLED; a request already running in the engine is finished there but its result is dropped. */
  cancel(): void
}

interface Pending {
  id: number
  seq: number
  lane: string | null
  method: HostMethod
  params: unknown[]
  resolve(value: Sequenced<unknown>): void
  reject(error: EngineError): void
  settled: boolean
  sent: boolean
}

interface Lane {
  running: Pending | null
  waiting: Pending | null
  seq: number
}

/** Talks to the engine process; implements EngineApi, so the app codes against the same interface as the in-process Engine. */
export class EngineClient implements EngineApi {
  private channel: EngineChannel | null = null
  private nextId = 1
  private readonly inFlight = new Map<number, Pending>()
  private readonly lanes = new Map<string, Lane>()
  private lastModel: { dir: string; options?: LoadModelOptions } | null = null
  private closed = false
  private restarts = 0
  private readonly crashListeners = new Set<(info: { restarts: number; code: number | null }) => void>()

  constructor(private readonly spawn: SpawnEngine) {}

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

  private ensureChannel(): EngineChannel {
    if (this.closed) throw new EngineError(engineErrorCodes.engineClosed, 'the engine was shut down')
    if (this.channel) return this.channel
    const channel = this.spawn()
    this.channel = channel
    channel.onMessage((m) => this.onMessage(m))
    channel.onExit((code) => this.onExit(channel, code))
    if (this.lastModel) {
      // a restarted engine gets the model back before the request that restarted it
      const id = this.nextId++
      channel.send({ kind: 'request', id, method: 'loadModel', params: [this.lastModel.dir, this.lastModel.options] })
    }
    return channel
  }

  private onMessage(message: FromHost): void {
    if (message.kind !== 'result') return
    const pending = this.inFlight.get(message.id)
    if (!pending) return
    this.inFlight.delete(message.id)
    if (!pending.settled) {
      pending.settled = true
      if (message.ok) pending.resolve({ seq: pending.seq, value: message.value, ms: message.ms })
      else pending.reject(new EngineError(message.error.code as `E_${string}`, message.error.message))
    }
    this.finishLane(pending)
  }

  private onExit(channel: EngineChannel, code: number | null): void {
    if (this.channel !== channel) return
    this.channel = null
    const lost = [...this.inFlight.values()]
    this.inFlight.clear()
    if (!this.closed) {
      this.restarts++
      for (const l of this.crashListeners) l({ restarts: this.restarts, code })
    }
    for (const p of lost) {
      if (!p.settled) {
        p.settled = true
        p.reject(
          this.closed
            ? new EngineError(engineErrorCodes.engineClosed, 'the engine was shut down')
            : new EngineError(engineErrorCodes.engineCrashed, `the engine process stopped (exit ${code ?? 'signal'}) during ${p.method}; it restarts with the next request`),
        )
      }
    }
    for (const p of lost) this.finishLane(p)
  }

  private lane(name: string): Lane {
    let lane = this.lanes.get(name)
    if (!lane) {
      lane = { running: null, waiting: null, seq: 0 }
      this.lanes.set(name, lane)
    }
    return lane
  }

  private finishLane(pending: Pending): void {
    if (!pending.lane) return
    const lane = this.lane(pending.lane)
    if (lane.running !== pending) return
    lane.running = null
    const next = lane.waiting
    lane.waiting = null
    if (next) {
      lane.running = next
      this.dispatch(next)
    }
  }

  private dispatch(pending: Pending): void {
    try {
      const channel = this.ensureChannel()
      this.inFlight.set(pending.id, pending)
      pending.sent = true
      channel.send({ kind: 'request', id: pending.id, method: pending.method, params: pending.params })
    } catch (e) {
      this.inFlight.delete(pending.id)
      if (!pending.settled) {
        pending.settled = true
        pending.reject(e instanceof EngineError ? e : new EngineError(engineErrorCodes.internal, String(e)))
      }
      this.finishLane(pending)
    }
  }

  /** Sends a request; with a lane, interactive coalescing applies. */
  submit<M extends EngineMethod>(method: M, params: EngineParams<M>, options?: SubmitOptions): Ticket<EngineResult<M>>
  submit(method: 'ping', params: [number?], options?: SubmitOptions): Ticket<{ pid: number }>
  submit(method: HostMethod, params: unknown[], options: SubmitOptions = {}): Ticket<unknown> {
    const lane = options.lane ? this.lane(options.lane) : null
    let resolve!: (v: Sequenced<unknown>) => void
    let reject!: (e: EngineError) => void
    const result = new Promise<Sequenced<unknown>>((res, rej) => {
      resolve = res
      reject = rej
    })
    const pending: Pending = { id: this.nextId++, seq: lane ? ++lane.seq : 0, lane: options.lane ?? null, method, params, resolve, reject, settled: false, sent: false }
    if (method === 'loadModel') {
      const [dir, opts] = params as [string, LoadModelOptions | undefined]
      result.then(
        () => {
          this.lastModel = { dir, options: opts }
        },
        () => undefined,
      )
    }
    if (!lane || !lane.running) {
      if (lane) lane.running = pending
      this.dispatch(pending)
    } else {
      const replaced = lane.waiting
      lane.waiting = pending
      if (replaced && !replaced.settled) {
        replaced.settled = true
        replaced.reject(new EngineError(engineErrorCodes.superseded, `request ${replaced.seq} on lane ${options.lane} was replaced by request ${pending.seq}`))
      }
    }
    const cancel = (): void => {
      if (pending.settled) return
      pending.settled = true
      pending.reject(new EngineError(engineErrorCodes.cancelled, `${method} was cancelled`))
      if (lane && lane.waiting === pending) lane.waiting = null
      else if (pending.sent) this.channel?.send({ kind: 'cancel', id: pending.id })
    }
    return { id: pending.id, seq: pending.seq, result, cancel }
  }

  private async call<M extends EngineMethod>(method: M, ...params: EngineParams<M>): Promise<EngineResult<M>> {
    const ticket = this.submit(method, params)
    return (await ticket.result).value
  }

  /** The interactive preview: interpolate + generate on lane `preview`, latest wins. */
  preview(request: EditRequest): Ticket<GeneratedImage> {
    return this.submit('edit', [request], { lane: 'preview' })
  }

  async ping(busyMs = 0): Promise<{ pid: number }> {
    return (await this.submit('ping', [busyMs]).result).value
  }

  loadModel(dir: string, options?: LoadModelOptions): Promise<LoadedModel> {
    return this.call('loadModel', dir, options)
  }
  modelInfo(): Promise<LoadedModel | null> {
    return this.call('modelInfo')
  }
  openImage(source: ImageSource): Promise<ImageInfo> {
    return this.call('openImage', source)
  }
  closeImage(imageId: string): Promise<void> {
    return this.call('closeImage', imageId)
  }
  getPixels(imageId: string, maxSize?: number): Promise<RawImage> {
    return this.call('getPixels', imageId, maxSize)
  }
  encode(request: EncodeRequest): Promise<StylemapInfo> {
    return this.call('encode', request)
  }
  interpolate(request: InterpolateRequest): Promise<EditStateInfo> {
    return this.call('interpolate', request)
  }
  generate(request: GenerateRequest): Promise<GeneratedImage> {
    return this.call('generate', request)
  }
  edit(request: EditRequest): Promise<GeneratedImage> {
    return this.call('edit', request)
  }
  reconstruct(stylemapId: string): Promise<GeneratedImage> {
    return this.call('reconstruct', stylemapId)
  }
  morph(request: MorphRequest): Promise<GeneratedImage> {
    return this.call('morph', request)
  }
  random(request: RandomRequest): Promise<GeneratedImage> {
    return this.call('random', request)
  }
  pasteBack(request: PasteBackRequest): Promise<ImageInfo> {
    return this.call('pasteBack', request)
  }
  pastePreview(request: PastePreviewRequest): Promise<RawImage> {
    return this.call('pastePreview', request)
  }
  exportImage(request: ExportRequest): Promise<ExportResult> {
    return this.call('exportImage', request)
  }

  /** Stops the engine process; pending requests fail with E_ENGINE_CLOSED. */
  async close(): Promise<void> {
    this.closed = true
    const channel = this.channel
    for (const lane of this.lanes.values()) {
      const w = lane.waiting
      lane.waiting = null
      if (w && !w.settled) {
        w.settled = true
        w.reject(new EngineError(engineErrorCodes.engineClosed, 'the engine was shut down'))
      }
    }
    if (!channel) return
    const exited = new Promise<void>((resolve) => channel.onExit(() => resolve()))
    channel.kill()
    await exited
  }
}

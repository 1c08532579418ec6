// A real app layer for tests: the real engine in this process, a temporary user-data
// folder, dialogs whose answers the test queues, and a log of every engine call.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EngineApi } from '../../engine/api'
import { Engine } from '../../engine/engine'
import type { Result } from '../../../src-shared/ipc'
import type { ChannelName, Channels } from '../../../src-shared/contract'
import type { RequestOf, ResponseOf } from '../../../src-shared/ipc'
import type { Dialogs, ImageFormat } from '../deps'
import { dispatch } from '../dispatch'
import { createApp, type App } from '../handlers'
import { createFileRecentStore } from '../recent'

type DialogKind = keyof Dialogs

/** Dialogs that answer from queues the test fills; an unexpected dialog fails the test. */
export class ScriptedDialogs implements Dialogs {
  private readonly queues = new Map<DialogKind, Array<string | null>>()
  private readonly confirmations: boolean[] = []
  readonly asked: Array<{ kind: DialogKind; suggestion?: string }> = []

  answer(kind: DialogKind, ...answers: Array<string | null>): this {
    this.queues.set(kind, [...(this.queues.get(kind) ?? []), ...answers])
    return this
  }

  /** Queue answers for confirmation dialogs; one not answered means the user did not confirm. */
  confirm(...answers: boolean[]): this {
    this.confirmations.push(...answers)
    return this
  }

  private next(kind: DialogKind, suggestion?: string): Promise<string | null> {
    this.asked.push({ kind, suggestion })
    const queue = this.queues.get(kind)
    if (!queue?.length) return Promise.reject(new Error(`test did not expect a ${kind} dialog`))
    return Promise.resolve(queue.shift() ?? null)
  }

  openImage = () => this.next('openImage')
  openProject = () => this.next('openProject')
  saveProject = (suggestedName: string) => this.next('saveProject', suggestedName)
  saveImage = (suggestedName: string, _format: ImageFormat) => this.next('saveImage', suggestedName)
  openModelFolder = () => this.next('openModelFolder')
  confirmOverwriteOriginal = (name: string) => {
    this.asked.push({ kind: 'confirmOverwriteOriginal', suggestion: name })
    return Promise.resolve(this.confirmations.shift() ?? false)
  }
}

/** Wraps an engine so every method call is logged by name. */
export function loggedEngine(engine: EngineApi): { engine: EngineApi; calls: string[] } {
  const calls: string[] = []
  const proxy = new Proxy(engine, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver)
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        calls.push(String(key))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { engine: proxy, calls }
}

export interface TestApp {
  app: App
  dialogs: ScriptedDialogs
  calls: string[]
  engine: Engine
  dir: string
  /** Call a channel as the renderer would (through dispatch). */
  call<K extends ChannelName>(name: K, request: RequestOf<Channels, K>): Promise<Result<ResponseOf<Channels, K>>>
  /** Like `call`, failing the test on an error result. */
  ok<K extends ChannelName>(name: K, request: RequestOf<Channels, K>): Promise<ResponseOf<Channels, K>>
  close(): Promise<void>
}

export async function makeTestApp(options: { dir?: string; modelsDir?: string; engine?: Engine } = {}): Promise<TestApp> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'stylemap-app-')))
  const engine = options.engine ?? new Engine()
  const logged = loggedEngine(engine)
  const dialogs = new ScriptedDialogs()
  const app = createApp({
    engine: logged.engine,
    dialogs,
    recent: createFileRecentStore(join(dir, 'user', 'recent.json')),
    userDataDir: join(dir, 'user'),
    bundledModelsDir: options.modelsDir ?? join(dir, 'no-models'),
    app: { name: 'Stylemap Studio', version: 'test' },
  })
  const call = (async (name: string, request: unknown) => dispatch(name, request, app.handlers)) as TestApp['call']
  const ok = (async (name: ChannelName, request: unknown) => {
    const result = await dispatch(name, request, app.handlers)
    if (!result.ok) throw new Error(`${name} failed: ${result.error.code} ${result.error.message}`)
    return result.value
  }) as TestApp['ok']
  return {
    app,
    dialogs,
    calls: logged.calls,
    engine,
    dir,
    call,
    ok,
    close: async () => {
      if (!options.engine) await engine.dispose()
      if (!options.dir) await rm(dir, { recursive: true, force: true })
    },
  }
}

// A real app layer for tests: the real engine (in this process, or in its own as in the app),
// a temporary user-data folder, dialogs whose answers the test queues, and a log of every
// engine call.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { EngineApi } from '../../engine/api'
import { EngineClient, type SpawnEngine } from '../../engine/client'
import { Engine } from '../../engine/engine'
import { forkEngine } from '../../engine/spawn'
import type { Result } from '../../../src-shared/ipc'
import type { ChannelName, Channels } from '../../../src-shared/contract'
import type { RequestOf, ResponseOf } from '../../../src-shared/ipc'
import type { AppDeps, Dialogs, ImageFormat } from '../deps'
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
  openCheckpoint = () => this.next('openCheckpoint')
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

/** What createApp needs in a test: user data in `dir`, models from `modelsDir`. */
function testDeps(engine: EngineApi, dialogs: Dialogs, dir: string, modelsDir: string): AppDeps {
  return {
    engine,
    dialogs,
    recent: createFileRecentStore(join(dir, 'user', 'recent.json')),
    userDataDir: join(dir, 'user'),
    bundledModelsDir: modelsDir,
    app: { name: 'Stylemap Studio', version: 'test' },
  }
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

export async function makeTestApp(options: { dir?: string; modelsDir?: string; engine?: Engine; deps?: Partial<AppDeps> } = {}): Promise<TestApp> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'stylemap-app-')))
  const engine = options.engine ?? new Engine()
  const logged = loggedEngine(engine)
  const dialogs = new ScriptedDialogs()
  const app = createApp({ ...testDeps(logged.engine, dialogs, dir, options.modelsDir ?? join(dir, 'no-models')), ...options.deps })
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

export interface ForkedTestApp {
  app: App
  /** The engine in its own process, as Electron main runs it. */
  client: EngineClient
  dialogs: ScriptedDialogs
  /** Call a channel as the renderer would (through dispatch). */
  call(name: ChannelName, request: unknown): Promise<Result<unknown>>
  /** Like `call`, failing the test on an error result. */
  ok<T>(name: ChannelName, request: unknown): Promise<T>
  close(): Promise<void>
}

/** The app layer over the engine in its own process; `spawn` can wrap the process (to count or kill). */
export async function makeForkedApp(options: { modelsDir: string; spawn?: SpawnEngine }): Promise<ForkedTestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'stylemap-forked-app-'))
  const client = new EngineClient(options.spawn ?? (() => forkEngine()))
  const dialogs = new ScriptedDialogs()
  const app = createApp(testDeps(client, dialogs, dir, options.modelsDir))
  const call = (name: ChannelName, request: unknown) => dispatch(name, request, app.handlers)
  return {
    app,
    client,
    dialogs,
    call,
    ok: async <T>(name: ChannelName, request: unknown) => {
      const result = await call(name, request)
      if (!result.ok) throw new Error(`${name} failed: ${result.error.code} ${result.error.message}`)
      return result.value as T
    },
    close: async () => {
      await client.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

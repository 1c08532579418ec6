// The e2e bridge: serves the built renderer and answers `window.stylemap` calls over HTTP
// with the SAME handlers and `dispatch` Electron main registers, on the real engine in its
// own process (child_process.fork). Only the native dialogs are stubbed: the test queues
// their answers. Every /__bridge and /__test request must carry the bridge's random per-run
// token (the page gets it from the init script), so no other page or local process can
// call the app while the tests run. Used by e2e/fixtures.ts; can also be run by hand:
//   npx tsx e2e/bridge/server.ts [--port 5177] [--model DIR]   (then open the printed URL
//   in Chromium with the init script from `buildInitScript(token)`, the token it prints)
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EngineClient } from '../../src-main/engine/client'
import { forkEngine } from '../../src-main/engine/spawn'
import type { Dialogs, DownloadDeps } from '../../src-main/app/deps'
import { dispatch } from '../../src-main/app/dispatch'
import { createApp, type App } from '../../src-main/app/handlers'
import { createFileRecentStore } from '../../src-main/app/recent'
import { events as eventSchemas, type EventName } from '../../src-shared/contract'
import { fromWire, toWire } from './wire'

export const repoRoot = resolve(fileURLToPath(new URL('../../', import.meta.url)))
export const defaultRendererDir = join(repoRoot, 'out', 'renderer')

type DialogKind = keyof Dialogs
type FileDialogKind = Exclude<DialogKind, 'confirmOverwriteOriginal'>

/** Dialog answers the test sets; an unanswered dialog behaves as if the user cancelled. */
export class StubDialogs implements Dialogs {
  private readonly queues = new Map<DialogKind, Array<string | null>>()
  private readonly confirmations: boolean[] = []
  /** Every dialog the app opened, in order, with the name it suggested. */
  readonly asked: Array<{ kind: DialogKind; suggestedName?: string }> = []

  answer(kind: FileDialogKind, ...answers: Array<string | null>): void {
    this.queues.set(kind, [...(this.queues.get(kind) ?? []), ...answers])
  }

  /** Queue answers for confirmation dialogs (true = confirmed). */
  confirm(...answers: boolean[]): void {
    this.confirmations.push(...answers)
  }

  clear(): void {
    this.queues.clear()
    this.confirmations.length = 0
    this.asked.length = 0
  }

  private next(kind: DialogKind, suggestedName?: string): Promise<string | null> {
    this.asked.push(suggestedName === undefined ? { kind } : { kind, suggestedName })
    return Promise.resolve(this.queues.get(kind)?.shift() ?? null)
  }

  openImage = () => this.next('openImage')
  openProject = () => this.next('openProject')
  saveProject = (suggestedName: string) => this.next('saveProject', suggestedName)
  saveImage = (suggestedName: string) => this.next('saveImage', suggestedName)
  openModelFolder = () => this.next('openModelFolder')
  openCheckpoint = () => this.next('openCheckpoint')
  confirmOverwriteOriginal = (name: string) => {
    this.asked.push({ kind: 'confirmOverwriteOriginal', suggestedName: name })
    return Promise.resolve(this.confirmations.shift() ?? false)
  }
}

export interface BridgeOptions {
  /** Model folder, or a folder of model folders (default: models/ of the repo). */
  modelsDir?: string
  rendererDir?: string
  /** User-data folder (autosave, recent files, imported models); default: a fresh temp folder removed on close. */
  userDataDir?: string
  port?: number
  /** Reuse an engine (one per Playwright worker); default: fork a new one, closed with the bridge. */
  engine?: EngineClient
  /** The token requests must carry (see bridgeTokenHeader); default: a new random one. */
  token?: string
  /** Model downloads: catalog entries from a local server, another importer. */
  downloads?: DownloadDeps
}

/** The header a bridge request carries its token in; the event stream, which cannot set headers, sends `?token=`. */
export const bridgeTokenHeader = 'x-stylemap-bridge-token'

/** A new random bridge token: 256 bits, hex. */
export function newBridgeToken(): string {
  return randomBytes(32).toString('hex')
}

export interface Bridge {
  url: string
  port: number
  /** What requests must carry; build the page's init script with it. */
  token: string
  dialogs: StubDialogs
  app: App
  engine: EngineClient
  userDataDir: string
  /** Push a main -> renderer event (e.g. a menu command) to every open page. */
  emit<K extends EventName>(event: K, payload: unknown): void
  close(): Promise<void>
}

const mimeTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
}

const maxBody = 512 * 1024 * 1024

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > maxBody) throw new Error('request body too large')
    chunks.push(chunk as Buffer)
  }
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : {}
}

function send(response: ServerResponse, status: number, body: string | Buffer, type = 'application/json'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' })
  response.end(body)
}

/** Start the bridge on localhost (a free port unless one is given). */
export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  const rendererDir = resolve(options.rendererDir ?? defaultRendererDir)
  const ownUserData = !options.userDataDir
  const userDataDir = options.userDataDir ?? (await mkdtemp(join(tmpdir(), 'stylemap-bridge-')))
  const ownEngine = !options.engine
  const engine = options.engine ?? new EngineClient(() => forkEngine())
  const dialogs = new StubDialogs()
  const token = options.token ?? newBridgeToken()
  if (token.length < 32) throw new Error('a bridge token needs at least 32 characters')
  const app = createApp({
    engine,
    dialogs,
    recent: createFileRecentStore(join(userDataDir, 'recent.json')),
    userDataDir,
    bundledModelsDir: options.modelsDir ?? join(repoRoot, 'models'),
    app: { name: 'Stylemap Studio', version: 'e2e' },
    emit: (event, payload) => emit(event, payload),
    downloads: options.downloads,
  })
  const streams = new Set<ServerResponse>()
  const unsubscribeCrash = engine.onCrash(({ code }) => {
    broadcast('engine:restarted', { reason: `the engine process stopped (exit ${code ?? 'signal'})` })
  })

  function broadcast(event: string, payload: unknown): void {
    const line = `data: ${JSON.stringify(toWire({ event, payload }))}\n\n`
    for (const stream of streams) stream.write(line)
  }

  async function serveFile(path: string, response: ServerResponse): Promise<void> {
    const relative = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '')
    const file = resolve(rendererDir, relative || 'index.html')
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return send(response, 403, 'forbidden', 'text/plain')
    try {
      const target = (await stat(file)).isDirectory() ? join(file, 'index.html') : file
      const body = await readFile(target)
      send(response, 200, body, mimeTypes[extname(target)] ?? 'application/octet-stream')
    } catch {
      send(response, 404, `not found: ${relative}`, 'text/plain')
    }
  }

  /** Whether the request carries this run's token (compared in constant time). */
  function authorised(request: IncomingMessage, url: URL): boolean {
    const header = request.headers[bridgeTokenHeader]
    const sent = Buffer.from((typeof header === 'string' ? header : url.searchParams.get('token')) ?? '')
    const expected = Buffer.from(token)
    return sent.length === expected.length && timingSafeEqual(sent, expected)
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const path = url.pathname
    // the renderer's files are public; every call into the app needs the token
    if ((path.startsWith('/__bridge/') || path.startsWith('/__test/')) && !authorised(request, url)) return send(response, 403, 'forbidden', 'text/plain')
    if (request.method === 'POST' && path.startsWith('/__bridge/ipc/')) {
      const channel = decodeURIComponent(path.slice('/__bridge/ipc/'.length))
      const body = (await readBody(request)) as { payload?: unknown }
      const result = await dispatch(channel, fromWire(body?.payload), app.handlers)
      return send(response, 200, JSON.stringify(toWire(result)))
    }
    if (request.method === 'GET' && path === '/__bridge/events') {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
      response.write(': connected\n\n')
      streams.add(response)
      request.on('close', () => streams.delete(response))
      return
    }
    // test controls (a page never calls these; the fixture does)
    if (request.method === 'POST' && path === '/__test/dialog') {
      const answers = (await readBody(request)) as Partial<Record<DialogKind, string | boolean | null>>
      for (const [kind, answer] of Object.entries(answers)) {
        if (kind === 'confirmOverwriteOriginal') dialogs.confirm(answer === true)
        else dialogs.answer(kind as FileDialogKind, typeof answer === 'string' ? answer : null)
      }
      return send(response, 200, '{}')
    }
    if (request.method === 'GET' && path === '/__test/dialogs') return send(response, 200, JSON.stringify(dialogs.asked))
    if (request.method === 'POST' && path === '/__test/emit') {
      const { event, payload } = (await readBody(request)) as { event: string; payload: unknown }
      emit(event as EventName, payload)
      return send(response, 200, '{}')
    }
    if (request.method === 'GET' || request.method === 'HEAD') return serveFile(path, response)
    send(response, 405, 'method not allowed', 'text/plain')
  }

  function emit<K extends EventName>(event: K, payload: unknown): void {
    // the same schema Electron main's sender would use: a test cannot push what main never could
    const schema = eventSchemas[event]
    if (!schema) throw new Error(`unknown event ${String(event)}`)
    broadcast(event, schema.parse(payload))
  }

  const server: Server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      if (!response.headersSent) send(response, 500, JSON.stringify({ error: String(error) }))
      else response.end()
    })
  })
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    token,
    dialogs,
    app,
    engine,
    userDataDir,
    emit,
    async close() {
      unsubscribeCrash()
      for (const stream of streams) stream.end()
      streams.clear()
      // close() waits for every open connection; end idle keep-alive ones first or it can hang
      const closed = new Promise<void>((done) => server.close(() => done()))
      server.closeAllConnections()
      await closed
      if (ownEngine) await engine.close()
      if (ownUserData) await rm(userDataDir, { recursive: true, force: true })
    },
  }
}

/** The page-side API (`window.stylemap` over a bridge with this token) as one script for `page.addInitScript`. */
export async function buildInitScript(token: string): Promise<string> {
  const { build } = await import('esbuild')
  const result = await build({
    entryPoints: [join(repoRoot, 'e2e', 'bridge', 'pageApi.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    write: false,
    logLevel: 'silent',
    define: { __STYLEMAP_BRIDGE_TOKEN__: JSON.stringify(token), __STYLEMAP_BRIDGE_TOKEN_HEADER__: JSON.stringify(bridgeTokenHeader) },
  })
  return result.outputFiles[0].text
}

// run by hand: npx tsx e2e/bridge/server.ts [--port N] [--model DIR]
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name)
    return i > 0 ? process.argv[i + 1] : undefined
  }
  const bridge = await startBridge({ port: Number(arg('--port') ?? 5177), modelsDir: arg('--model') })
  console.log(`bridge on ${bridge.url} (renderer from ${defaultRendererDir}), token ${bridge.token}`)
  process.on('SIGINT', () => void bridge.close().then(() => process.exit(0)))
}

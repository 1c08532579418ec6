// Ways to start the engine process. Electron main passes `utilityProcess.fork` through
// `utilityProcessChannel`; Node (tests, harnesses) uses `forkEngine`, which runs host.ts via tsx.
import { fork } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { EngineChannel } from './client.js'
import type { FromHost, ToHost } from './protocol.js'

export interface ForkEngineOptions {
  /** Host entry; default: host.ts beside this file (run through tsx) or host.js when built. */
  hostPath?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Node flags for a child process running `entry`: a .ts entry loads tsx, named by its own
 * address (the CLI may run in any folder, where a bare 'tsx' would not resolve); a built .js needs none.
 */
export function childExecArgv(entry: string): string[] {
  return entry.endsWith('.ts') ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : []
}

/** Starts the engine host with child_process.fork (structured-clone serialization, so typed arrays travel as they are). */
export function forkEngine(options: ForkEngineOptions = {}): EngineChannel {
  const self = fileURLToPath(import.meta.url)
  const hostPath = options.hostPath ?? self.replace(/spawn\.(ts|js|mjs)$/, (_m, ext: string) => `host.${ext}`)
  const child = fork(hostPath, [], { execArgv: childExecArgv(hostPath), serialization: 'advanced', env: options.env ?? process.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exitListeners: ((code: number | null) => void)[] = []
  let exited = false
  let exitCode: number | null = null
  child.on('exit', (code) => {
    exited = true
    exitCode = code
    for (const l of exitListeners) l(code)
  })
  child.on('error', () => {
    // spawn failures surface as an exit; the client reports E_ENGINE_CRASHED
  })
  return {
    pid: child.pid,
    send(message: ToHost) {
      if (child.connected) child.send(message)
    },
    onMessage(listener: (message: FromHost) => void) {
      child.on('message', (m) => listener(m as FromHost))
    },
    onExit(listener) {
      if (exited) listener(exitCode)
      else exitListeners.push(listener)
    },
    kill() {
      if (!exited) child.kill()
    },
  }
}

/** The parts of Electron's UtilityProcess the engine needs (structural, so this file does not import electron). */
export interface UtilityProcessLike {
  readonly pid?: number | undefined
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  kill(): boolean
}

/** Adapts an Electron UtilityProcess (from `utilityProcess.fork(hostJs)`) to an EngineChannel. */
export function utilityProcessChannel(proc: UtilityProcessLike): EngineChannel {
  const exitListeners: ((code: number | null) => void)[] = []
  let exited = false
  let exitCode: number | null = null
  proc.on('exit', (code: number) => {
    exited = true
    exitCode = code
    for (const l of exitListeners) l(code)
  })
  return {
    get pid() {
      return proc.pid
    },
    send(message: ToHost) {
      if (!exited) proc.postMessage(message)
    },
    onMessage(listener: (message: FromHost) => void) {
      proc.on('message', (m: unknown) => listener(m as FromHost))
    },
    onExit(listener) {
      if (exited) listener(exitCode)
      else exitListeners.push(listener)
    },
    kill() {
      if (!exited) proc.kill()
    },
  }
}

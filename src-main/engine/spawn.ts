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

/** A child process that takes messages of type `In` and sends `Out`, whatever started it. */
export interface ChildChannel<In, Out> {
  send(message: In): void
  onMessage(listener: (message: Out) => void): void
  /** Called once when the process ends, for any reason (null: ended by a signal, or never started). */
  onExit(listener: (code: number | null) => void): void
  kill(): void
  readonly pid?: number
}

/** Exit bookkeeping both kinds of child share: listeners added after the end are called at once. */
function exitTracker() {
  let exited = false
  let exitCode: number | null = null
  const listeners: ((code: number | null) => void)[] = []
  return {
    get exited() {
      return exited
    },
    ended(code: number | null) {
      if (exited) return
      exited = true
      exitCode = code
      for (const l of listeners) l(code)
    },
    onExit(listener: (code: number | null) => void) {
      if (exited) listener(exitCode)
      else listeners.push(listener)
    },
  }
}

/**
 * glibc malloc settings for the engine's process. By default glibc raises its mmap threshold
 * to the size of the largest block freed so far (up to 32 MiB), so once onnxruntime frees the
 * weights it read from the external-data file (it keeps its own re-laid-out copies), later
 * weight-sized blocks come from the heap, whose freed holes stay resident. A fixed threshold
 * keeps every block from 4 MiB up in a mapping of its own, given back when freed. 256 px model
 * (595 MB of weights in the five graphs): sessions 952 -> 626 MB RSS; the session bench's peak
 * 1879-1914 -> 1835 MB in process (7 edits), modulation runs on edit windows as fast (1 MiB:
 * 605 MB loaded but those runs ~30 ms slower, every intermediate mapped afresh). Values the
 * caller's environment already has are kept.
 */
export const engineMallocEnv: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: String(4 << 20) }

/** `env` with the engine's malloc settings added (for child_process.fork and Electron's utilityProcess.fork). */
export function engineEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...engineMallocEnv, ...env }
}

/** Node: child_process.fork of `entry` (a .ts through tsx), structured-clone serialization so typed arrays travel as they are. */
export function forkChild<In, Out>(entry: string, env: NodeJS.ProcessEnv = process.env): ChildChannel<In, Out> {
  const child = fork(entry, [], { execArgv: childExecArgv(entry), serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exit = exitTracker()
  child.on('exit', (code) => exit.ended(code))
  child.on('error', () => {
    // a process that never started may not report an exit
    if (child.pid === undefined) exit.ended(null)
  })
  return {
    pid: child.pid,
    send(message: In) {
      if (child.connected) child.send(message as never)
    },
    onMessage(listener: (message: Out) => void) {
      child.on('message', (m) => listener(m as Out))
    },
    onExit: exit.onExit,
    kill() {
      if (!exit.exited) child.kill()
    },
  }
}

/** Starts the engine host with child_process.fork. */
export function forkEngine(options: ForkEngineOptions = {}): EngineChannel {
  const self = fileURLToPath(import.meta.url)
  const hostPath = options.hostPath ?? self.replace(/spawn\.(ts|js|mjs)$/, (_m, ext: string) => `host.${ext}`)
  return forkChild<ToHost, FromHost>(hostPath, engineEnv(options.env))
}

/** The parts of Electron's UtilityProcess a child needs (structural, so this file does not import electron). */
export interface UtilityProcessLike {
  readonly pid?: number | undefined
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  kill(): boolean
}

/** Adapts an Electron UtilityProcess (`utilityProcess.fork(script)`); it reports no signal: a killed one ends with a non-zero code. */
export function utilityChild<In, Out>(proc: UtilityProcessLike): ChildChannel<In, Out> {
  const exit = exitTracker()
  proc.on('exit', (code: number) => exit.ended(code))
  return {
    get pid() {
      return proc.pid
    },
    send(message: In) {
      if (!exit.exited) proc.postMessage(message)
    },
    onMessage(listener: (message: Out) => void) {
      proc.on('message', (m: unknown) => listener(m as Out))
    },
    onExit: exit.onExit,
    kill() {
      if (!exit.exited) proc.kill()
    },
  }
}

/** Adapts an Electron UtilityProcess running the engine host (`utilityProcess.fork(hostJs)`) to an EngineChannel. */
export function utilityProcessChannel(proc: UtilityProcessLike): EngineChannel {
  return utilityChild<ToHost, FromHost>(proc)
}

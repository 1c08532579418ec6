// Prompt collection of the engine's large temporaries.
//
// A 256 px edit leaves about 110 MB of typed arrays behind: the changed windows' styles, their
// fresh gamma and beta, the values swapped out of the kept ones. V8 schedules its collections by
// the JavaScript heap, which stays near 12 MB in the engine process, and lets the memory of
// typed arrays grow well past that before it collects for them, so those buffers stayed
// resident through the next edits: the session bench's peak RSS crept up edit by edit. A full
// collection costs about 4 ms with so small a heap and, as the engine's large blocks are mapped
// on their own (spawn.ts engineMallocEnv), gives their memory back at once. How many bytes are
// garbage cannot be read cheaply (process.memoryUsage() counts buffers until V8 sweeps them),
// so the engine collects after every render long enough that 4 ms is little beside it, and at
// once after a step that leaves a large block behind inside one (a whole reference pyramid cut
// down, 62 MB at 256 px), before the next step adds its own.

import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Renders at least this long (ms) are followed by a full collection. */
export const COLLECT_AFTER_MS = 100

let exposed: (() => void) | null | undefined

/** V8's full garbage collection, exposed on first use; null where the runtime does not allow it. */
export function fullCollection(): (() => void) | null {
  if (exposed === undefined) {
    try {
      // the flag applies to contexts created after it: a new one hands out its `gc`
      setFlagsFromString('--expose-gc')
      const gc: unknown = runInNewContext('gc')
      exposed = typeof gc === 'function' ? (gc as () => void) : null
    } catch {
      exposed = null
    }
  }
  return exposed
}

/**
 * Follows a piece of work (a render) of at least `minMs` with a full collection, on the next turn
 * of the event loop so that the work's answer goes out first; one at a time.
 */
export class GarbageCollector {
  #scheduled = false

  constructor(
    private readonly collect: (() => void) | null = fullCollection(),
    private readonly minMs = COLLECT_AFTER_MS,
  ) {}

  /** A full collection now: after a step that left a large block behind, before the next adds its own. */
  now(): void {
    this.collect?.()
  }

  afterWork(ms: number): void {
    if (!this.collect || this.#scheduled || !(ms >= this.minMs)) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.collect?.()
    })
  }
}

// Undo/redo over deltas. The history never looks inside a delta: the owner applies it in
// either direction, reports its size in bytes, and may merge consecutive ones.

export type Direction = 'undo' | 'redo'

export interface HistoryStep<D> {
  label: string
  delta: D
  bytes: number
  /**
   * Steps with the same key pushed within mergeWindowMs fold into one. A key starting with
   * `gesture:` names one pointer gesture and folds however slowly the gesture goes.
   */
  mergeKey?: string
  at: number
}

export interface HistoryOptions<D> {
  apply: (delta: D, direction: Direction) => void
  /** fold `newer` into `older` (same mergeKey); returns the combined delta */
  merge?: (older: D, newer: D) => D
  maxSteps?: number
  maxBytes?: number
  mergeWindowMs?: number
  now?: () => number
}

export interface HistoryInfo {
  canUndo: boolean
  canRedo: boolean
  undoLabel: string | null
  redoLabel: string | null
  steps: number
  bytes: number
}

/** A bounded undo stack whose steps are deltas (never whole-document snapshots). */
export class History<D> {
  private readonly done: HistoryStep<D>[] = []
  private readonly undone: HistoryStep<D>[] = []
  private totalBytes = 0
  private readonly listeners = new Set<() => void>()
  private readonly options: Required<Omit<HistoryOptions<D>, 'merge'>> & Pick<HistoryOptions<D>, 'merge'>

  constructor(options: HistoryOptions<D>) {
    this.options = {
      maxSteps: 500,
      maxBytes: 256 * 1024 * 1024,
      mergeWindowMs: 1000,
      now: () => Date.now(),
      ...options,
    }
  }

  /** Record a change that has already been applied to the document. */
  push(label: string, delta: D, bytes: number, mergeKey?: string): void {
    for (const step of this.undone) this.totalBytes -= step.bytes
    this.undone.length = 0
    const now = this.options.now()
    const top = this.done[this.done.length - 1]
    if (
      mergeKey !== undefined &&
      this.options.merge &&
      top?.mergeKey === mergeKey &&
      (mergeKey.startsWith('gesture:') || now - top.at <= this.options.mergeWindowMs)
    ) {
      this.totalBytes -= top.bytes
      top.delta = this.options.merge(top.delta, delta)
      top.bytes = Math.max(top.bytes, bytes)
      top.at = now
      this.totalBytes += top.bytes
    } else {
      this.done.push({ label, delta, bytes, mergeKey, at: now })
      this.totalBytes += bytes
    }
    this.trim()
    this.emit()
  }

  undo(): boolean {
    const step = this.done.pop()
    if (!step) return false
    this.applyMoving(step, 'undo', this.done, this.undone)
    // a step that was undone never merges with what comes next
    step.mergeKey = undefined
    this.emit()
    return true
  }

  redo(): boolean {
    const step = this.undone.pop()
    if (!step) return false
    this.applyMoving(step, 'redo', this.undone, this.done)
    this.emit()
    return true
  }

  /** Stop the top step from merging with the next push (end of a gesture). */
  seal(): void {
    const top = this.done[this.done.length - 1]
    if (top) top.mergeKey = undefined
  }

  clear(): void {
    this.done.length = 0
    this.undone.length = 0
    this.totalBytes = 0
    this.emit()
  }

  info(): HistoryInfo {
    return {
      canUndo: this.done.length > 0,
      canRedo: this.undone.length > 0,
      undoLabel: this.done[this.done.length - 1]?.label ?? null,
      redoLabel: this.undone[this.undone.length - 1]?.label ?? null,
      steps: this.done.length + this.undone.length,
      bytes: this.totalBytes,
    }
  }

  /** The deltas of every step that undo or redo can still reach, oldest first. */
  deltas(): D[] {
    return [...this.done, ...this.undone.slice().reverse()].map((step) => step.delta)
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  // The step is already on the stack it moves to while it is applied: listeners of the
  // document then see a history that still holds it (a reference being undone keeps its image).
  private applyMoving(step: HistoryStep<D>, direction: Direction, from: HistoryStep<D>[], to: HistoryStep<D>[]): void {
    to.push(step)
    try {
      this.options.apply(step.delta, direction)
    } catch (error) {
      to.pop()
      from.push(step)
      throw error
    }
  }

  private trim(): void {
    // drop the oldest steps first; always keep the newest one even if it alone is too big
    while (this.done.length > 1 && (this.done.length > this.options.maxSteps || this.totalBytes > this.options.maxBytes)) {
      const oldest = this.done.shift()!
      this.totalBytes -= oldest.bytes
    }
  }

  private emit(): void {
    for (const l of this.listeners) l()
  }
}

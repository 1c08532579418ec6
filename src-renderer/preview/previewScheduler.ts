// Live preview requests: at most one in flight and one waiting (the newest); every result
// carries its sequence number and one older than what is shown is dropped.

export interface PreviewOutcome<R> {
  seq: number
  result: R
}

export interface PreviewSchedulerOptions<Q, R> {
  /** the first sequence number handed out (default 1) */
  firstSeq?: number
  /** run one request; resolves to null when the engine reports it superseded/canceled */
  run: (seq: number, request: Q) => Promise<R | null>
  /** a result newer than any shown so far */
  onResult: (outcome: PreviewOutcome<R>) => void
  onError: (seq: number, error: unknown) => void
  onBusyChange: (busy: boolean) => void
}

export class PreviewScheduler<Q, R> {
  private nextSeq: number
  private shownSeq: number
  private inFlight = false
  private waiting: { seq: number; make: () => Q | null } | null = null

  constructor(private readonly options: PreviewSchedulerOptions<Q, R>) {
    this.nextSeq = options.firstSeq ?? 1
    this.shownSeq = this.nextSeq - 1
  }

  /**
   * Queue a render; returns its sequence number. A function is called only when the request
   * actually starts (building a request can be costly; most are replaced before they run).
   * It may return null to skip the render.
   */
  request(request: Q | (() => Q | null)): number {
    const seq = this.nextSeq++
    const make = typeof request === 'function' ? (request as () => Q | null) : () => request
    // latest wins: an older waiting request is simply replaced
    this.waiting = { seq, make }
    if (!this.inFlight) void this.pump()
    else this.options.onBusyChange(true)
    return seq
  }

  /** Forget the waiting request and ignore whatever is in flight. */
  invalidate(): void {
    this.waiting = null
    this.shownSeq = this.nextSeq++
  }

  get busy(): boolean {
    return this.inFlight || this.waiting !== null
  }

  private async pump(): Promise<void> {
    this.options.onBusyChange(true)
    while (this.waiting) {
      const { seq, make } = this.waiting
      this.waiting = null
      this.inFlight = true
      try {
        const request = make()
        if (request === null) continue
        const result = await this.options.run(seq, request)
        if (result !== null && seq > this.shownSeq) {
          this.shownSeq = seq
          this.options.onResult({ seq, result })
        }
      } catch (error) {
        if (seq > this.shownSeq) this.options.onError(seq, error)
      } finally {
        this.inFlight = false
      }
    }
    this.options.onBusyChange(false)
  }
}

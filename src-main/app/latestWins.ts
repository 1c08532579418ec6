// Live-preview scheduling: one render runs at a time, and of the requests that arrive
// meanwhile only the newest waits; the others answer "superseded" at once. A request
// older than one already started is stale and superseded too, so a late frame never
// replaces a newer one. Cancel drops the waiting one and discards the running one's result.
export type Outcome<T> = { status: 'rendered'; value: T } | { status: 'superseded' | 'canceled' }

interface Waiting<T> {
  seq: number
  run: () => Promise<T>
  resolve: (outcome: Outcome<T>) => void
  reject: (error: unknown) => void
}

export class LatestWins<T> {
  private running: { seq: number; canceled: boolean } | null = null
  private waiting: Waiting<T> | null = null
  private newestStarted = -Infinity

  submit(seq: number, run: () => Promise<T>): Promise<Outcome<T>> {
    return new Promise<Outcome<T>>((resolve, reject) => {
      if (seq < this.newestStarted || (this.waiting && seq < this.waiting.seq)) {
        resolve({ status: 'superseded' })
        return
      }
      this.waiting?.resolve({ status: 'superseded' })
      this.waiting = { seq, run, resolve, reject }
      this.pump()
    })
  }

  /** Cancel the waiting and the running request; returns how many were cancelled. */
  cancel(): number {
    let count = 0
    if (this.waiting) {
      this.waiting.resolve({ status: 'canceled' })
      this.waiting = null
      count++
    }
    if (this.running && !this.running.canceled) {
      this.running.canceled = true
      count++
    }
    return count
  }

  get busy(): boolean {
    return this.running !== null
  }

  private pump(): void {
    if (this.running || !this.waiting) return
    const job = this.waiting
    this.waiting = null
    const state = { seq: job.seq, canceled: false }
    this.running = state
    this.newestStarted = Math.max(this.newestStarted, job.seq)
    job
      .run()
      .then(
        (value) => job.resolve(state.canceled ? { status: 'canceled' } : { status: 'rendered', value }),
        (error) => (state.canceled ? job.resolve({ status: 'canceled' }) : job.reject(error)),
      )
      .finally(() => {
        this.running = null
        this.pump()
      })
  }
}

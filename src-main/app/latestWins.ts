// Live-preview scheduling in main: one render runs at a time, and of the requests that arrive
// meanwhile only the newest waits; the others answer "superseded" at once. A request older
// than one already started is stale and superseded too, so a late frame never replaces a
// newer one. (The renderer's PreviewScheduler does the same on its side of the IPC.)
export type Outcome<T> = { status: 'rendered'; value: T } | { status: 'superseded' }

interface Waiting {
  seq: number
  start: () => Promise<void>
  supersede: () => void
}

export class LatestWins {
  private running = false
  private waiting: Waiting | null = null
  private newestStarted = -Infinity

  submit<T>(seq: number, run: () => Promise<T>): Promise<Outcome<T>> {
    return new Promise<Outcome<T>>((resolve, reject) => {
      if (seq < this.newestStarted || (this.waiting && seq < this.waiting.seq)) {
        resolve({ status: 'superseded' })
        return
      }
      this.waiting?.supersede()
      this.waiting = {
        seq,
        start: () => run().then((value) => resolve({ status: 'rendered', value }), reject),
        supersede: () => resolve({ status: 'superseded' }),
      }
      this.pump()
    })
  }

  get busy(): boolean {
    return this.running
  }

  private pump(): void {
    if (this.running || !this.waiting) return
    const job = this.waiting
    this.waiting = null
    this.running = true
    this.newestStarted = Math.max(this.newestStarted, job.seq)
    void job.start().finally(() => {
      this.running = false
      this.pump()
    })
  }
}

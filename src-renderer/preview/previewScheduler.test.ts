import { describe, expect, it } from 'vitest'
import { PreviewScheduler } from './previewScheduler'

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

function setup(firstSeq?: number) {
  const runs: { seq: number; request: string; done: ReturnType<typeof deferred<string | null>> }[] = []
  const shown: number[] = []
  const errors: number[] = []
  const busy: boolean[] = []
  const scheduler = new PreviewScheduler<string, string>({
    firstSeq,
    run: (seq, request) => {
      const done = deferred<string | null>()
      runs.push({ seq, request, done })
      return done.promise
    },
    onResult: ({ seq }) => shown.push(seq),
    onError: (seq) => errors.push(seq),
    onBusyChange: (b) => busy.push(b),
  })
  const flush = () => new Promise((r) => setTimeout(r, 0))
  return { scheduler, runs, shown, errors, busy, flush }
}

describe('PreviewScheduler', () => {
  it('keeps one request in flight and only the newest waiting', async () => {
    const { scheduler, runs, shown, flush } = setup()
    scheduler.request('a')
    scheduler.request('b')
    scheduler.request('c')
    scheduler.request('d')
    expect(runs.map((r) => r.request)).toEqual(['a'])
    runs[0].done.resolve('A')
    await flush()
    // b and c were replaced by d before they ever ran
    expect(runs.map((r) => r.request)).toEqual(['a', 'd'])
    runs[1].done.resolve('D')
    await flush()
    expect(shown).toEqual([1, 4])
    expect(scheduler.busy).toBe(false)
  })

  it('a superseded answer shows nothing and the busy flag ends false', async () => {
    const { scheduler, runs, shown, busy, flush } = setup()
    scheduler.request('a')
    runs[0].done.resolve(null)
    await flush()
    expect(shown).toEqual([])
    expect(busy[0]).toBe(true)
    expect(busy[busy.length - 1]).toBe(false)
  })

  it('never shows a result older than the newest shown or invalidated', async () => {
    const { scheduler, runs, shown, errors, flush } = setup()
    scheduler.request('a')
    scheduler.invalidate()
    runs[0].done.resolve('A')
    await flush()
    expect(shown).toEqual([])
    scheduler.request('b')
    runs[1].done.reject(new Error('boom'))
    await flush()
    expect(errors).toEqual([3])
    scheduler.request('c')
    runs[2].done.resolve('C')
    await flush()
    expect(shown).toEqual([4])
  })

  it('numbers from a given first sequence (a reloaded page stays newer)', async () => {
    const { scheduler, runs, shown, flush } = setup(1_000_000)
    expect(scheduler.request('a')).toBe(1_000_000)
    runs[0].done.resolve('A')
    await flush()
    expect(shown).toEqual([1_000_000])
  })

  it('builds a request only when it starts, and skips one built as null', async () => {
    const { scheduler, runs, flush } = setup()
    let built = 0
    scheduler.request(() => (built++, 'a'))
    scheduler.request(() => (built++, 'b'))
    scheduler.request(() => (built++, 'c'))
    expect(built).toBe(1)
    runs[0].done.resolve('A')
    await flush()
    expect(built).toBe(2)
    expect(runs.map((r) => r.request)).toEqual(['a', 'c'])
    runs[1].done.resolve('C')
    await flush()
    scheduler.request(() => null)
    await flush()
    expect(runs).toHaveLength(2)
    expect(scheduler.busy).toBe(false)
  })
})

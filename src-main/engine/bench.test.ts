// The bench's timing loop: what runs before the timed calls, in which order.
import { describe, expect, it } from 'vitest'
import { MAX_TIMED_RUNS, MAX_WARM_UP_RUNS, timed, TIMED_MS, WARM_UP_MS } from './bench.js'

describe('timed', () => {
  it('warms up with the first calls in order, repeated while quick, so the timed calls follow the same call as after a short warm-up', async () => {
    const calls: number[] = []
    await timed(3, 3, async (i) => {
      calls.push(i)
    })
    // quick calls: timed up to the cap, numbered on from the warm-up
    const timedCalls = calls.filter((i) => i >= 3)
    expect(timedCalls).toEqual(Array.from({ length: MAX_TIMED_RUNS }, (_, k) => 3 + k))
    const warm = calls.slice(0, -MAX_TIMED_RUNS)
    // warmed up to about the cap, and not stopped halfway through a cycle
    expect(warm.length).toBeGreaterThan(3)
    expect(warm.length).toBeLessThan(MAX_WARM_UP_RUNS + 3)
    expect(warm.length % 3).toBe(0)
    expect(warm.every((i, n) => i === n % 3)).toBe(true)
  })

  it('times slow calls `runs` times, and quick ones until they took TIMED_MS together', async () => {
    const calls: number[] = []
    await timed(2, 0, async (i) => {
      calls.push(i)
      await new Promise((resolve) => setTimeout(resolve, TIMED_MS / 2 + 20))
    })
    expect(calls).toEqual([0, 1])
    let n = 0
    const started = performance.now()
    await timed(2, 0, async () => {
      n++
      await new Promise((resolve) => setTimeout(resolve, 40))
    })
    // about TIMED_MS / 40 calls: more than `runs`, fewer than the cap
    expect(n).toBeGreaterThan(10)
    expect(n).toBeLessThan(MAX_TIMED_RUNS)
    expect(performance.now() - started).toBeGreaterThanOrEqual(TIMED_MS)
  })

  it('keeps to the warm-up count where the calls take longer than WARM_UP_MS together, and warms up none when asked for none', async () => {
    const slow: number[] = []
    await timed(1, 2, async (i) => {
      slow.push(i)
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS / 2 + 20))
    })
    // two warm-up calls (past WARM_UP_MS), then timed ones until past TIMED_MS: two of them
    expect(slow).toEqual([0, 1, 2, 3])
    const none: number[] = []
    await timed(2, 0, async (i) => {
      none.push(i)
    })
    expect(none.slice(0, 3)).toEqual([0, 1, 2])
    expect(none).toHaveLength(MAX_TIMED_RUNS)
  })
})

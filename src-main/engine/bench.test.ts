// The bench's timing loop: what runs before the timed calls, in which order.
import { describe, expect, it } from 'vitest'
import { MAX_WARM_UP_RUNS, timed, WARM_UP_MS } from './bench.js'

describe('timed', () => {
  it('warms up with the first calls in order, repeated while quick, so the timed calls follow the same call as after a short warm-up', async () => {
    const calls: number[] = []
    await timed(3, 3, async (i) => {
      calls.push(i)
    })
    const warm = calls.slice(0, -3)
    // quick calls: warmed up to about the cap, and not stopped halfway through a cycle
    expect(warm.length).toBeGreaterThan(3)
    expect(warm.length).toBeLessThan(MAX_WARM_UP_RUNS + 3)
    expect(warm.length % 3).toBe(0)
    expect(warm.every((i, n) => i === n % 3)).toBe(true)
    expect(calls.slice(-3)).toEqual([3, 4, 5])
  })

  it('keeps to the warm-up count where the calls take longer than WARM_UP_MS together, and warms up none when asked for none', async () => {
    const slow: number[] = []
    await timed(1, 2, async (i) => {
      slow.push(i)
      await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS / 2 + 20))
    })
    expect(slow).toEqual([0, 1, 2])
    const none: number[] = []
    await timed(2, 0, async (i) => {
      none.push(i)
    })
    expect(none).toEqual([0, 1])
  })
})

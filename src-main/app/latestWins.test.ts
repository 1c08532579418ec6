import { describe, expect, it } from 'vitest'
import { LatestWins } from './latestWins'

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, opened }
}

describe('LatestWins', () => {
  it('runs one at a time; of those that wait only the newest runs', async () => {
    const lane = new LatestWins()
    const ran: number[] = []
    const first = gate()
    const job = (seq: number, wait?: Promise<void>) => lane.submit(seq, async () => {
      ran.push(seq)
      await wait
      return seq * 10
    })
    const p1 = job(1, first.opened)
    const p2 = job(2)
    const p3 = job(3)
    const p4 = job(4)
    expect(await p2).toEqual({ status: 'superseded' })
    expect(await p3).toEqual({ status: 'superseded' })
    first.open()
    expect(await p1).toEqual({ status: 'rendered', value: 10 })
    expect(await p4).toEqual({ status: 'rendered', value: 40 })
    expect(ran).toEqual([1, 4])
  })

  it('never lets an older request run after a newer one started', async () => {
    const lane = new LatestWins()
    expect(await lane.submit(5, async () => 5)).toEqual({ status: 'rendered', value: 5 })
    expect(await lane.submit(3, async () => 3)).toEqual({ status: 'superseded' })
  })

  it('passes a failure of the running request on', async () => {
    const lane = new LatestWins()
    await expect(lane.submit(1, async () => Promise.reject(Object.assign(new Error('bad'), { code: 'E_INFERENCE' })))).rejects.toMatchObject({ code: 'E_INFERENCE' })
    expect(lane.busy).toBe(false)
  })
})

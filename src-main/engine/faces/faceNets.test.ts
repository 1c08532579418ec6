import { describe, expect, it } from 'vitest'
import { faceNets, quietly } from './faceNets.js'

describe('the console while the face nets load', () => {
  it('stays muted while overlapping quiet calls run, and has its own methods back when the last ends, whichever ends first', async () => {
    const own = { log: console.log, warn: console.warn, info: console.info }
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const release: (() => void)[] = []
      const runs = [0, 1].map(() => quietly(() => new Promise<void>((done) => release.push(done))))
      expect(console.log).not.toBe(own.log)
      release[order[0]]()
      await runs[order[0]]
      // the other still runs: still muted
      expect(console.log).not.toBe(own.log)
      expect(console.warn).not.toBe(own.warn)
      release[order[1]]()
      await runs[order[1]]
      expect({ log: console.log, warn: console.warn, info: console.info }).toEqual(own)
    }
  })

  it('a failing quiet call gives the console back too', async () => {
    const own = console.log
    await expect(quietly(() => Promise.reject(new Error('no weights')))).rejects.toThrow('no weights')
    expect(console.log).toBe(own)
  })

  it('after the detector and landmark nets load side by side, the console writes again', async () => {
    const own = { log: console.log, warn: console.warn, info: console.info }
    await faceNets()
    expect({ log: console.log, warn: console.warn, info: console.info }).toEqual(own)
  })
})

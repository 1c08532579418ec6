import { describe, expect, it } from 'vitest'
import { ActionManager, type ActionTable } from './actionManager'
import { CodedError } from '../engine/api'

interface Payloads {
  add: { n: number }
  reset: void
  fail: void
}

describe('ActionManager', () => {
  it('dispatches typed payloads and turns failures into coded errors', async () => {
    const ctx = { total: 0 }
    const errors: { code: string; message: string }[] = []
    const table: ActionTable<typeof ctx, Payloads> = {
      add: { label: 'Add', perform: (c, p) => void (c.total += p.n) },
      reset: { label: 'Reset', perform: (c) => void (c.total = 0) },
      fail: {
        label: 'Fail',
        perform: async () => {
          throw new CodedError('E_IMAGE_DECODE', 'not an image')
        },
      },
    }
    const actions = new ActionManager(ctx, table, (e) => errors.push(e))
    await actions.dispatch('add', { n: 2 })
    await actions.dispatch('add', { n: 5 })
    expect(ctx.total).toBe(7)
    await actions.dispatch('reset')
    expect(ctx.total).toBe(0)
    await actions.dispatch('fail')
    expect(errors).toEqual([{ code: 'E_IMAGE_DECODE', message: 'not an image' }])
    expect(actions.recent()).toEqual(['add', 'add', 'reset', 'fail'])
  })
})

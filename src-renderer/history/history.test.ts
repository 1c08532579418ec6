import { describe, expect, it } from 'vitest'
import { History } from './history'

interface SetDelta {
  key: string
  before: number
  after: number
}

function setup(opts: { maxSteps?: number; maxBytes?: number } = {}) {
  const state: Record<string, number> = { a: 0, b: 0 }
  let clock = 0
  const history = new History<SetDelta>({
    apply: (d, dir) => {
      state[d.key] = dir === 'undo' ? d.before : d.after
    },
    merge: (older, newer) => ({ key: older.key, before: older.before, after: newer.after }),
    now: () => clock,
    ...opts,
  })
  const set = (key: string, value: number, mergeKey?: string, bytes = 8) => {
    const before = state[key]
    state[key] = value
    history.push(`set ${key}`, { key, before, after: value }, bytes, mergeKey)
  }
  return { state, history, set, tick: (ms: number) => (clock += ms) }
}

describe('History', () => {
  it('undoes and redoes in order', () => {
    const { state, history, set } = setup()
    set('a', 1)
    set('a', 2)
    set('b', 5)
    expect(history.undo()).toBe(true)
    expect(state).toEqual({ a: 2, b: 0 })
    history.undo()
    expect(state).toEqual({ a: 1, b: 0 })
    history.redo()
    history.redo()
    expect(state).toEqual({ a: 2, b: 5 })
    expect(history.redo()).toBe(false)
    history.undo()
    history.undo()
    history.undo()
    expect(state).toEqual({ a: 0, b: 0 })
    expect(history.undo()).toBe(false)
  })

  it('a new change drops the redo branch', () => {
    const { state, history, set } = setup()
    set('a', 1)
    set('a', 2)
    history.undo()
    set('b', 3)
    expect(history.info().canRedo).toBe(false)
    history.undo()
    history.undo()
    expect(state).toEqual({ a: 0, b: 0 })
  })

  it('merges a gesture (same key, within the window) into one step', () => {
    const { state, history, set, tick } = setup()
    for (let v = 1; v <= 10; v++) {
      set('a', v, 'slider:a')
      tick(50)
    }
    expect(history.info().steps).toBe(1)
    history.undo()
    expect(state.a).toBe(0)
    history.redo()
    expect(state.a).toBe(10)
  })

  it('does not merge after the window, after seal, or across undo', () => {
    const { history, set, tick } = setup()
    set('a', 1, 'k')
    tick(5000)
    set('a', 2, 'k')
    expect(history.info().steps).toBe(2)
    history.seal()
    set('a', 3, 'k')
    expect(history.info().steps).toBe(3)
    history.undo()
    set('a', 4, 'k')
    expect(history.info().steps).toBe(3)
  })

  it('a gesture key folds however slow the gesture is', () => {
    const { state, history, set, tick } = setup()
    set('a', 1, 'gesture:drag:1')
    tick(5000)
    set('a', 2, 'gesture:drag:1')
    expect(history.info().steps).toBe(1)
    set('a', 3, 'gesture:drag:2')
    expect(history.info().steps).toBe(2)
    history.undo()
    history.undo()
    expect(state.a).toBe(0)
  })

  it('drops the oldest steps past the count and byte limits', () => {
    const { state, history, set } = setup({ maxSteps: 3, maxBytes: 100 })
    for (let v = 1; v <= 5; v++) set('a', v)
    expect(history.info().steps).toBe(3)
    while (history.undo());
    expect(state.a).toBe(2)
    const big = setup({ maxBytes: 100 })
    big.set('a', 1, undefined, 60)
    big.set('a', 2, undefined, 60)
    expect(big.history.info()).toMatchObject({ steps: 1, bytes: 60 })
  })

  it('reports labels and notifies listeners', () => {
    const { history, set } = setup()
    let calls = 0
    const off = history.subscribe(() => calls++)
    set('b', 1)
    expect(history.info().undoLabel).toBe('set b')
    history.undo()
    expect(history.info().redoLabel).toBe('set b')
    off()
    set('a', 1)
    expect(calls).toBe(2)
  })

  it('lists every reachable step, also while one is being applied', () => {
    let seen: number[] = []
    const history: History<number> = new History<number>({ apply: () => (seen = history.deltas()) })
    history.push('one', 1, 8)
    history.push('two', 2, 8)
    history.undo()
    expect(seen.sort()).toEqual([1, 2])
    history.redo()
    expect(seen.sort()).toEqual([1, 2])
    history.undo()
    history.push('three', 3, 8)
    expect(history.deltas()).toEqual([1, 3])
  })

  it('keeps a step where it was when applying it fails', () => {
    const history = new History<number>({
      apply: () => {
        throw new Error('cannot')
      },
    })
    history.push('one', 1, 8)
    expect(() => history.undo()).toThrow('cannot')
    expect(history.info()).toMatchObject({ canUndo: true, canRedo: false })
  })
})

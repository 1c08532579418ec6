// One adjustment of a control (a drag, or key presses while it has focus) is one undo step:
// a merge key that changes whenever a new pointer gesture or focus begins.
import { useRef } from 'react'

let sessionCounter = 0

export interface GestureKey {
  /** the merge key for a change made now */
  key: () => string
  /** call on pointerdown and on focus */
  start: () => void
}

export function useGestureKey(base: string): GestureKey {
  const session = useRef(0)
  if (session.current === 0) session.current = ++sessionCounter
  return {
    key: () => `gesture:${base}:${session.current}`,
    start: () => {
      session.current = ++sessionCounter
    },
  }
}

// The one path every user mutation takes: toolbar, shortcuts, menu commands and tests all
// dispatch a named action with a typed payload here.
import type { AppError } from '../../src-shared/ipc'
import { toAppError } from '../engine/api'

export interface ActionDefinition<Ctx, P> {
  label: string
  perform: (ctx: Ctx, payload: P) => void | Promise<void>
}

export type ActionTable<Ctx, Payloads> = { [K in keyof Payloads]: ActionDefinition<Ctx, Payloads[K]> }

type ArgsFor<P> = [P] extends [void] ? [] : [P]

/** Runs actions by name; errors become readable messages instead of crashes. */
export class ActionManager<Ctx, Payloads> {
  private readonly log: { name: string; at: number }[] = []

  constructor(
    private readonly ctx: Ctx,
    readonly table: ActionTable<Ctx, Payloads>,
    private readonly onError: (error: AppError) => void,
  ) {}

  async dispatch<K extends keyof Payloads>(name: K, ...args: ArgsFor<Payloads[K]>): Promise<void> {
    const action = this.table[name]
    this.log.push({ name: String(name), at: Date.now() })
    if (this.log.length > 200) this.log.shift()
    try {
      await action.perform(this.ctx, args[0] as Payloads[K])
    } catch (error) {
      this.onError(toAppError(error))
    }
  }

  /** Recent action names (newest last), for diagnostics. */
  recent(): string[] {
    return this.log.map((e) => e.name)
  }
}

// verifyInChild's side of the check process, with stand-in processes: what it sends, what it
// makes of each way a process can end, and cancel. The real process (verifyHost) runs in
// importCheckpoint.test.ts; the Electron adapter is checked here against a fake UtilityProcess.
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import type { FolderCheck } from './verifyFolder.js'
import { type UtilityProcessLike, type VerifyChild, type VerifyRequest, forkVerify, utilityVerifyChild, verifyInChild } from './verifyProcess.js'
import { failure } from './testing/refusal.js'

const answer: FolderCheck = { check: { maxRelativeError: 0, cases: 1 }, seconds: { verify: 1, check: 2 }, peakRssMiB: 2897 }

/** A stand-in check process: records what it is sent and whether it was killed; the test makes it answer and end. */
class FakeChild implements VerifyChild {
  readonly sent: VerifyRequest[] = []
  kills = 0
  private readonly events = new EventEmitter()
  private ended = false
  readonly pid = 4242
  send(message: VerifyRequest): void {
    this.sent.push(message)
  }
  onMessage(listener: (message: unknown) => void): void {
    this.events.on('message', listener)
  }
  onExit(listener: (code: number | null) => void): void {
    this.events.on('exit', listener)
  }
  kill(): void {
    this.kills++
    // a killed process ends by a signal
    setTimeout(() => this.exit(null), 1)
  }
  reply(message: unknown): void {
    this.events.emit('message', message)
  }
  exit(code: number | null): void {
    if (this.ended) return
    this.ended = true
    this.events.emit('exit', code)
  }
}

describe('verifyInChild', () => {
  it('sends the folder, takes the answer, stops the process and resolves once it has ended', async () => {
    const child = new FakeChild()
    let settled = false
    const result = verifyInChild('/models/.convert-x', () => child).finally(() => (settled = true))
    expect(child.sent).toEqual([{ dir: '/models/.convert-x' }])
    child.reply({ ok: true, value: answer })
    expect(child.kills).toBe(1)
    await Promise.resolve()
    expect(settled).toBe(false)
    expect(await result).toEqual(answer)
  })

  it("a failed check is E_CONVERT_VERIFY with the check's message", async () => {
    const child = new FakeChild()
    const result = verifyInChild('/m', () => child)
    child.reply({
      ok: false,
      error: { code: 'E_CONVERT_VERIFY', message: 'the imported decoder and synthesis(resizer) disagree: max relative error Infinity' },
    })
    expect(await failure(result)).toEqual(expect.objectContaining({ code: 'E_CONVERT_VERIFY', message: expect.stringContaining('disagree') }))
  })

  it('a process that ends without answering (killed for memory, crashed) is E_CONVERT_VERIFY', async () => {
    const killed = new FakeChild()
    const first = verifyInChild('/m', () => killed)
    // messages that are not an answer are ignored
    killed.reply({ hello: true })
    killed.exit(null)
    expect(await failure(first)).toEqual(
      expect.objectContaining({ code: 'E_CONVERT_VERIFY', message: expect.stringMatching(/was killed \(out of memory\?\) before it answered/) }),
    )
    const crashed = new FakeChild()
    const second = verifyInChild('/m', () => crashed)
    crashed.exit(134)
    expect((await failure(second)).message).toMatch(/ended with exit code 134 before it answered/)
  })

  it('a check script that is not there (a broken install) is E_CONVERT_VERIFY, not a hang', async () => {
    const err = await failure(verifyInChild('/m', () => forkVerify('/nonexistent/verifyHost.js')))
    expect(err).toEqual(expect.objectContaining({ code: 'E_CONVERT_VERIFY', message: expect.stringMatching(/ended with exit code 1 before it answered/) }))
  })

  it('a process that cannot start is E_CONVERT_VERIFY', async () => {
    const err = await failure(
      verifyInChild('/m', () => {
        throw new Error('spawn ENOENT')
      }),
    )
    expect(err).toEqual(expect.objectContaining({ code: 'E_CONVERT_VERIFY', message: expect.stringContaining('spawn ENOENT') }))
  })

  it('a cancel stops the process and is E_CONVERT_CANCELED once it has ended, even if it answered meanwhile', async () => {
    const child = new FakeChild()
    const controller = new AbortController()
    const result = verifyInChild('/m', () => child, controller.signal)
    controller.abort()
    expect(child.kills).toBe(1)
    child.reply({ ok: true, value: answer })
    expect((await failure(result)).code).toBe('E_CONVERT_CANCELED')
  })

  it('an aborted signal starts no process', async () => {
    let started = 0
    const err = await failure(
      verifyInChild(
        '/m',
        () => {
          started++
          return new FakeChild()
        },
        AbortSignal.abort(),
      ),
    )
    expect(err.code).toBe('E_CONVERT_CANCELED')
    expect(started).toBe(0)
  })
})

describe('utilityVerifyChild (Electron utilityProcess)', () => {
  class FakeUtility extends EventEmitter implements UtilityProcessLike {
    readonly pid = 99
    readonly posted: unknown[] = []
    kills = 0
    postMessage(message: unknown): void {
      this.posted.push(message)
    }
    kill(): boolean {
      this.kills++
      return true
    }
  }

  it('posts the request, passes messages and the exit on, and stops only a running process', () => {
    const proc = new FakeUtility()
    const child = utilityVerifyChild(proc)
    expect(child.pid).toBe(99)
    const messages: unknown[] = []
    const exits: (number | null)[] = []
    child.onMessage((m) => messages.push(m))
    child.onExit((code) => exits.push(code))
    child.send({ dir: '/m' })
    expect(proc.posted).toEqual([{ dir: '/m' }])
    proc.emit('message', { ok: true, value: answer })
    expect(messages).toEqual([{ ok: true, value: answer }])
    child.kill()
    expect(proc.kills).toBe(1)
    proc.emit('exit', 15)
    expect(exits).toEqual([15])
    child.kill()
    child.send({ dir: '/n' })
    expect(proc.kills).toBe(1)
    expect(proc.posted).toHaveLength(1)
    // a listener added after the end hears it at once
    child.onExit((code) => exits.push(code))
    expect(exits).toEqual([15, 15])
  })
})

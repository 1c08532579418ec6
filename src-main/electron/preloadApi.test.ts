// The preload's API is derived from the contract: every channel, every event, nothing else.
// (Lives here because vitest collects tests from src-main, not src-preload.)
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { channels, events } from '../../src-shared/contract'
import { apiGlobalName, buildStylemapApi, type PreloadTransport } from '../../src-preload/api'

interface Call {
  channel: string
  payload: unknown
}

function fakeTransport(answer: (call: Call) => Promise<unknown>) {
  const calls: Call[] = []
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const transport: PreloadTransport = {
    invoke(channel, payload) {
      calls.push({ channel, payload })
      return answer({ channel, payload })
    },
    subscribe(event, listener) {
      const set = listeners.get(event) ?? new Set()
      set.add(listener)
      listeners.set(event, set)
      return () => set.delete(listener)
    },
  }
  const emit = (event: string, payload: unknown) => listeners.get(event)?.forEach((l) => l(payload))
  return { transport, calls, emit, listeners }
}

describe('preload API', () => {
  it('exposes exactly one function per contract channel, plus `on`', () => {
    const api = buildStylemapApi(fakeTransport(async () => ({ ok: true, value: {} })).transport)
    const expected = [...Object.keys(channels), 'on'].sort()
    expect(Object.keys(api).sort()).toEqual(expected)
    for (const name of Object.keys(channels)) expect(typeof (api as unknown as Record<string, unknown>)[name], name).toBe('function')
    expect(Object.keys(api.on).sort()).toEqual(Object.keys(events).sort())
    // Nothing that would hand the page a raw IPC primitive.
    for (const banned of ['ipcRenderer', 'invoke', 'send', 'sendSync', 'postMessage']) expect(api).not.toHaveProperty(banned)
    expect(Object.isFrozen(api)).toBe(true)
    expect(Object.isFrozen(api.on)).toBe(true)
    expect(apiGlobalName).toBe('stylemap')
  })

  it('sends each task on its own channel with the payload unchanged and returns main’s Result', async () => {
    const fake = fakeTransport(async ({ channel }) =>
      channel === 'image:release' ? { ok: true, value: { released: true } } : { ok: false, error: { code: 'E_IPC_PAYLOAD', message: 'bad' } },
    )
    const api = buildStylemapApi(fake.transport)
    const request = { imageId: 'img-1' }
    await expect(api['image:release'](request)).resolves.toEqual({ ok: true, value: { released: true } })
    await expect(api['recent:list']({})).resolves.toEqual({ ok: false, error: { code: 'E_IPC_PAYLOAD', message: 'bad' } })
    expect(fake.calls).toEqual([
      { channel: 'image:release', payload: request },
      { channel: 'recent:list', payload: {} },
    ])
  })

  it('turns a rejected invoke into an E_INTERNAL result instead of throwing into the page', async () => {
    const api = buildStylemapApi(fakeTransport(async () => Promise.reject(new Error('No handler registered'))).transport)
    const result = await api['app:info']({})
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.code).toBe('E_INTERNAL')
      expect(result.error.message).toContain('No handler registered')
    }
  })

  it('delivers event payloads without the event object and unsubscribes', () => {
    const fake = fakeTransport(async () => ({ ok: true, value: {} }))
    const api = buildStylemapApi(fake.transport)
    const seen: unknown[] = []
    const unsubscribe = api.on['menu:command']((payload) => seen.push(payload))
    fake.emit('menu:command', { command: 'open' })
    fake.emit('engine:restarted', { reason: 'x' })
    expect(seen).toEqual([{ command: 'open' }])
    unsubscribe()
    fake.emit('menu:command', { command: 'save' })
    expect(seen).toEqual([{ command: 'open' }])
    expect(fake.listeners.get('menu:command')?.size).toBe(0)
    expect(() => api.on['menu:command'](42 as unknown as () => void)).toThrow(TypeError)
  })

  it('no shell source names an invoke channel itself; the preload names no event either', async () => {
    const root = resolve(import.meta.dirname, '../..')
    const mentions = (text: string, name: string) => [`'${name}'`, `"${name}"`, `\`${name}\``].some((quoted) => text.includes(quoted))
    // Main sends events through the typed emitEvent(…, name, …), checked against the contract
    // by the compiler; channel names must come from the contract's map alone.
    const mainFiles = [...(await sourceFiles(join(root, 'src-main/electron'))), join(root, 'src-main/index.ts')]
    for (const file of mainFiles) {
      const text = await readFile(file, 'utf8')
      for (const name of Object.keys(channels)) expect(mentions(text, name), `${file} names ${name}`).toBe(false)
    }
    for (const file of await sourceFiles(join(root, 'src-preload'))) {
      const text = await readFile(file, 'utf8')
      for (const name of [...Object.keys(channels), ...Object.keys(events)]) expect(mentions(text, name), `${file} names ${name}`).toBe(false)
    }
  })
})

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const out: string[] = []
  for (const entry of entries) {
    const full = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)))
    else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) out.push(full)
  }
  return out
}

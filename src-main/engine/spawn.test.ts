// The engine's process starts with its malloc settings (spawn.ts engineEnv).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { engineEnv, engineMallocEnv, forkEngine } from './spawn.js'

describe('engine process environment', () => {
  it('adds a fixed malloc mmap threshold and keeps what the caller set', () => {
    expect(engineMallocEnv.MALLOC_MMAP_THRESHOLD_).toBe(String(4 << 20))
    expect(engineEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: String(4 << 20) })
    expect(engineEnv({ MALLOC_MMAP_THRESHOLD_: '65536' }).MALLOC_MMAP_THRESHOLD_).toBe('65536')
  })

  it('forkEngine starts its process with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stylemap-spawn-test-'))
    try {
      const host = join(dir, 'host.mjs')
      await writeFile(host, 'process.send({ threshold: process.env.MALLOC_MMAP_THRESHOLD_ ?? null, path: process.env.PATH ?? null }, () => process.exit(0))\n')
      const channel = forkEngine({ hostPath: host })
      const message = await new Promise<unknown>((resolve) => channel.onMessage(resolve as never))
      expect(message).toEqual({ threshold: String(4 << 20), path: process.env.PATH ?? null })
      channel.kill()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

import { describe, expect, it } from 'vitest'
import type { ProviderName } from './api.js'
import { Engine } from './engine.js'
import { detectProviders, probeProvider } from './model.js'
import { chooseProvider, planProviders } from './providers.js'
import { testModelDir } from './testing/models.js'

describe('planProviders (pure)', () => {
  it('orders the native GPU provider of each platform before cpu', () => {
    expect(planProviders({ platform: 'linux', arch: 'x64', preference: 'auto' }).order).toEqual(['cuda', 'cpu'])
    expect(planProviders({ platform: 'win32', arch: 'x64', preference: 'auto' }).order).toEqual(['dml', 'webgpu', 'cpu'])
    expect(planProviders({ platform: 'darwin', arch: 'arm64', preference: 'auto' }).order).toEqual(['coreml', 'webgpu', 'cpu'])
    expect(planProviders({ platform: 'linux', arch: 'arm64', preference: 'auto' }).order).toEqual(['cpu'])
  })
  it('says why every provider left out is skipped', () => {
    const plan = planProviders({ platform: 'linux', arch: 'arm64', preference: 'auto' })
    expect(plan.skipped.map((s) => s.provider).sort()).toEqual(['coreml', 'cuda', 'dml', 'webgpu'])
    for (const s of plan.skipped) expect(s.reason).toMatch(/\w{4,}/)
  })
  it('a forced provider goes first with cpu as the fallback', () => {
    expect(planProviders({ platform: 'linux', arch: 'x64', preference: 'webgpu' }).order).toEqual(['webgpu', 'cpu'])
    expect(planProviders({ platform: 'win32', arch: 'x64', preference: 'cpu' }).order).toEqual(['cpu'])
  })
})

describe('chooseProvider', () => {
  it('uses the first provider that starts and keeps the reasons of the ones that failed', async () => {
    const tried: ProviderName[] = []
    const report = await chooseProvider({ order: ['cuda', 'webgpu', 'cpu'], skipped: [] }, 'auto', async (p) => {
      tried.push(p)
      if (p === 'cuda') throw new Error('libcudart.so.12: cannot open shared object file')
    })
    expect(tried).toEqual(['cuda', 'webgpu'])
    expect(report.inUse).toBe('webgpu')
    expect(report.probes.find((p) => p.provider === 'cuda')).toMatchObject({ status: 'failed', reason: expect.stringContaining('libcudart') })
    expect(report.probes.find((p) => p.provider === 'cpu')).toMatchObject({ status: 'skipped' })
  })
  it('fails with E_PROVIDER_UNAVAILABLE when nothing starts', async () => {
    await expect(
      chooseProvider({ order: ['cpu'], skipped: [] }, 'auto', async () => {
        throw new Error('broken')
      }),
    ).rejects.toMatchObject({ code: 'E_PROVIDER_UNAVAILABLE' })
  })
})

describe('real probes with onnxruntime-node', () => {
  it('cpu starts on the tiny probe graph', async () => {
    await expect(probeProvider('cpu')).resolves.toBeUndefined()
  })
  it('a forced provider that cannot start here falls back to cpu with its reason', async () => {
    // DirectML exists only in the Windows build, CoreML only in the macOS build
    const missing: ProviderName = process.platform === 'win32' ? 'coreml' : 'dml'
    const report = await detectProviders(missing)
    expect(report.inUse).toBe('cpu')
    const failed = report.probes.find((p) => p.provider === missing)
    expect(failed?.status).toBe('failed')
    expect(failed?.reason).toMatch(/backend|not found|fail/i)
  })
  it('a model loaded with a failing forced provider runs on cpu and reports why', async () => {
    const engine = new Engine()
    try {
      const { providers, model } = await engine.loadModel(await testModelDir(), { provider: process.platform === 'win32' ? 'coreml' : 'dml' })
      expect(providers.inUse).toBe('cpu')
      expect(providers.probes[0].status).toBe('failed')
      expect(model.resolution).toBeGreaterThan(0)
      const image = await engine.random({ seed: 1 }).catch(() => null)
      if (model.features.random) expect(image?.image.width).toBe(model.resolution)
    } finally {
      await engine.dispose()
    }
  })
})

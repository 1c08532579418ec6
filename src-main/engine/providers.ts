// Execution-provider choice: a pure plan from (platform, arch, preference), then a real probe
// that creates a tiny session per provider in plan order and keeps every failure's reason.
import type { ProviderName, ProviderPreference, ProviderProbe, ProviderReport } from './api.js'
import { EngineError, engineErrorCodes } from './errors.js'
import { field } from './protobuf.js'

export interface ProviderEnvironment {
  platform: string
  arch: string
  preference: ProviderPreference
}

export interface ProviderPlan {
  /** Providers to try, best first; the first that starts is used. cpu is always last. */
  order: ProviderName[]
  /** Providers this platform does not try, with the reason. */
  skipped: ProviderProbe[]
}

/** Which providers to try, in which order, and why the rest are left out. Pure. */
export function planProviders(env: ProviderEnvironment): ProviderPlan {
  const { platform, arch, preference } = env
  if (preference !== 'auto') {
    const order: ProviderName[] = preference === 'cpu' ? ['cpu'] : [preference, 'cpu']
    const skipped = (['cuda', 'dml', 'coreml', 'webgpu'] as ProviderName[])
      .filter((p) => !order.includes(p))
      .map((p): ProviderProbe => ({ provider: p, status: 'skipped', reason: `not tried: ${preference} was chosen` }))
    return { order, skipped }
  }
  const order: ProviderName[] = []
  const skipped: ProviderProbe[] = []
  const skip = (provider: ProviderName, reason: string): void => {
    skipped.push({ provider, status: 'skipped', reason })
  }
  if (platform === 'linux' && arch === 'x64') order.push('cuda')
  else skip('cuda', 'onnxruntime-node ships CUDA support for Linux x64 only')
  if (platform === 'win32') order.push('dml')
  else skip('dml', 'DirectML exists on Windows only')
  if (platform === 'darwin') order.push('coreml')
  else skip('coreml', 'CoreML exists on macOS only')
  if (platform === 'win32' || platform === 'darwin') order.push('webgpu')
  else skip('webgpu', 'WebGPU is opt-in on this platform (choose it explicitly to try it)')
  order.push('cpu')
  return { order, skipped }
}

/** Tries each planned provider with `probe` (which throws when the provider cannot start). */
export async function chooseProvider(plan: ProviderPlan, preference: ProviderPreference, probe: (provider: ProviderName) => Promise<void>): Promise<ProviderReport> {
  const probes: ProviderProbe[] = []
  let inUse: ProviderName | null = null
  for (const provider of plan.order) {
    if (inUse) {
      probes.push({ provider, status: 'skipped', reason: `not needed: ${inUse} started first` })
      continue
    }
    const started = performance.now()
    try {
      await probe(provider)
      inUse = provider
      probes.push({ provider, status: 'ok', ms: Math.round(performance.now() - started) })
    } catch (e) {
      probes.push({ provider, status: 'failed', reason: probeReason(e), ms: Math.round(performance.now() - started) })
    }
  }
  probes.push(...plan.skipped)
  if (!inUse) {
    const why = probes.filter((p) => p.status === 'failed').map((p) => `${p.provider}: ${p.reason}`).join('; ')
    throw new EngineError(engineErrorCodes.providerUnavailable, `no execution provider could start (${why})`)
  }
  return { inUse, preference, probes }
}

function probeReason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e)
  // onnxruntime prefixes long source paths; the last sentence is what a user can act on
  const line = text.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? 'failed'
  return line.replace(/^\/onnxruntime_src\/\S+\s+/, '').slice(0, 300)
}

// --- a tiny ONNX model, y = x + x on float[1, 4], written as protobuf by hand ---

function tensorValueInfo(name: string, dims: number[]): number[] {
  const shape = dims.flatMap((d) => field(1, field(1, d)))
  const tensorType = [...field(1, 1), ...field(2, shape)]
  return [...field(1, name), ...field(2, field(1, tensorType))]
}

/** Bytes of a valid one-node ONNX model (opset 13) used to probe providers. */
export function probeModelBytes(): Uint8Array {
  const node = [...field(1, 'x'), ...field(1, 'x'), ...field(2, 'y'), ...field(3, 'add'), ...field(4, 'Add')]
  const graph = [...field(1, node), ...field(2, 'probe'), ...field(11, tensorValueInfo('x', [1, 4])), ...field(12, tensorValueInfo('y', [1, 4]))]
  const opset = [...field(1, ''), ...field(2, 13)]
  const model = [...field(1, 8), ...field(2, 'stylemap-probe'), ...field(7, graph), ...field(8, opset)]
  return Uint8Array.from(model)
}

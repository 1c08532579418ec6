// model:* and app:info — which models are installed, which one is active, and on what device.
import type { HandlerMap } from '../../../src-shared/ipc'
import { type Channels, upgradeJob } from '../../../src-shared/contract'
import type { AppContext } from '../context'

const defaultMaxInputPixels = 100_000_000

export function modelHandlers(ctx: AppContext): Pick<HandlerMap<Channels>, 'model:list' | 'model:select' | 'model:import' | 'model:upgrade' | 'app:info'> {
  const { models, deps } = ctx
  return {
    'model:list': async () => {
      await models.ensureLoaded().catch(() => undefined)
      return { models: await models.list() }
    },
    'model:select': async ({ id }) => ({ model: await models.select(id) }),
    'model:import': async () => {
      const dir = await deps.dialogs.openModelFolder()
      if (!dir) return { canceled: true }
      return { canceled: false, model: await models.import(dir) }
    },
    'model:upgrade': async ({ id }) => {
      const job = upgradeJob(id)
      const progress = (fraction: number) => deps.emit?.('download:progress', { job, stage: 'upgrade', receivedBytes: 0, totalBytes: null, fraction, resumedFrom: 0 })
      return { model: await models.upgrade(id, progress) }
    },
    'app:info': async () => {
      const loaded = await models.ensureLoaded().catch(() => null)
      const listed = loaded ? ((await models.list()).find((model) => model.id === loaded.model.id) ?? null) : null
      return {
        name: deps.app.name,
        version: deps.app.version,
        platform: process.platform,
        arch: process.arch,
        executionProvider: loaded?.providers.inUse ?? null,
        providers: (loaded?.providers.probes ?? []).map((probe) => ({
          name: probe.provider,
          status: probe.status === 'ok' ? (probe.provider === loaded?.providers.inUse ? ('active' as const) : ('available' as const)) : probe.status,
          reason: probe.reason,
        })),
        model: listed,
        maxInputPixels: deps.maxInputPixels ?? defaultMaxInputPixels,
      }
    },
  }
}

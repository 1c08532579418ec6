// A model as the model list describes it, for renderer tests: a 64 px face model, active.
import type { ModelInfo } from '../../src-shared/contract'

export function testModelInfo(overrides: Partial<ModelInfo> = {}): ModelInfo {
  return {
    id: 'm',
    name: 'Faces',
    resolution: 64,
    stylemap: { channels: 64, size: 8 },
    domain: 'face',
    license: '',
    source: '',
    builtIn: true,
    active: true,
    capabilities: { wplus: true, random: true },
    alignsFaces: true,
    ...overrides,
  }
}

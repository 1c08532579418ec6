// Imports a released-format StyleMapGAN checkpoint (g_ema, e_ema, train_args) into a model
// folder without Python: the graphs come from the weightless templates in models/templates,
// the weights are streamed from the checkpoint into the folder's data files.
import { EngineError } from '../engine/errors.js'

export interface ImportOptions {
  id?: string
  name?: string
  license?: string
  domain?: string
  source?: string
  default?: boolean
  force?: boolean
  alignment?: 'auto' | 'ffhq' | 'none'
  /** Called as the import moves on: fraction in 0..1 and the stage's name. */
  onProgress?: (fraction: number, stage: string) => void
}

export interface ImportResult {
  /** The model folder written (absolute). */
  dir: string
  /** Its model.json. */
  manifest: unknown
  /** Seconds per stage (read, write, verify, total). */
  seconds: Record<string, number>
}

/**
 * Converts `checkpoint` into the model folder `out`, checked by loading it with the engine
 * before it is moved into place. Failures are EngineErrors with E_CONVERT_* / E_CHECKPOINT_*
 * codes and leave no folder behind.
 */
export async function importCheckpoint(checkpoint: string, out: string, options: ImportOptions = {}): Promise<ImportResult> {
  void checkpoint
  void out
  void options
  throw new EngineError('E_CONVERT_NOT_IMPLEMENTED', 'importing checkpoints without Python is not finished yet; use stylemap convert --via python')
}

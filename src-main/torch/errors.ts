// Stable error codes of the checkpoint reader. Callers (the importer, the CLI, the download
// manager) act on `code`, never on message text.

export const checkpointErrorCodes = {
  /** The file is not a torch.save checkpoint at all (an HTML page, a text file, an empty file). */
  notCheckpoint: 'E_CHECKPOINT_NOT_CHECKPOINT',
  /** The file looks like a checkpoint but its bytes break the format (unknown opcode, bad record). */
  format: 'E_CHECKPOINT_FORMAT',
  /** The file ends before the format says it does (an interrupted download or copy). */
  truncated: 'E_CHECKPOINT_TRUNCATED',
  /** The pickle names a global the reader does not allow (code a plain unpickler would run). */
  unsafe: 'E_CHECKPOINT_UNSAFE',
  /** A requested entry is not in the checkpoint. */
  missingEntry: 'E_CHECKPOINT_MISSING_ENTRY',
  /** The file cannot be opened or read (missing, a folder, permissions). */
  read: 'E_CHECKPOINT_READ',
} as const

export type CheckpointErrorCode = (typeof checkpointErrorCodes)[keyof typeof checkpointErrorCodes]

/** An error of the checkpoint reader with a stable `code`. */
export class CheckpointError extends Error {
  override readonly name = 'CheckpointError'
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export const formatError = (message: string): CheckpointError => new CheckpointError(checkpointErrorCodes.format, message)
export const truncatedError = (message: string): CheckpointError => new CheckpointError(checkpointErrorCodes.truncated, message)

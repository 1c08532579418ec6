// The error a reader call fails with, for tests that check a file is refused and how.
import { type CheckpointError } from '../errors.js'

/** The CheckpointError `promise` rejects with; throws if it resolves. */
export async function refusal(promise: Promise<unknown>): Promise<CheckpointError> {
  try {
    await promise
  } catch (e) {
    return e as CheckpointError
  }
  throw new Error('expected the reader to refuse the file')
}

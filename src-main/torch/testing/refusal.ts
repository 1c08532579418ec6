// The error a call fails with, for tests that check something is refused and how.
import { type CheckpointError } from '../errors.js'

/** The error `promise` rejects with (its code and message); throws if it resolves. */
export async function failure(promise: Promise<unknown>, what = 'it'): Promise<{ code: string; message: string }> {
  try {
    await promise
  } catch (e) {
    return e as { code: string; message: string }
  }
  throw new Error(`${what} did not fail`)
}

/** The CheckpointError `promise` rejects with; throws if it resolves. */
export async function refusal(promise: Promise<unknown>): Promise<CheckpointError> {
  return (await failure(promise, 'the reader (expected to refuse the file)')) as CheckpointError
}

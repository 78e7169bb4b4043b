import { DaemonClientError } from '../../src/index.js';

/** The code and message of the DaemonClientError a call rejects with; anything else fails the test. */
export async function failure(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DaemonClientError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a DaemonClientError');
}

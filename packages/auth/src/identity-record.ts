import {
  ContractValidationError,
  identityToRecord,
  type RunnerIdentity,
  type RunnerIdentityRecord,
} from '@cavra/contracts';
import { RunnerAuthError } from './runner-auth-error.js';

/**
 * The public-safe record of a runner identity from the request (`path` names where it came from). A value that is
 * not a single bounded line is a `bad_token` naming the field, so a refused runner is always a RunnerAuthError.
 */
export function identityRecord(identity: Partial<RunnerIdentity>, path: string): RunnerIdentityRecord {
  try {
    return identityToRecord(identity as RunnerIdentity, path);
  } catch (error) {
    if (!(error instanceof ContractValidationError)) throw error;
    throw new RunnerAuthError(
      'bad_token',
      `${error.issues[0]?.path ?? path} must be a single line of at most 256 bytes without control characters`,
    );
  }
}

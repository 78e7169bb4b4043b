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
    // The contract's own wording, so the rule for identity values is stated in one place.
    const [issue] = error.issues;
    throw new RunnerAuthError(
      'bad_token',
      `${issue?.path ?? path} ${issue?.message ?? 'is not a safe value'}`,
    );
  }
}

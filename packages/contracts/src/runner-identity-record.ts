import { ContractValidationError } from './contract-issue.js';
import { MESSAGE_FIELDS } from './descriptor.js';
import type { RunnerIdentity } from './messages.js';
import { isSafeName } from './public-safe.js';

/** The public-safe runtime form of RunnerIdentity (camelCase, single-line bounded values). */
export interface RunnerIdentityRecord {
  readonly provider: string;
  readonly repository: string;
  readonly workflow: string;
  readonly runId: string;
  readonly runAttempt: string;
  readonly ref: string;
  readonly sha: string;
  readonly actor: string;
  readonly job: string;
  readonly runnerName: string;
}

/** Converts a decoded RunnerIdentity; `path` prefixes issue paths. Throws ContractValidationError. */
export function identityToRecord(identity: RunnerIdentity, path = ''): RunnerIdentityRecord {
  const source = identity as unknown as Record<string, string>;
  const record: Record<string, string> = {};
  const issues = [];
  for (const field of MESSAGE_FIELDS.RunnerIdentity) {
    const value = source[field.name] ?? '';
    if (!isSafeName(value)) {
      issues.push({
        path: path ? `${path}.${field.name}` : field.name,
        code: 'unsafe_value' as const,
        message: 'must be a single line of at most 256 bytes without control characters',
      });
    }
    record[field.jsonName] = value;
  }
  if (issues.length > 0) throw new ContractValidationError('RunnerIdentity', issues);
  return Object.freeze(record) as unknown as RunnerIdentityRecord;
}

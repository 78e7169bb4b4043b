import { shareInstanceof } from './share-instanceof.js';

/** Stable codes for everything the contract layer can find wrong with a message. */
export type ContractIssueCode =
  | 'invalid_json'
  | 'not_an_object'
  | 'wrong_type'
  | 'not_an_integer'
  | 'out_of_range'
  | 'negative_count'
  | 'string_too_long'
  | 'list_too_long'
  | 'message_too_large'
  | 'malformed_binary'
  | 'unknown_field'
  | 'duplicate_field'
  | 'operation_conflict'
  | 'approval_conflict'
  | 'record_conflict'
  | 'unknown_decision'
  | 'unknown_severity'
  | 'unknown_algorithm'
  | 'invalid_timestamp'
  | 'unsafe_value'
  | 'too_many_issues';

/** One finding about one field. `path` is dotted snake_case, e.g. `release_governance.blocked_count`. */
export interface ContractIssue {
  readonly path: string;
  readonly code: ContractIssueCode;
  readonly message: string;
}

/**
 * Most issues one list reports. Hostile input can hold an unknown key every few bytes; listing them all would turn
 * a 1 MiB request into an error many times that size. The rest are counted in one last `too_many_issues` issue.
 */
export const MAX_REPORTED_ISSUES = 100;

/** The first MAX_REPORTED_ISSUES issues, then one `too_many_issues` issue counting the rest. */
export function limitIssues(issues: readonly ContractIssue[]): readonly ContractIssue[] {
  if (issues.length <= MAX_REPORTED_ISSUES) return issues;
  return [
    ...issues.slice(0, MAX_REPORTED_ISSUES),
    {
      path: '',
      code: 'too_many_issues',
      message: `${issues.length - MAX_REPORTED_ISSUES} more issues not listed`,
    },
  ];
}

/** Thrown by the throwing codec functions; carries every issue found (up to MAX_REPORTED_ISSUES), not just the first. */
export class ContractValidationError extends Error {
  override readonly name = 'ContractValidationError';
  readonly issues: readonly ContractIssue[];

  constructor(messageName: string, found: readonly ContractIssue[]) {
    const issues = limitIssues(found);
    super(
      `invalid ${messageName}: ${issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}
shareInstanceof(ContractValidationError, '@cavra/contracts.ContractValidationError');

// An unknown key is the sender's text: echo a bounded, escaped prefix so issues stay one short line.
const MAX_ECHOED_KEY_CHARS = 64;

/** A JSON key as an issue may quote it: at most 64 characters, escaped. */
export function printableKey(key: string): string {
  const shown = key.length > MAX_ECHOED_KEY_CHARS ? `${key.slice(0, MAX_ECHOED_KEY_CHARS)}…` : key;
  return JSON.stringify(shown).slice(1, -1);
}

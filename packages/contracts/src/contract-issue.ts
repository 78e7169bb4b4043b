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
  | 'unknown_decision'
  | 'unknown_severity'
  | 'unknown_algorithm'
  | 'invalid_timestamp'
  | 'unknown_kind'
  | 'unsafe_value';

/** One finding about one field. `path` is dotted snake_case, e.g. `release_governance.blocked_count`. */
export interface ContractIssue {
  readonly path: string;
  readonly code: ContractIssueCode;
  readonly message: string;
}

/** Thrown by the throwing codec functions; carries every issue found, not just the first. */
export class ContractValidationError extends Error {
  override readonly name = 'ContractValidationError';
  readonly issues: readonly ContractIssue[];

  constructor(messageName: string, issues: readonly ContractIssue[]) {
    super(
      `invalid ${messageName}: ${issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

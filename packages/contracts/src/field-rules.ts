import { isOneOf } from './closed-set.js';
import type { ContractIssue, ContractIssueCode } from './contract-issue.js';
import { DECISIONS } from './decision.js';
import type { MessageName } from './descriptor.js';
import { RUNNER_AUTH_ALGORITHMS } from './runner-auth-algorithm.js';
import { SEVERITIES } from './severity.js';
import { isRfc3339Utc } from './timestamp.js';

type FieldRule = (value: string, path: string) => ContractIssue | undefined;

/** A string field whose value must come from a closed set; `required` makes the empty string an error too. */
function closedSetRule(
  label: string,
  values: readonly string[],
  code: ContractIssueCode,
  required: boolean,
): FieldRule {
  return (value, path) => {
    if ((value === '' && !required) || isOneOf(values, value)) return undefined;
    const problem = value === '' ? `${label} is required` : `unknown ${label} ${JSON.stringify(value)}`;
    return { path, code, message: `${problem}; expected one of ${values.join(', ')}` };
  };
}

const timestampRule: FieldRule = (value, path) =>
  value === '' || isRfc3339Utc(value)
    ? undefined
    : {
        path,
        code: 'invalid_timestamp',
        message: 'timestamp must be RFC 3339 in UTC, e.g. 2026-05-01T12:00:00Z',
      };

/** Value rules for string fields whose values are a closed set or a format. */
export const FIELD_RULES: Partial<Record<MessageName, Readonly<Record<string, FieldRule>>>> = {
  DecisionResponse: {
    decision: closedSetRule('decision', DECISIONS, 'unknown_decision', true),
    severity: closedSetRule('severity', SEVERITIES, 'unknown_severity', false),
    timestamp: timestampRule,
  },
  RunnerAuthentication: {
    algorithm: closedSetRule('algorithm', RUNNER_AUTH_ALGORITHMS, 'unknown_algorithm', true),
    issued_at: timestampRule,
    expires_at: timestampRule,
  },
};

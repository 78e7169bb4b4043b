import type { ContractIssue } from './contract-issue.js';
import { DECISIONS, isDecision } from './decision.js';
import type { MessageName } from './descriptor.js';
import { isRunnerAuthAlgorithm, RUNNER_AUTH_ALGORITHMS } from './runner-auth-algorithm.js';
import { isSeverity, SEVERITIES } from './severity.js';
import { isRfc3339Utc } from './timestamp.js';

type FieldRule = (value: string, path: string) => ContractIssue | undefined;

const decisionRule: FieldRule = (value, path) =>
  isDecision(value)
    ? undefined
    : {
        path,
        code: 'unknown_decision',
        message: `${value === '' ? 'decision is required' : `unknown decision ${JSON.stringify(value)}`}; expected one of ${DECISIONS.join(', ')}`,
      };

const severityRule: FieldRule = (value, path) =>
  value === '' || isSeverity(value)
    ? undefined
    : {
        path,
        code: 'unknown_severity',
        message: `unknown severity ${JSON.stringify(value)}; expected one of ${SEVERITIES.join(', ')}`,
      };

const timestampRule: FieldRule = (value, path) =>
  value === '' || isRfc3339Utc(value)
    ? undefined
    : {
        path,
        code: 'invalid_timestamp',
        message: 'timestamp must be RFC 3339 in UTC, e.g. 2026-05-01T12:00:00Z',
      };

const algorithmRule: FieldRule = (value, path) =>
  isRunnerAuthAlgorithm(value)
    ? undefined
    : {
        path,
        code: 'unknown_algorithm',
        message: `${value === '' ? 'algorithm is required' : `unknown algorithm ${JSON.stringify(value)}`}; expected one of ${RUNNER_AUTH_ALGORITHMS.join(', ')}`,
      };

/** Value rules for string fields whose values are a closed set or a format. */
export const FIELD_RULES: Partial<Record<MessageName, Readonly<Record<string, FieldRule>>>> = {
  DecisionResponse: { decision: decisionRule, severity: severityRule, timestamp: timestampRule },
  RunnerAuthentication: { algorithm: algorithmRule, issued_at: timestampRule, expires_at: timestampRule },
};

import { isOneOf } from './closed-set.js';

/** Severity of a decision's finding, lowest first. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;

export type Severity = (typeof SEVERITIES)[number];

export function isSeverity(value: unknown): value is Severity {
  return isOneOf(SEVERITIES, value);
}

import { isOneOf } from './closed-set.js';

/** The decisions the authority can take, as they appear on the wire. */
export const DECISIONS = [
  'allow',
  'block',
  'require_approval',
  'warn',
  'audit_only',
  'allow_with_attestation',
] as const;

export type Decision = (typeof DECISIONS)[number];

export function isDecision(value: unknown): value is Decision {
  return isOneOf(DECISIONS, value);
}

import { isRfc3339Utc } from '@cavra/contracts';
import { RunnerAuthError } from './runner-auth-error.js';

export interface TimeBoundOptions {
  /** Clock skew tolerated on both ends, in seconds. */
  readonly skewSeconds: number;
  /** Longest validity window accepted, in seconds. */
  readonly maxTtlSeconds: number;
}

/** Checks an issued-at/expires-at window against `now`; returns both instants in ms. */
export function checkTimeBound(
  issuedAt: number,
  expiresAt: number,
  now: number,
  { skewSeconds, maxTtlSeconds }: TimeBoundOptions,
): void {
  const skew = skewSeconds * 1000;
  if (expiresAt <= issuedAt)
    throw new RunnerAuthError('bad_token', 'expires_at must be later than issued_at');
  if (expiresAt - issuedAt > maxTtlSeconds * 1000) {
    throw new RunnerAuthError('ttl_too_long', `validity window is longer than ${maxTtlSeconds} seconds`);
  }
  if (now > expiresAt + skew) throw new RunnerAuthError('expired', 'runner claims have expired');
  if (issuedAt > now + skew)
    throw new RunnerAuthError('not_yet_valid', 'runner claims are issued in the future');
}

/** Parses an RFC 3339 UTC claim or throws `missing_claim` naming it. */
export function parseInstant(name: string, value: string | undefined | null): number {
  if (!value || !isRfc3339Utc(value)) {
    throw new RunnerAuthError('missing_claim', `${name} must be an RFC 3339 UTC timestamp`);
  }
  return Date.parse(value);
}

export const DEFAULT_SKEW_SECONDS = 60;
export const DEFAULT_MAX_TTL_SECONDS = 600;

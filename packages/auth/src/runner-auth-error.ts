import { shareInstanceof } from '@cavra/contracts';

/** Stable codes of every runner-authentication failure. */
export const RUNNER_AUTH_ERROR_CODES = [
  'missing_auth',
  'unsupported_algorithm',
  'unknown_key',
  'bad_encoding',
  'scheme_not_enabled',
  'bad_signature',
  'expired',
  'not_yet_valid',
  'ttl_too_long',
  'replayed',
  'replay_cache_full',
  'claim_mismatch',
  'missing_claim',
  'untrusted_provider',
  'untrusted_repository',
  'untrusted_ref',
  'bad_token',
  'wrong_issuer',
  'wrong_audience',
  'disallowed_algorithm',
  'jwks_unavailable',
  'invalid_config',
] as const;

export type RunnerAuthErrorCode = (typeof RUNNER_AUTH_ERROR_CODES)[number];

/**
 * A refused runner. The message is public-safe by construction: it is always one of our fixed texts plus
 * identifiers we validated; never the secret, the token or the signature.
 */
export class RunnerAuthError extends Error {
  readonly code: RunnerAuthErrorCode;

  constructor(code: RunnerAuthErrorCode, message: string) {
    // No stack trace: a refusal is an answer, named by its code and message, not a fault to debug, and capturing
    // the stack was the largest single cost of refusing a request (a bad-signature flood cost more than valid ones).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'RunnerAuthError';
    this.code = code;
  }
}
shareInstanceof(RunnerAuthError, '@cavra/auth.RunnerAuthError');

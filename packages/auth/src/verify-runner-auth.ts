import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  type EvaluateRequest,
  isSafeIdentifier,
  type RunnerAuthentication,
  type RunnerIdentity,
} from '@cavra/contracts';
import type { AuthenticatedRunner } from './authenticated-runner.js';
import { canonicalClaims } from './canonical-claims.js';
import { IDENTITY_ONLY_SCHEME, REQUEST_BOUND_SCHEME } from './hmac-scheme.js';
import { decodeHexSignature, decodeSignature } from './hmac-signature.js';
import { identityClaims } from './identity-claims.js';
import { identityRecord } from './identity-record.js';
import type { Keyring, KeyringKey } from './keyring.js';
import { type ReplayCache, replayKey } from './replay-cache.js';
import { RunnerAuthError } from './runner-auth-error.js';
import { checkTimeBound, DEFAULT_MAX_TTL_SECONDS, DEFAULT_SKEW_SECONDS, parseInstant } from './time-bound.js';

export interface VerifyRunnerAuthOptions {
  readonly now?: () => Date;
  /** Default 60. */
  readonly skewSeconds?: number;
  /** Default 600. */
  readonly maxTtlSeconds?: number;
  /** Without one, replays inside the validity window are not detected: the daemon always passes one. */
  readonly replayCache?: ReplayCache;
}

/**
 * Verifies an HMAC-SHA256 `runner_auth` under the scheme of the key it names. REQUEST_BOUND_SCHEME (the default):
 * signature encoding, signature over the canonical claims (constant time), time bound with skew, replay.
 * IDENTITY_ONLY_SCHEME (keys marked so): lower-case hex signature over the identity, provider and repository
 * present; nothing binds the request, so no time bound or replay check applies. Throws RunnerAuthError; returns the
 * authenticated runner, whose `scheme` and `requestBound` say which proof it gave.
 */
export function verifyRunnerAuth(
  request: EvaluateRequest,
  keyring: Keyring,
  options: VerifyRunnerAuthOptions = {},
): AuthenticatedRunner {
  // A decoded message holds every scalar (proto3 defaults), so its fields are strings.
  const auth = request.runner_auth as RunnerAuthentication | null | undefined;
  if (!auth) throw new RunnerAuthError('missing_auth', 'request carries no runner_auth');
  if (auth.algorithm !== 'HMAC-SHA256') {
    throw new RunnerAuthError('unsupported_algorithm', 'runner_auth algorithm is not HMAC-SHA256');
  }
  const key = keyring.get(auth.key_id);
  if (!key) {
    throw new RunnerAuthError(
      'unknown_key',
      isSafeIdentifier(auth.key_id) ? `unknown HMAC key id '${auth.key_id}'` : 'unknown HMAC key id',
    );
  }
  if (key.scheme === IDENTITY_ONLY_SCHEME) return verifyIdentityOnly(auth, key);
  const mac = decodeSignature(auth.signature, key.keyId);
  const identity = identityRecord((auth.identity ?? {}) as RunnerIdentity, 'runner_auth.identity');
  const issuedAt = parseInstant('runner_auth.issued_at', auth.issued_at);
  const expiresAt = parseInstant('runner_auth.expires_at', auth.expires_at);
  const canonical = canonicalClaims(request, {
    keyId: auth.key_id,
    issuedAt: auth.issued_at,
    expiresAt: auth.expires_at,
  });
  const expected = createHmac('sha256', key.secret).update(canonical, 'utf8').digest();
  // Both are 32 bytes (decodeSignature guarantees it), so timingSafeEqual cannot throw on a length difference.
  if (!timingSafeEqual(expected, mac)) {
    throw new RunnerAuthError('bad_signature', 'signature does not match the signed request fields');
  }
  const now = (options.now ?? (() => new Date()))().getTime();
  const skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  checkTimeBound(issuedAt, expiresAt, now, {
    skewSeconds,
    maxTtlSeconds: options.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS,
  });
  const seen = replayKey(auth.key_id, mac);
  options.replayCache?.remember(seen, expiresAt + skewSeconds * 1000, now);
  return {
    algorithm: 'HMAC-SHA256',
    keyId: auth.key_id,
    scheme: REQUEST_BOUND_SCHEME,
    requestBound: true,
    identity,
    issuedAt: auth.issued_at,
    expiresAt: auth.expires_at,
    replayKey: seen,
  };
}

function verifyIdentityOnly(auth: RunnerAuthentication, key: KeyringKey): AuthenticatedRunner {
  const mac = decodeHexSignature(auth.signature, key.keyId);
  const claimed = (auth.identity ?? {}) as RunnerIdentity;
  const identity = identityRecord(claimed, 'runner_auth.identity');
  const expected = createHmac('sha256', key.secret).update(identityClaims(claimed), 'utf8').digest();
  if (!timingSafeEqual(expected, mac)) {
    throw new RunnerAuthError('bad_signature', 'signature does not match the signed runner identity');
  }
  // Upstream refuses an identity without these two, so a signature over less names no one.
  for (const field of ['provider', 'repository'] as const) {
    if (!claimed[field]) {
      throw new RunnerAuthError('missing_claim', `runner_auth.identity.${field} is required`);
    }
  }
  return {
    algorithm: 'HMAC-SHA256',
    keyId: auth.key_id,
    scheme: IDENTITY_ONLY_SCHEME,
    requestBound: false,
    identity,
  };
}

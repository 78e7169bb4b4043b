import { createHmac } from 'node:crypto';
import {
  type EvaluateRequest,
  EvaluateRequestCodec,
  type EvaluateRequestInit,
  type RunnerIdentity,
  type RunnerIdentityInit,
} from '@cavra/contracts';
import { canonicalClaims } from './canonical-claims.js';
import { encodeSignature } from './hmac-signature.js';
import { identityClaims } from './identity-claims.js';
import { MIN_SECRET_BYTES } from './keyring.js';
import { RunnerAuthError } from './runner-auth-error.js';

export interface SignRunnerClaimsOptions {
  readonly keyId: string;
  /** The shared secret: bytes, or a string taken as its UTF-8 bytes. */
  readonly secret: Uint8Array | string;
  /** Signing time; default now. */
  readonly now?: Date;
  /** Validity window in seconds; default 300. */
  readonly ttlSeconds?: number;
  /** Runner identity to claim; default the request's `runner_auth.identity`. */
  readonly identity?: RunnerIdentityInit;
}

/**
 * Signs a request for the daemon: returns a copy with `runner_auth` set to algorithm `HMAC-SHA256`, the key id,
 * the time bound (`issued_at`, `expires_at`, whole seconds, RFC 3339 UTC) and the signature over
 * `canonicalClaims`. The request is validated first (ContractValidationError on bad input); a value with a lone
 * surrogate is a RunnerAuthError `bad_encoding`; a secret that is not a string or bytes of at least MIN_SECRET_BYTES
 * is a TypeError.
 */
export function signRunnerClaims(
  request: EvaluateRequestInit,
  options: SignRunnerClaimsOptions,
): EvaluateRequest {
  const secret = secretBytes(options.secret);
  const ttlSeconds = options.ttlSeconds ?? 300;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0)
    throw new TypeError('ttlSeconds must be a positive integer');
  const issued = Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000;
  const issuedAt = new Date(issued).toISOString().replace('.000Z', 'Z');
  const expiresAt = new Date(issued + ttlSeconds * 1000).toISOString().replace('.000Z', 'Z');
  // Any runner_auth the caller left on the request is replaced; only its identity is kept (unless given).
  const { runner_auth: previous, ...fields } = request;
  const json = EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(fields));
  const identity = options.identity ?? previous?.identity ?? undefined;
  const unsigned = EvaluateRequestCodec.fromJSON({
    ...json,
    runner_auth: {
      algorithm: 'HMAC-SHA256',
      key_id: options.keyId,
      issued_at: issuedAt,
      expires_at: expiresAt,
      ...(identity ? { identity } : {}),
    },
  });
  const canonical = canonicalClaims(unsigned, { keyId: options.keyId, issuedAt, expiresAt });
  const signature = encodeSignature(createHmac('sha256', secret).update(canonical, 'utf8').digest());
  (unsigned.runner_auth as { signature: string }).signature = signature;
  return unsigned;
}

export interface SignRunnerIdentityOptions {
  /** Sent as `runner_auth.key_id` (not signed in this scheme); may be empty for an upstream daemon without one. */
  readonly keyId: string;
  /** The shared secret: bytes, or a string taken as its UTF-8 bytes. */
  readonly secret: Uint8Array | string;
  /** Runner identity to claim; default the request's `runner_auth.identity`. */
  readonly identity?: RunnerIdentityInit;
}

/**
 * Signs in upstream CAVRA's identity-only scheme (`cavra.runner-auth.v1`), for daemons that only know it: returns a
 * copy with `runner_auth` = algorithm `HMAC-SHA256`, the key id, the identity and the signature (HMAC-SHA256 over
 * `identityClaims`, 64 lower-case hex). Nothing of the request and no time bound is signed: anyone who sees the
 * signature can reuse it with any request. The request is validated first; an identity without provider or
 * repository is a RunnerAuthError `missing_claim` (upstream refuses it), a lone surrogate `bad_encoding`, a secret
 * shorter than MIN_SECRET_BYTES a TypeError.
 */
export function signRunnerIdentity(
  request: EvaluateRequestInit,
  options: SignRunnerIdentityOptions,
): EvaluateRequest {
  const secret = secretBytes(options.secret);
  const { runner_auth: previous, ...fields } = request;
  const json = EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(fields));
  const signed = EvaluateRequestCodec.fromJSON({
    ...json,
    runner_auth: {
      algorithm: 'HMAC-SHA256',
      key_id: options.keyId,
      identity: options.identity ?? previous?.identity ?? {},
    },
  });
  const identity = (signed.runner_auth?.identity ?? {}) as Partial<RunnerIdentity>;
  for (const field of ['provider', 'repository'] as const) {
    if (!identity[field]) throw new RunnerAuthError('missing_claim', `identity.${field} is required`);
  }
  const signature = createHmac('sha256', secret).update(identityClaims(identity), 'utf8').digest('hex');
  (signed.runner_auth as { signature: string }).signature = signature;
  return signed;
}

/**
 * The key as bytes. A missing or short secret is the runner's configuration error (typically an unset env var):
 * say so plainly instead of Node's argument error or a signature the daemon's keyring would never accept.
 */
function secretBytes(secret: unknown): Uint8Array {
  const bytes =
    typeof secret === 'string'
      ? Buffer.from(secret, 'utf8')
      : secret instanceof Uint8Array
        ? secret
        : undefined;
  if (bytes === undefined) {
    throw new TypeError(
      `secret must be a string or a Uint8Array, got ${secret === null ? 'null' : typeof secret}`,
    );
  }
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new TypeError(`secret is ${bytes.byteLength} bytes, shorter than ${MIN_SECRET_BYTES}`);
  }
  return bytes;
}

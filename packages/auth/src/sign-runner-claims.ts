import { createHmac } from 'node:crypto';
import {
  type EvaluateRequest,
  EvaluateRequestCodec,
  type EvaluateRequestInit,
  type RunnerIdentityInit,
} from '@cavra/contracts';
import { canonicalClaims } from './canonical-claims.js';
import { encodeSignature } from './hmac-signature.js';

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
 * surrogate is a RunnerAuthError `bad_encoding`.
 */
export function signRunnerClaims(
  request: EvaluateRequestInit,
  options: SignRunnerClaimsOptions,
): EvaluateRequest {
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
  const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
  const canonical = canonicalClaims(unsigned, { keyId: options.keyId, issuedAt, expiresAt });
  const signature = encodeSignature(createHmac('sha256', secret).update(canonical, 'utf8').digest());
  (unsigned.runner_auth as { signature: string }).signature = signature;
  return unsigned;
}

import { createHmac } from 'node:crypto';
import {
  type EvaluateRequest,
  EvaluateRequestCodec,
  type EvaluateRequestInit,
  type RunnerIdentityInit,
} from '@cavra/contracts';
import { canonicalClaims } from './canonical-claims.js';
import { encodeSignature } from './hmac-signature.js';
import { MIN_SECRET_BYTES } from './keyring.js';

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

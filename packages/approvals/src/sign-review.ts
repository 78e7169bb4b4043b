import { randomBytes } from 'node:crypto';
import { CompactSign, exportJWK } from 'jose';
import { type KeyInput, keyThumbprint, privateKeyOf, publicKeyOf, reviewAlgorithm } from './approver-key.js';
import { REVIEW_MAX_LIFETIME_SECONDS, REVIEW_TYP } from './review-limits.js';

/** What an approver decides. */
export interface ReviewInit {
  readonly request_id: string;
  readonly verdict: 'approve' | 'deny';
  /** `once`, `session` or `ttl:<duration>`; an approval without one grants `once`. */
  readonly scope?: string;
  readonly reason?: string;
  /** The approver's id: as listed in the group's `approvers`, or the ID token's identity claim. */
  readonly reviewer: string;
}

/** Options of `signReview`. */
export interface SignReviewOptions {
  /** Default: the key's RFC 7638 thumbprint (what `verifyReview` looks the key up by). */
  readonly kid?: string;
  /** The review's `iat`; default now. */
  readonly now?: Date;
  /** Seconds until the review expires, default 300, at most 600. */
  readonly lifetimeSeconds?: number;
  /**
   * OIDC: the approver's ID token, whose `nonce` is this (ephemeral) key's thumbprint. It goes in the protected header
   * `cavra_id_token`, with the key's public JWK as `jwk`, so the review proves both who signed and with what key.
   */
  readonly idToken?: string;
}

/**
 * Signs a review: a compact JWS, protected header `{ alg, kid, typ: 'cavra-approval-review+jws' }` (EdDSA for an
 * Ed25519 key, ES256 for a P-256 one), payload the review with `iat`, `exp` and a random 128-bit `jti`.
 */
export async function signReview(
  review: ReviewInit,
  privateKey: KeyInput,
  options: SignReviewOptions = {},
): Promise<string> {
  const key = privateKeyOf(privateKey);
  const alg = reviewAlgorithm(key);
  const lifetime = options.lifetimeSeconds ?? 300;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > REVIEW_MAX_LIFETIME_SECONDS)
    throw new TypeError(`lifetimeSeconds must be an integer from 1 to ${REVIEW_MAX_LIFETIME_SECONDS}`);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const payload = { ...review, iat, exp: iat + lifetime, jti: randomBytes(16).toString('base64url') };
  const kid = options.kid ?? (await keyThumbprint(key));
  const header = options.idToken
    ? { alg, kid, typ: REVIEW_TYP, jwk: await exportJWK(publicKeyOf(key)), cavra_id_token: options.idToken }
    : { alg, kid, typ: REVIEW_TYP };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(key);
}

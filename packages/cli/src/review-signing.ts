import { createPrivateKey, type KeyObject } from 'node:crypto';
import { keyThumbprint, parseScope, REVIEW_MAX_REASON, signReview } from '@cavra/approvals';
import { decodeJwt } from 'jose';
import { CliError, EXIT } from './cli-error.js';
import { readOwnerOnlyFile } from './owner-only-file.js';

/**
 * Who signs a review: `key`, a private key file (owner-only), and either `as`, the approver id the daemon's config
 * lists with that key's public half, or `idToken`, an OIDC ID token file whose `nonce` is the key's kid (the key is
 * then an ephemeral one, bound to the token; the identity is the token's).
 */
export interface ReviewSigner {
  readonly key: string;
  readonly as?: string;
  readonly idToken?: string;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNPRINTABLE = /[\u0000-\u001f\u007f]/;

/** The signing key: an unencrypted PEM private key, Ed25519 or P-256 (the review algorithms EdDSA and ES256). */
async function signingKey(path: string): Promise<KeyObject> {
  const pem = await readOwnerOnlyFile(path, 'the private key');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `${path}: not a PEM private key (${(error as Error).message})`);
  }
  const p256 = key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  if (key.asymmetricKeyType !== 'ed25519' && !p256)
    throw new CliError(EXIT.invalidInput, `${path}: an Ed25519 or P-256 key is required`);
  return key;
}

/** The ID token and the identity it names, once its nonce is checked to be `kid` (else the daemon would refuse it). */
async function boundIdToken(path: string, kid: string, as: string | undefined) {
  const token = (await readOwnerOnlyFile(path, 'the ID token')).trim();
  let claims: ReturnType<typeof decodeJwt>;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new CliError(EXIT.invalidInput, `${path}: not a JWT`);
  }
  if (claims.nonce !== kid) {
    throw new CliError(
      EXIT.invalidInput,
      `${path}: the ID token's nonce is not the key's kid ${kid}; ask the IdP for a token with nonce=${kid}`,
    );
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now())
    throw new CliError(
      EXIT.invalidInput,
      `${path}: the ID token expired at ${new Date(claims.exp * 1000).toISOString()}`,
    );
  const reviewer = as ?? (typeof claims.email === 'string' ? claims.email : undefined);
  if (!reviewer)
    throw new CliError(EXIT.usage, `${path}: the ID token has no email claim; say who you are with --as`);
  return { token, reviewer };
}

/**
 * The signer's key and who it reviews as (its `as`, or its ID token's identity), checked as a review would be: a
 * console checks it once at start, before anyone asks it to sign.
 */
export async function reviewIdentity(signer: ReviewSigner) {
  const key = await signingKey(signer.key);
  const kid = await keyThumbprint(key);
  const bound = signer.idToken ? await boundIdToken(signer.idToken, kid, signer.as) : undefined;
  const reviewer = bound?.reviewer ?? signer.as;
  if (!reviewer)
    throw new CliError(EXIT.usage, '--as ID is required with --key (or an ID token with --id-token)');
  return { key, kid, reviewer, bound };
}

/**
 * A review of request `id`, signed (compact JWS, @cavra/approvals' `signReview`). Its scope and reason are checked
 * first (usage errors): the daemon would refuse them, and a person should learn why before anything is sent.
 */
export async function signedReview(
  review: { id: string; verdict: 'approve' | 'deny'; scope?: string; reason?: string },
  signer: ReviewSigner,
): Promise<string> {
  if (review.scope !== undefined) {
    try {
      parseScope(review.scope);
    } catch {
      throw new CliError(
        EXIT.usage,
        `--scope must be once, session or ttl:<duration> (e.g. ttl:30m), not ${JSON.stringify(review.scope)}`,
      );
    }
  }
  if (
    review.reason !== undefined &&
    (review.reason.length > REVIEW_MAX_REASON || UNPRINTABLE.test(review.reason))
  )
    throw new CliError(
      EXIT.usage,
      `--reason must be at most ${REVIEW_MAX_REASON} printable characters on one line`,
    );
  const { key, kid, reviewer, bound } = await reviewIdentity(signer);
  return signReview(
    {
      request_id: review.id,
      verdict: review.verdict,
      ...(review.scope !== undefined ? { scope: review.scope } : {}),
      ...(review.reason !== undefined ? { reason: review.reason } : {}),
      reviewer,
    },
    key,
    { kid, ...(bound ? { idToken: bound.token } : {}) },
  );
}

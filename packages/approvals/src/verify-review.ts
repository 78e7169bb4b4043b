import { createHash } from 'node:crypto';
import { isSafeIdentifier, isSafeName } from '@cavra/contracts';
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { ApprovalError } from './approval-error.js';
import type { VerifiedReview } from './approval-model.js';
import { parseScope } from './approval-scope.js';
import { type KeyInput, keyThumbprint, publicKeyOf } from './approver-key.js';
import type { OidcReviewVerifier } from './oidc-review-verifier.js';
import {
  REVIEW_MAX_LIFETIME_SECONDS,
  REVIEW_MAX_REASON,
  REVIEW_SKEW_SECONDS,
  REVIEW_TYP,
} from './review-limits.js';

/** An approver listed for a group: their id and public key (SPKI PEM or KeyObject). */
export interface ApproverKey {
  readonly id: string;
  readonly publicKey: KeyInput;
}

/** Approvers by group name (the daemon's `approvals.groups.<name>.approvers`). */
export type ApproverGroups = Readonly<Record<string, readonly ApproverKey[]>>;

/** Options of `verifyReview`. */
export interface VerifyReviewOptions {
  readonly approvers: ApproverGroups;
  /** Accept OIDC reviews, verified by this verifier; without it they are `token_invalid`. */
  readonly oidc?: OidcReviewVerifier;
  /** Default now. */
  readonly now?: Date;
  /** The jtis already used (a set, or the store's `seenJti`): a review with one is `replayed_review`. */
  readonly seenJti?: ReadonlySet<string> | ((jti: string) => boolean | Promise<boolean>);
}

// Only these: no `none`, no HMAC (whoever holds a shared secret could sign as any approver), one curve each.
const ALGORITHMS = ['EdDSA', 'ES256'];
// A review with its ID token is a few kilobytes; more is not a review.
const MAX_REVIEW_BYTES = 16_384;
const JTI = /^[A-Za-z0-9_-]{16,64}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: a reason must be printable; these it may not hold.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const FIELDS = new Set(['request_id', 'verdict', 'scope', 'reason', 'reviewer', 'iat', 'exp', 'jti']);

/**
 * Verifies a review JWS (`signReview`) and returns it as a `VerifiedReview`, or throws ApprovalError:
 * - `invalid_review`: not a compact JWS of type `cavra-approval-review+jws`, a payload field missing, malformed or
 *   unknown, a lifetime (exp - iat) over 10 minutes;
 * - `bad_signature`: an algorithm other than EdDSA and ES256 (`none` and HS256 included), a signature that does
 *   not verify with the key its `kid` names;
 * - `unknown_approver`: no listed approver key has the `kid`, or the key is not listed for the `reviewer`;
 * - `token_expired` (exp passed, 60 s of skew), `token_invalid` (issued in the future; for an OIDC review, an ID
 *   token that does not verify, is not bound to the review key by its `nonce`, or names someone else);
 * - `replayed_review`: its jti was seen.
 * With an approver key the groups are those listing that key for that id; with OIDC, the ID token's groups claim.
 * The request's group, the requester and the scope's limits are `applyReview`'s to check.
 */
export async function verifyReview(jws: string, options: VerifyReviewOptions): Promise<VerifiedReview> {
  const now = options.now ?? new Date();
  if (typeof jws !== 'string' || jws.length > MAX_REVIEW_BYTES)
    throw new ApprovalError(
      'invalid_review',
      `a review is a compact JWS of at most ${MAX_REVIEW_BYTES} bytes`,
    );
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new ApprovalError('invalid_review', 'the review is not a compact JWS');
  }
  if (header.typ !== REVIEW_TYP)
    throw new ApprovalError('invalid_review', `the review's typ is not ${REVIEW_TYP}`);
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg))
    throw new ApprovalError('bad_signature', 'a review is signed with EdDSA or ES256');
  if (typeof header.kid !== 'string' || header.kid === '')
    throw new ApprovalError('invalid_review', 'the review names no kid');
  const verified =
    header.cavra_id_token === undefined
      ? await byApproverKey(jws, header.kid, header.alg, options.approvers)
      : await byOidc(jws, header, options.oidc);
  const payload = reviewPayload(verified.payload);
  checkTimes(payload.iat, payload.exp, now);
  if (await seen(options.seenJti, payload.jti)) throw new ApprovalError('replayed_review');
  const groups = verified.groupsOf(payload.reviewer);
  return {
    ...payload,
    groups,
    method: verified.method,
    kid: header.kid,
    ...(verified.method === 'key' ? { jws } : { id_token: verified.idToken }),
  };
}

interface Verified {
  readonly payload: Uint8Array;
  readonly method: 'key' | 'oidc';
  /** The groups of the reviewer the payload names; throws when the signer is not that reviewer. */
  readonly groupsOf: (reviewer: string) => string[];
  readonly idToken?: VerifiedReview['id_token'];
}

async function byApproverKey(
  jws: string,
  kid: string,
  alg: string,
  groups: ApproverGroups,
): Promise<Verified> {
  const listed: { group: string; approver: ApproverKey }[] = [];
  for (const [group, approvers] of Object.entries(groups)) {
    for (const approver of approvers) {
      if ((await keyThumbprint(approver.publicKey)) === kid) listed.push({ group, approver });
    }
  }
  const first = listed[0];
  if (!first) throw new ApprovalError('unknown_approver');
  const { payload } = await compactVerify(jws, publicKeyOf(first.approver.publicKey), {
    algorithms: [alg],
  }).catch(() => {
    throw new ApprovalError('bad_signature');
  });
  return {
    payload,
    method: 'key',
    groupsOf(reviewer) {
      const mine = listed.filter(({ approver }) => approver.id === reviewer).map(({ group }) => group);
      if (mine.length === 0)
        throw new ApprovalError('unknown_approver', 'the review key is not listed for this reviewer');
      return mine;
    },
  };
}

async function byOidc(
  jws: string,
  header: ReturnType<typeof decodeProtectedHeader>,
  oidc: OidcReviewVerifier | undefined,
): Promise<Verified> {
  if (!oidc)
    throw new ApprovalError('token_invalid', 'OIDC reviews are not accepted: no OIDC issuer is configured');
  const idToken = header.cavra_id_token;
  const jwk = header.jwk as JWK | undefined;
  if (typeof idToken !== 'string' || typeof jwk !== 'object' || jwk === null)
    throw new ApprovalError('invalid_review', 'an OIDC review carries cavra_id_token and its key as jwk');
  let thumbprint: string;
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    key = await importJWK(jwk, header.alg);
  } catch {
    throw new ApprovalError('invalid_review', 'the review’s jwk is not a public key');
  }
  if (thumbprint !== header.kid || 'd' in jwk)
    throw new ApprovalError('invalid_review', 'the review’s kid is not its jwk’s thumbprint');
  const { payload } = await compactVerify(jws, key, { algorithms: [header.alg as string] }).catch(() => {
    throw new ApprovalError('bad_signature');
  });
  const approver = await oidc.verify(idToken);
  // The OpenPubkey binding: the issuer signed a token whose nonce names this very key.
  if (approver.claims.nonce !== thumbprint)
    throw new ApprovalError('token_invalid', 'the ID token’s nonce is not the review key’s thumbprint');
  return {
    payload,
    method: 'oidc',
    groupsOf(reviewer) {
      if (reviewer !== approver.identity)
        throw new ApprovalError('token_invalid', 'the ID token names another reviewer');
      return [...approver.groups];
    },
    idToken: {
      issuer: String(approver.claims.iss),
      subject: typeof approver.claims.sub === 'string' ? approver.claims.sub : '',
      sha256: createHash('sha256').update(idToken, 'utf8').digest('hex'),
      exp: Number(approver.claims.exp),
    },
  };
}

type ReviewPayload = Omit<VerifiedReview, 'groups' | 'method' | 'kid' | 'jws' | 'id_token'>;

function reviewPayload(bytes: Uint8Array): ReviewPayload {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ApprovalError('invalid_review', 'the review payload is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ApprovalError('invalid_review', 'the review payload is not an object');
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).find((name) => !FIELDS.has(name));
  if (unknown !== undefined)
    throw new ApprovalError('invalid_review', 'the review payload has a field a review does not have');
  const { request_id, verdict, scope, reason, reviewer, iat, exp, jti } = fields;
  const bad = (what: string) => new ApprovalError('invalid_review', `the review's ${what}`);
  if (typeof request_id !== 'string' || !isSafeIdentifier(request_id)) throw bad('request_id is not an id');
  if (verdict !== 'approve' && verdict !== 'deny') throw bad('verdict is not approve or deny');
  if (typeof reviewer !== 'string' || reviewer === '' || !isSafeName(reviewer))
    throw bad('reviewer is not a name');
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) throw bad('iat and exp are not integers');
  if (typeof jti !== 'string' || !JTI.test(jti)) throw bad('jti is not 16 to 64 base64url characters');
  if (scope !== undefined && typeof scope !== 'string') throw bad('scope is not a string');
  if (typeof scope === 'string') parseScope(scope);
  if (
    reason !== undefined &&
    (typeof reason !== 'string' || reason.length > REVIEW_MAX_REASON || CONTROL.test(reason))
  )
    throw bad(`reason is not printable text of at most ${REVIEW_MAX_REASON} characters`);
  return {
    request_id,
    verdict,
    ...(scope === undefined ? {} : { scope }),
    ...(reason === undefined ? {} : { reason: reason as string }),
    reviewer,
    iat: iat as number,
    exp: exp as number,
    jti,
  };
}

function checkTimes(iat: number, exp: number, now: Date): void {
  if (exp <= iat) throw new ApprovalError('invalid_review', 'the review expires before it is issued');
  if (exp - iat > REVIEW_MAX_LIFETIME_SECONDS)
    throw new ApprovalError(
      'invalid_review',
      `a review lives at most ${REVIEW_MAX_LIFETIME_SECONDS} seconds`,
    );
  const seconds = now.getTime() / 1000;
  if (iat > seconds + REVIEW_SKEW_SECONDS)
    throw new ApprovalError('token_invalid', 'the review is issued in the future');
  if (exp + REVIEW_SKEW_SECONDS <= seconds)
    throw new ApprovalError('token_expired', 'the review has expired');
}

async function seen(seenJti: VerifyReviewOptions['seenJti'], jti: string): Promise<boolean> {
  if (!seenJti) return false;
  return typeof seenJti === 'function' ? seenJti(jti) : seenJti.has(jti);
}

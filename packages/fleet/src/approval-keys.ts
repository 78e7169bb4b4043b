/**
 * Where the fleet approval store keeps each thing in the `cavra_approvals` bucket, and the subject it tells
 * requesters on. NATS KV keys allow only `[-/_=.a-zA-Z0-9]` and a `.` separates subject tokens, so request ids and
 * jtis (any safe identifier) are written base64url; fingerprints are hex and written as they are.
 */

/**
 * Prefix of the requests' keys: `req.<request id>.<revision>` → the request's `ApprovalState` at that revision, each
 * created once. A change is the creation of the next revision's key, not a compare-and-set update of one key:
 * nats-server 2.9 (2.9.10 measured) lets every one of ten concurrent updates expecting the same revision of a key
 * succeed on a replicated stream, while concurrent creates of one key give one winner. The latest revision is the
 * state.
 */
export const REQUEST_KEYS = 'req';
/** Prefix of the used reviews' keys: `jti.<jti>` → `{ until_ms }`, created once (a replay finds it). */
export const JTI_KEYS = 'jti';
/** Prefix of the grant index: `grant.<fingerprint>.<request id>` → the grant, read by a retry of the action. */
export const GRANT_KEYS = 'grant';
/** Every outcome's state is published to `cavra.approvals.outcome.<request id as in its key>` (best effort). */
export const OUTCOME_SUBJECT_PREFIX = 'cavra.approvals.outcome';

/**
 * How long a key of the approvals bucket stays after its last write (the bucket's max_age): 30 days. The bucket
 * holds requests (24 h for CI by default, longer if configured) and grants (8 h by default after their approval), so
 * the reviews' 10 minutes cannot bound it; a request or grant older than this reads as unknown (refused, never an
 * allow), and a review id kept that long is long past its expiry.
 */
export const APPROVALS_MAX_AGE_MS = 30 * 24 * 3600 * 1000;

/** A request id or jti as one key token. */
export function keyToken(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

export function requestKey(requestId: string, revision: number): string {
  return `${REQUEST_KEYS}.${keyToken(requestId)}.${revision}`;
}

/** Every revision's key of a request (a key filter). */
export function requestKeys(requestId: string): string {
  return `${REQUEST_KEYS}.${keyToken(requestId)}.*`;
}

export function jtiKey(jti: string): string {
  return `${JTI_KEYS}.${keyToken(jti)}`;
}

export function grantKey(fingerprint: string, requestId: string): string {
  return `${GRANT_KEYS}.${fingerprint}.${keyToken(requestId)}`;
}

export function outcomeSubject(requestId: string): string {
  return `${OUTCOME_SUBJECT_PREFIX}.${keyToken(requestId)}`;
}

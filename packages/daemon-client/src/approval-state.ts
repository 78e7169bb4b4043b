import { isRfc3339Utc, isSafeIdentifier } from '@cavra/contracts';
import { DaemonClientError } from './daemon-client-error.js';

// The approval records the daemon's approval frames carry (v1), in their wire form (snake_case, as in the evidence
// log). The model and its rules are @cavra/approvals'; the client only checks that an answer has this shape, so
// that a caller never acts on (or prints as fact) an answer that is not one.

/** Who asked for the action that needs approval. `runner` only when the request was runner-authenticated. */
export interface ApprovalRequester {
  readonly actor: string;
  readonly agent_id: string;
  readonly session_id: string;
  readonly runner?: { readonly key_id: string; readonly identity?: Readonly<Record<string, unknown>> };
}

/** The action awaiting approval, as the engine's `require_approval` decision named it. */
export interface ApprovalAction {
  readonly action_type: string;
  readonly target: string;
  readonly operation: string;
  readonly policy_id: string;
  readonly rule_id: string;
  readonly severity: string;
  readonly reason: string;
}

/** An approval request: created once per `require_approval` decision (`request_id` is its decision id). */
export interface ApprovalRequest {
  readonly request_id: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly requester: ApprovalRequester;
  readonly action: ApprovalAction;
  readonly approver_group: string;
  readonly threshold: number;
  readonly scopes: readonly string[];
  readonly max_ttl_seconds: number;
  /** Hex SHA-256 of the action (what a retry must match to use a grant). */
  readonly fingerprint: string;
}

export type ApprovalStatus = 'approved' | 'denied' | 'expired';

/** What a grant from an approved request allows: `once` is used by exactly one decision (`consumed_by`). */
export interface ApprovalGrant {
  readonly request_id: string;
  readonly fingerprint: string;
  readonly scope: 'once' | 'session' | 'ttl';
  readonly session_id?: string;
  readonly expires_at: string;
  readonly consumed_by?: string;
}

/** How a request ended: who decided it (none for `expired`), the scope granted, and the grant it gives. */
export interface ApprovalOutcome {
  readonly status: ApprovalStatus;
  readonly decided_at: string;
  /** The reviewers whose reviews decided it. */
  readonly by: readonly string[];
  readonly scope?: string;
  readonly grant?: ApprovalGrant;
}

/**
 * A review the daemon accepted, as kept: who, what, how it was verified (`key`: an approver key listed in the
 * daemon's config, `jws` the review as sent; `oidc`: an ID token, of which only the hash and claims are kept).
 */
export interface ApprovalReview {
  readonly request_id: string;
  readonly verdict: 'approve' | 'deny';
  readonly scope?: string;
  readonly reason?: string;
  readonly reviewer: string;
  readonly groups: readonly string[];
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly method: 'key' | 'oidc';
  readonly kid: string;
  readonly jws?: string;
  readonly id_token?: {
    readonly issuer: string;
    readonly subject: string;
    readonly sha256: string;
    readonly exp: number;
  };
}

/**
 * One approval request with every review kept (signed reviews, as the daemon recorded them) and its outcome once
 * decided; `revision` grows with each change.
 */
export interface ApprovalState {
  readonly request: ApprovalRequest;
  readonly reviews: readonly ApprovalReview[];
  readonly outcome?: ApprovalOutcome;
  readonly revision: number;
}

/** `listApprovals` filter; `pending` means no outcome yet. */
export interface ApprovalFilter {
  readonly group?: string;
  readonly status?: 'pending' | ApprovalStatus;
}

/** The statuses `listApprovals` filters by. */
export const APPROVAL_STATUSES: readonly ('pending' | ApprovalStatus)[] = [
  'pending',
  'approved',
  'denied',
  'expired',
];
const GRANT_SCOPES = ['once', 'session', 'ttl'];
const FINGERPRINT = /^[0-9a-f]{64}$/;

/** A wire answer that is not an approval record: named by the path of the first wrong field. */
function invalid(path: string, problem: string): DaemonClientError {
  return new DaemonClientError('protocol_error', `the daemon's approval record: ${path} ${problem}`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(path, 'is not an object');
  return value as Record<string, unknown>;
}

function text(record: Record<string, unknown>, key: string, path: string, nonEmpty = false): string {
  const value = record[key];
  if (typeof value !== 'string' || (nonEmpty && value === ''))
    throw invalid(`${path}.${key}`, nonEmpty ? 'is not a non-empty string' : 'is not a string');
  return value;
}

function identifier(record: Record<string, unknown>, key: string, path: string): string {
  const value = text(record, key, path);
  if (!isSafeIdentifier(value)) throw invalid(`${path}.${key}`, 'is not a plain identifier');
  return value;
}

function timestamp(record: Record<string, unknown>, key: string, path: string): string {
  const value = text(record, key, path);
  if (!isRfc3339Utc(value)) throw invalid(`${path}.${key}`, 'is not an RFC 3339 UTC timestamp');
  return value;
}

function count(record: Record<string, unknown>, key: string, path: string, min: number): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min)
    throw invalid(`${path}.${key}`, `is not an integer of at least ${min}`);
  return value;
}

function strings(record: Record<string, unknown>, key: string, path: string): readonly string[] {
  const value = record[key];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === ''))
    throw invalid(`${path}.${key}`, 'is not a list of non-empty strings');
  return value as string[];
}

function checkRequest(value: unknown): ApprovalRequest {
  const request = object(value, 'request');
  identifier(request, 'request_id', 'request');
  timestamp(request, 'created_at', 'request');
  timestamp(request, 'expires_at', 'request');
  const requester = object(request.requester, 'request.requester');
  for (const key of ['actor', 'agent_id', 'session_id']) text(requester, key, 'request.requester');
  if (requester.runner !== undefined)
    identifier(object(requester.runner, 'request.requester.runner'), 'key_id', 'request.requester.runner');
  const action = object(request.action, 'request.action');
  for (const key of ['action_type', 'target', 'operation', 'policy_id', 'severity', 'reason'])
    text(action, key, 'request.action');
  text(action, 'rule_id', 'request.action', true);
  text(request, 'approver_group', 'request', true);
  count(request, 'threshold', 'request', 1);
  strings(request, 'scopes', 'request');
  count(request, 'max_ttl_seconds', 'request', 0);
  if (!FINGERPRINT.test(text(request, 'fingerprint', 'request')))
    throw invalid('request.fingerprint', 'is not a hex SHA-256');
  return request as unknown as ApprovalRequest;
}

function checkReview(value: unknown, path: string, requestId: string): void {
  const review = object(value, path);
  if (text(review, 'request_id', path) !== requestId)
    throw invalid(`${path}.request_id`, "is not the request's");
  if (!['approve', 'deny'].includes(text(review, 'verdict', path)))
    throw invalid(`${path}.verdict`, 'is not approve or deny');
  text(review, 'reviewer', path, true);
  if (!['key', 'oidc'].includes(text(review, 'method', path)))
    throw invalid(`${path}.method`, 'is not key or oidc');
  text(review, 'kid', path, true);
  for (const key of ['iat', 'exp']) count(review, key, path, 0);
}

function checkOutcome(value: unknown): ApprovalOutcome {
  const outcome = object(value, 'outcome');
  const status = text(outcome, 'status', 'outcome');
  if (!APPROVAL_STATUSES.includes(status as ApprovalStatus) || status === 'pending')
    throw invalid('outcome.status', 'is not approved, denied or expired');
  timestamp(outcome, 'decided_at', 'outcome');
  strings(outcome, 'by', 'outcome');
  if (outcome.scope !== undefined) text(outcome, 'scope', 'outcome', true);
  if (outcome.grant !== undefined) {
    if (status !== 'approved') throw invalid('outcome.grant', `is set on a ${status} outcome`);
    const grant = object(outcome.grant, 'outcome.grant');
    identifier(grant, 'request_id', 'outcome.grant');
    if (!GRANT_SCOPES.includes(text(grant, 'scope', 'outcome.grant')))
      throw invalid('outcome.grant.scope', 'is not once, session or ttl');
    timestamp(grant, 'expires_at', 'outcome.grant');
    if (grant.consumed_by !== undefined) identifier(grant, 'consumed_by', 'outcome.grant');
  }
  return outcome as unknown as ApprovalOutcome;
}

/**
 * Accepts a daemon's answer as an approval record when it has the wire shape above: every field of the request
 * (typed, timestamps RFC 3339 UTC, identifiers plain), reviews of this request (verdict, reviewer, method), an outcome (when present) with a
 * known status, a revision. With `requestId`, the record must be that request's. Anything else is `protocol_error`.
 */
export function checkApprovalState(json: unknown, requestId?: string): ApprovalState {
  const state = object(json, 'approval');
  const request = checkRequest(state.request);
  if (requestId !== undefined && request.request_id !== requestId)
    throw invalid('request.request_id', `is not the request asked about (${JSON.stringify(requestId)})`);
  if (!Array.isArray(state.reviews)) throw invalid('reviews', 'is not a list');
  for (const [index, review] of state.reviews.entries())
    checkReview(review, `reviews[${index}]`, request.request_id);
  if (state.outcome !== undefined) checkOutcome(state.outcome);
  count(state, 'revision', 'approval', 0);
  return state as unknown as ApprovalState;
}

/** The status an approval record is listed under: its outcome's, else `pending`. */
export function approvalStatus(state: ApprovalState): 'pending' | ApprovalStatus {
  return state.outcome?.status ?? 'pending';
}

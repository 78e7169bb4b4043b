import { isSafeIdentifier, isSafeName } from '@cavra/contracts';
import { actionFingerprint } from './action-fingerprint.js';
import {
  type ApprovalAction,
  type ApprovalRequest,
  type Requester,
  SCOPE_KINDS,
  type ScopeKind,
} from './approval-model.js';
import { instant } from './instant.js';

/** Defaults of a request: how long it waits for a review, by who asked. */
export const DEFAULT_EXPIRY_SECONDS = { interactive: 15 * 60, ci: 24 * 3600 } as const;
/** Default longest `ttl` grant, and life of a `session` grant: 8 hours. */
export const DEFAULT_MAX_TTL_SECONDS = 8 * 3600;
export const DEFAULT_SCOPES: readonly ScopeKind[] = SCOPE_KINDS;

/** What `newApprovalRequest` needs: the decision's parts and the approver group's settings. */
export interface ApprovalRequestInit {
  /** The decision_id of the `require_approval` decision. */
  readonly request_id: string;
  readonly requester: Requester;
  readonly action: ApprovalAction;
  readonly approver_group: string;
  /** Default 1. */
  readonly threshold?: number;
  /** Default every kind. */
  readonly scopes?: readonly ScopeKind[];
  /** Default DEFAULT_MAX_TTL_SECONDS. */
  readonly max_ttl_seconds?: number;
  /**
   * Seconds until the request expires, by who asked: `ci` when the requester carries a runner identity,
   * `interactive` otherwise. Default DEFAULT_EXPIRY_SECONDS.
   */
  readonly expiry?: { readonly interactive?: number; readonly ci?: number };
}

/**
 * A new request created at `now`, with its fingerprint and expiry. Throws TypeError for input no decision or
 * configuration can produce (a caller's bug): an id or group that is not a safe identifier or name, a threshold,
 * scope list or duration out of range.
 */
export function newApprovalRequest(init: ApprovalRequestInit, now: Date): ApprovalRequest {
  if (!isSafeIdentifier(init.request_id)) throw new TypeError('request_id must be a safe identifier');
  if (init.approver_group === '' || !isSafeName(init.approver_group))
    throw new TypeError('approver_group must be a non-empty single-line name');
  const threshold = init.threshold ?? 1;
  if (!Number.isInteger(threshold) || threshold < 1)
    throw new TypeError('threshold must be a positive integer');
  const scopes = [...new Set(init.scopes ?? DEFAULT_SCOPES)];
  if (scopes.length === 0 || scopes.some((kind) => !SCOPE_KINDS.includes(kind)))
    throw new TypeError(`scopes must be a non-empty list of ${SCOPE_KINDS.join(', ')}`);
  const maxTtl = positiveSeconds('max_ttl_seconds', init.max_ttl_seconds ?? DEFAULT_MAX_TTL_SECONDS);
  const ci = init.requester.runner !== undefined;
  const expiresIn = positiveSeconds(
    ci ? 'expiry.ci' : 'expiry.interactive',
    (ci ? init.expiry?.ci : init.expiry?.interactive) ?? DEFAULT_EXPIRY_SECONDS[ci ? 'ci' : 'interactive'],
  );
  const { requester, action } = init;
  return {
    request_id: init.request_id,
    created_at: instant(now),
    expires_at: instant(now.getTime() + expiresIn * 1000),
    requester,
    action,
    approver_group: init.approver_group,
    threshold,
    scopes: SCOPE_KINDS.filter((kind) => scopes.includes(kind)),
    max_ttl_seconds: maxTtl,
    fingerprint: actionFingerprint({ ...action, actor: requester.actor, agent_id: requester.agent_id }),
  };
}

function positiveSeconds(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new TypeError(`${name} must be a positive number of seconds`);
  return value;
}

import type { ApprovalRequest, ApprovalState, Grant } from './approval-model.js';
import type { Scope } from './approval-scope.js';
import { instant } from './instant.js';

/**
 * The grant an approval decided at `decidedAt` gives. A `session` grant holds in the requester's session until
 * `created_at` + max_ttl (a session has no end signal); a `ttl` grant for its duration from the decision; a `once`
 * grant, until used, no longer than a session grant.
 */
export function deriveGrant(request: ApprovalRequest, scope: Scope, decidedAt: Date): Grant {
  const sessionEnd = Date.parse(request.created_at) + request.max_ttl_seconds * 1000;
  const base = { request_id: request.request_id, fingerprint: request.fingerprint, scope: scope.kind };
  if (scope.kind === 'ttl')
    return { ...base, expires_at: instant(decidedAt.getTime() + (scope.ttlSeconds ?? 0) * 1000) };
  if (scope.kind === 'session')
    return { ...base, session_id: request.requester.session_id, expires_at: instant(sessionEnd) };
  return { ...base, expires_at: instant(sessionEnd) };
}

/** What a retry presents to use a grant. */
export interface GrantUse {
  readonly fingerprint: string;
  readonly session_id: string;
  readonly now: Date;
}

/**
 * True when `grant` lets this retry through: same fingerprint, not expired, the same session for a `session` grant,
 * not yet consumed for a `once` grant.
 */
export function grantAllows(grant: Grant, use: GrantUse): boolean {
  if (grant.fingerprint !== use.fingerprint) return false;
  if (use.now.getTime() >= Date.parse(grant.expires_at)) return false;
  if (grant.scope === 'session' && grant.session_id !== use.session_id) return false;
  return grant.scope !== 'once' || grant.consumed_by === undefined;
}

/**
 * The grant of a state that lets this retry through, if any (`findGrant` over a store's states uses it).
 */
export function usableGrant(state: ApprovalState, use: GrantUse): Grant | undefined {
  const grant = state.outcome?.status === 'approved' ? state.outcome.grant : undefined;
  return grant && grantAllows(grant, use) ? grant : undefined;
}

/**
 * The state with its `once` grant consumed by `decisionId`, or undefined when it has no grant this decision can
 * consume (another decision consumed it, or it is not a `once` grant: those are used, not consumed).
 */
export function consumeOnceGrant(
  state: ApprovalState,
  decisionId: string,
  now: Date,
): ApprovalState | undefined {
  const outcome = state.outcome;
  const grant = outcome?.grant;
  if (!outcome || !grant || grant.scope !== 'once' || grant.consumed_by !== undefined) return undefined;
  if (now.getTime() >= Date.parse(grant.expires_at)) return undefined;
  return {
    ...state,
    outcome: { ...outcome, grant: { ...grant, consumed_by: decisionId } },
    revision: state.revision + 1,
  };
}

/**
 * What `ApprovalStore.consumeGrant` answers for `decisionId` at `now`, and the state to store when a `once` grant is
 * consumed: a `session` or `ttl` grant answers true until it expires; a `once` grant true for the one decision that
 * consumes it (again true for that same decision), false for every other; no grant, false. Every store applies it
 * under its own compare-and-set.
 */
export function useGrant(
  state: ApprovalState,
  decisionId: string,
  now: Date,
): { readonly next?: ApprovalState; readonly answer: boolean } {
  const grant = state.outcome?.grant;
  if (!grant) return { answer: false };
  if (grant.scope !== 'once') return { answer: now.getTime() < Date.parse(grant.expires_at) };
  if (grant.consumed_by !== undefined) return { answer: grant.consumed_by === decisionId };
  const next = consumeOnceGrant(state, decisionId, now);
  return next ? { next, answer: true } : { answer: false };
}

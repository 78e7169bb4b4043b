import { ApprovalError } from './approval-error.js';
import type { ApprovalState, Outcome, VerifiedReview } from './approval-model.js';
import { allowedScope, narrowerScope } from './approval-scope.js';
import { deriveGrant } from './grant.js';
import { instant } from './instant.js';
import { expireIfDue } from './request-expiry.js';

/**
 * What a review does to a state: the next state, and the refusal when the review was refused. A refused review is
 * not added to the state (the caller records it as evidence); the state may still change: a request found expired
 * gets its `expired` outcome.
 */
export interface ReviewResult {
  readonly state: ApprovalState;
  readonly refused?: ApprovalError;
}

/**
 * Applies a verified review to a state at `now`, by the rules of the model: one outcome per request; a deny decides
 * `denied` at once; approvals decide `approved` when distinct approvers reach the threshold, with the narrowest scope
 * among them. Refused: a review of another request (`wrong_request`), of an approved or denied one
 * (`already_decided`) or an expired one (`request_expired`), by someone outside the approver group
 * (`not_in_group`), by the requester or the requester's runner actor (`self_review`), a second review by the same
 * reviewer (`duplicate_review`), a scope the request does not allow (`invalid_scope`). Identities compare case-insensitively: `Alice@example.com` is
 * `alice@example.com` (to refuse too much, never too little).
 */
export function applyReview(state: ApprovalState, review: VerifiedReview, now: Date): ReviewResult {
  const { request } = state;
  const refuse = (code: ConstructorParameters<typeof ApprovalError>[0]) => ({
    state,
    refused: new ApprovalError(code),
  });
  if (review.request_id !== request.request_id) return refuse('wrong_request');
  if (state.outcome)
    return refuse(state.outcome.status === 'expired' ? 'request_expired' : 'already_decided');
  const expired = expireIfDue(state, now);
  if (expired.outcome) return { state: expired, refused: new ApprovalError('request_expired') };
  if (!review.groups.includes(request.approver_group)) return refuse('not_in_group');
  const reviewer = same(review.reviewer);
  const runnerActor = request.requester.runner?.identity?.actor;
  if (reviewer === same(request.requester.actor) || (runnerActor && reviewer === same(runnerActor)))
    return refuse('self_review');
  if (state.reviews.some((earlier) => same(earlier.reviewer) === reviewer)) return refuse('duplicate_review');
  if (review.verdict === 'approve') {
    try {
      allowedScope(review.scope ?? 'once', request);
    } catch (error) {
      return { state, refused: error as ApprovalError };
    }
  }
  const reviews = [...state.reviews, review];
  const outcome = decide(state, reviews, now);
  return { state: { ...state, reviews, outcome, revision: state.revision + 1 } };
}

function decide(state: ApprovalState, reviews: readonly VerifiedReview[], now: Date): Outcome | undefined {
  const decidedAt = instant(now);
  const denial = reviews.find((review) => review.verdict === 'deny');
  if (denial) return { status: 'denied', decided_at: decidedAt, by: [denial.reviewer] };
  const approvals = reviews.filter((review) => review.verdict === 'approve');
  if (approvals.length < state.request.threshold) return undefined;
  const scope = approvals
    .map((review) => allowedScope(review.scope ?? 'once', state.request))
    .reduce(narrowerScope);
  return {
    status: 'approved',
    decided_at: decidedAt,
    by: approvals.map((review) => review.reviewer),
    scope: scope.text,
    grant: deriveGrant(state.request, scope, now),
  };
}

function same(identity: string): string {
  return identity.normalize('NFC').toLowerCase();
}

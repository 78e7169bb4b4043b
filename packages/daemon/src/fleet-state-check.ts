import { isDeepStrictEqual } from 'node:util';
import {
  ApprovalError,
  type ApprovalRequest,
  type ApprovalState,
  applyReview,
  expireIfDue,
  type Outcome,
  verifyReview,
} from '@cavra/approvals';
import type { ReviewVerification } from './approval-verification.js';

/**
 * A state read from the fleet store whose outcome does not follow from reviews this daemon verified: any holder of a
 * fleet daemon's NATS credentials can write the bucket, so what it holds counts only once re-derived here. `problem`
 * names what failed, in words that hold no key, token or signature.
 */
export class UnverifiableApproval extends Error {
  readonly requestId: string;
  readonly problem: string;

  constructor(requestId: string, problem: string) {
    super(`approval request ${requestId} cannot be verified: ${problem}; nothing was approved`);
    this.name = 'UnverifiableApproval';
    this.requestId = requestId;
    this.problem = problem;
  }
}

/**
 * Re-derives a stored state from the request this daemon created (`own`, as it was created) and the stored reviews,
 * each verified again with this daemon's approver keys (`verifyReview`) and applied in order (`applyReview`:
 * group, self-review, duplicates, scope, threshold, deny wins), and returns the state as derived, or throws
 * UnverifiableApproval. The review that decided is verified and applied at the outcome's `decided_at` (so the grant
 * it derives is the stored one, and `decided_at` lies within that review's signed lifetime); the earlier ones at their
 * own `iat`. The stored outcome must be the derived one, but for the `once` grant's `consumed_by` (the daemons'
 * write), which is kept. OIDC reviews are refused: the store keeps only their ID token's hash, so no daemon can
 * verify them again (docs/approvals.md, "The fleet store").
 */
export async function recheckFleetState(
  stored: ApprovalState,
  own: ApprovalRequest,
  verification: ReviewVerification,
): Promise<ApprovalState> {
  const id = own.request_id;
  const problem = (words: string) => new UnverifiableApproval(id, words);
  if (!isDeepStrictEqual(stored.request, own))
    throw problem('the stored request is not the one this daemon created');
  const decided = stored.outcome?.status === 'expired' ? undefined : stored.outcome;
  let state: ApprovalState = { request: own, reviews: [], revision: 0 };
  for (const [index, review] of stored.reviews.entries()) {
    const which = `review ${index + 1}`;
    if (review.method !== 'key' || typeof review.jws !== 'string')
      throw problem(`${which} is not an approver-key review (OIDC reviews cannot be verified again)`);
    const at =
      decided && index === stored.reviews.length - 1
        ? new Date(decided.decided_at)
        : new Date(review.iat * 1000);
    let verified: Awaited<ReturnType<typeof verifyReview>>;
    try {
      verified = await verifyReview(review.jws, { ...verification, now: at });
    } catch (error) {
      throw problem(`${which} does not verify (${codeOf(error)})`);
    }
    const result = applyReview(state, verified, at);
    if (result.refused) throw problem(`${which} is refused (${result.refused.code})`);
    state = result.state;
  }
  if (stored.outcome?.status === 'expired') state = expireIfDue(state, new Date(stored.outcome.decided_at));
  if (!isDeepStrictEqual(state.outcome, unconsumed(stored.outcome)))
    throw problem(
      (stored.outcome?.status ?? 'pending') === (state.outcome?.status ?? 'pending')
        ? `its ${stored.outcome?.status} outcome is not the one its reviews give`
        : `its outcome (${stored.outcome?.status ?? 'pending'}) does not follow from its reviews (${state.outcome?.status ?? 'pending'})`,
    );
  return { ...state, ...(stored.outcome ? { outcome: stored.outcome } : {}), revision: stored.revision };
}

function unconsumed(outcome: Outcome | undefined): Outcome | undefined {
  if (!outcome?.grant || outcome.grant.consumed_by === undefined) return outcome;
  const { consumed_by: _, ...grant } = outcome.grant;
  return { ...outcome, grant };
}

function codeOf(error: unknown): string {
  return error instanceof ApprovalError ? error.code : 'invalid_review';
}

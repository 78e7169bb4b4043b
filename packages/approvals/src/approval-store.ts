import type {
  ApprovalRequest,
  ApprovalState,
  ApprovalStatus,
  Grant,
  VerifiedReview,
} from './approval-model.js';

/** Filters of `ApprovalStore.list`; all given must match. */
export interface ApprovalListFilter {
  readonly group?: string;
  readonly status?: ApprovalStatus;
}

/** Options of `ApprovalStore.waitForOutcome`. */
export interface WaitOptions {
  /** Resolve with the state as it is (pending) at this instant of the store's clock. */
  readonly deadline: Date;
  /** Reject with the signal's reason when aborted. */
  readonly signal?: AbortSignal;
}

/**
 * Where approval requests live: the daemon's local store, the fleet's key-value store. Every method is async and
 * every refusal an `ApprovalError`; a store that cannot be reached throws `store_unavailable` (the daemon answers
 * `block`). A pending request found past its expiry is given its `expired` outcome by whichever method reads it.
 * `approvalStoreConformance` (`@cavra/approvals/conformance`) holds what every implementation must do.
 */
export interface ApprovalStore {
  /** Stores a new request, exactly once per request_id: `exists` when one with that id is already there. */
  create(request: ApprovalRequest): Promise<'created' | 'exists'>;
  get(requestId: string): Promise<ApprovalState | undefined>;
  /** States in order of creation. */
  list(filter?: ApprovalListFilter): Promise<ApprovalState[]>;
  /**
   * Applies a verified review (`applyReview`) by compare-and-set on the state's revision, retried on conflict: two
   * racing reviews never produce two outcomes. Returns the new state; throws `unknown_request`, `replayed_review`
   * (its jti was seen) or the review's refusal.
   */
  review(requestId: string, review: VerifiedReview, now: Date): Promise<ApprovalState>;
  /** True when a review with this jti was submitted and has not expired (pass to `verifyReview`'s `seenJti`). */
  seenJti(jti: string): Promise<boolean>;
  /** The state once it has an outcome, or as it is at the deadline; throws `unknown_request`. */
  waitForOutcome(requestId: string, options: WaitOptions): Promise<ApprovalState>;
  /**
   * A grant that lets a retry of this action in this session through at `now` (`grantAllows`); `session` and `ttl`
   * grants are preferred to an unused `once` grant, which a use consumes.
   */
  findGrant(fingerprint: string, sessionId: string, now: Date): Promise<Grant | undefined>;
  /**
   * Uses the request's grant for `decisionId`: a `once` grant is consumed by exactly one decision (ten racing
   * callers: one true, nine false); a `session` or `ttl` grant is true while it has not expired. False when the
   * request has no grant or it is spent or expired.
   */
  consumeGrant(requestId: string, decisionId: string): Promise<boolean>;
  close(): Promise<void>;
}

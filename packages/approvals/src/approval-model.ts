/**
 * The approvals model as it travels (daemon frames, the store's journal, evidence): snake_case, JSON-safe, every
 * instant an RFC 3339 UTC string.
 */

/** The kinds of grant a review may give, narrowest first. */
export const SCOPE_KINDS = ['once', 'session', 'ttl'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

/** A runner that authenticated the request (CI): its key id and, when verified, its identity (`actor` at least). */
export interface RequesterRunner {
  readonly key_id: string;
  readonly identity?: { readonly actor?: string; readonly [field: string]: string | undefined };
}

/** Who asked. */
export interface Requester {
  readonly actor: string;
  readonly agent_id: string;
  readonly session_id: string;
  readonly runner?: RequesterRunner;
}

/** What was asked, from the `require_approval` decision. */
export interface ApprovalAction {
  readonly action_type: string;
  readonly target: string;
  readonly operation: string;
  readonly policy_id: string;
  readonly rule_id: string;
  readonly severity: string;
  readonly reason: string;
}

/** A request for approval: created once per `require_approval` decision, never changed. */
export interface ApprovalRequest {
  /** The decision_id of the `require_approval` decision that created it. */
  readonly request_id: string;
  readonly created_at: string;
  readonly expires_at: string;
  readonly requester: Requester;
  readonly action: ApprovalAction;
  readonly approver_group: string;
  /** Distinct approvals needed. */
  readonly threshold: number;
  /** Scope kinds an approver may grant. */
  readonly scopes: readonly ScopeKind[];
  /** Longest `ttl` (and the life of a `session` grant), in seconds. */
  readonly max_ttl_seconds: number;
  /** `actionFingerprint()` of the action: what a retry must match to use the grant. */
  readonly fingerprint: string;
}

/**
 * A review whose signature, identity and time were verified (`verifyReview`). As kept in a state it is the record
 * of the review: an approver-key review keeps its JWS as sent (anyone can verify it again with the approver's public
 * key); an OIDC review keeps the ID token's hash and claims instead of its JWS, since the ID token inside is a bearer
 * credential until it expires.
 */
export interface VerifiedReview {
  readonly request_id: string;
  readonly verdict: 'approve' | 'deny';
  /** `once`, `session` or `ttl:<duration>`; an approval without one grants `once`. */
  readonly scope?: string;
  readonly reason?: string;
  readonly reviewer: string;
  /** The approver groups the reviewer's identity belongs to (the key's listing, or the ID token's groups claim). */
  readonly groups: readonly string[];
  readonly jti: string;
  /** Seconds since the epoch, as signed. */
  readonly iat: number;
  readonly exp: number;
  readonly method: 'key' | 'oidc';
  /** RFC 7638 thumbprint of the key that signed the review. */
  readonly kid: string;
  /** The review as sent (method `key`). */
  readonly jws?: string;
  /** The ID token's issuer, subject, hex SHA-256 and expiry (method `oidc`). */
  readonly id_token?: {
    readonly issuer: string;
    readonly subject: string;
    readonly sha256: string;
    readonly exp: number;
  };
}

/** A review as kept in a state: every accepted review, in order. */
export type SignedReview = VerifiedReview;

/** A grant an approved outcome gives: what lets a retry of the same action through. */
export interface Grant {
  readonly request_id: string;
  readonly fingerprint: string;
  readonly scope: ScopeKind;
  /** The requester's session (scope `session`): the grant holds in that session only. */
  readonly session_id?: string;
  readonly expires_at: string;
  /** The decision that used a `once` grant. */
  readonly consumed_by?: string;
}

export type OutcomeStatus = 'approved' | 'denied' | 'expired';

/** How a request ended. */
export interface Outcome {
  readonly status: OutcomeStatus;
  readonly decided_at: string;
  /** The reviewers who decided it (none for `expired`). */
  readonly by: readonly string[];
  /** The granted scope as reviewed (`once`, `session`, `ttl:2h`), when approved. */
  readonly scope?: string;
  readonly grant?: Grant;
}

/** A request, its reviews and its outcome; `revision` grows by one at each change (compare-and-set). */
export interface ApprovalState {
  readonly request: ApprovalRequest;
  readonly reviews: readonly SignedReview[];
  readonly outcome?: Outcome;
  readonly revision: number;
}

export type ApprovalStatus = 'pending' | OutcomeStatus;

/** Every status a state can be listed under: `pending` (no outcome yet), then the outcomes'. */
export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired'];

/** A state's status. */
export function approvalStatus(state: ApprovalState): ApprovalStatus {
  return state.outcome?.status ?? 'pending';
}

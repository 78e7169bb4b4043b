// `@cavra/approvals/wire`: the approval records as they travel and their check, for clients of the daemon (the
// hooks, the CLI). It loads neither jose nor the resolution and signing code of the main entry.
export {
  APPROVAL_STATUSES,
  type ApprovalAction,
  type ApprovalRequest,
  type ApprovalState,
  type ApprovalStatus,
  approvalStatus,
  type Grant,
  type Outcome,
  type OutcomeStatus,
  type Requester,
  type RequesterRunner,
  SCOPE_KINDS,
  type ScopeKind,
  type SignedReview,
  type VerifiedReview,
} from './approval-model.js';
export {
  type ApprovalStateProblem,
  checkApprovalState,
  findApprovalStateProblem,
} from './approval-state-check.js';

export { actionFingerprint, type FingerprintInput } from './action-fingerprint.js';
export { applyReview, type ReviewResult } from './apply-review.js';
export {
  APPROVAL_ERROR_CODES,
  ApprovalError,
  type ApprovalErrorCode,
  isApprovalErrorCode,
} from './approval-error.js';
export {
  type ApprovalRequestInit,
  DEFAULT_EXPIRY_SECONDS,
  DEFAULT_MAX_TTL_SECONDS,
  DEFAULT_SCOPES,
  newApprovalRequest,
} from './approval-request.js';
export { allowedScope, narrowerScope, parseScope, type Scope } from './approval-scope.js';
export type { ApprovalListFilter, ApprovalStore, WaitOptions } from './approval-store.js';
export {
  type ApproverKeyPair,
  generateApproverKey,
  type KeyInput,
  keyThumbprint,
  type ReviewAlgorithm,
} from './approver-key.js';
export { parseDuration } from './duration.js';
export {
  consumeOnceGrant,
  deriveGrant,
  type GrantUse,
  grantAllows,
  usableGrant,
  useGrant,
} from './grant.js';
export {
  createMemoryApprovalStore,
  type MemoryApprovalStore,
  type MemoryApprovalStoreOptions,
} from './memory-approval-store.js';
export {
  createOidcReviewVerifier,
  type OidcApprover,
  type OidcReviewConfig,
  type OidcReviewVerifier,
} from './oidc-review-verifier.js';
export { expireIfDue } from './request-expiry.js';
export {
  REVIEW_MAX_LIFETIME_SECONDS,
  REVIEW_MAX_REASON,
  REVIEW_SKEW_SECONDS,
  REVIEW_TYP,
} from './review-limits.js';
export { type ReviewInit, type SignReviewOptions, signReview } from './sign-review.js';
export {
  type ApproverGroups,
  type ApproverKey,
  type VerifyReviewOptions,
  verifyReview,
} from './verify-review.js';
// The model and its wire check, also the light entry `@cavra/approvals/wire`.
export * from './wire.js';

import { shareInstanceof } from '@cavra/contracts';

/**
 * Every refusal of the approvals model, with its public-safe default message: the one table the daemon's error
 * frames, the CLI's output and the evidence's `approval_review_refused` records name.
 */
export const APPROVAL_ERROR_CODES = {
  unknown_request: 'no approval request has this id',
  request_expired: 'the approval request has expired',
  already_decided: 'the approval request is already decided',
  not_in_group: 'the reviewer is not an approver of the request’s group',
  self_review: 'the requester cannot review their own request',
  duplicate_review: 'the reviewer has already reviewed this request',
  wrong_request: 'the review is for another request',
  invalid_scope: 'the scope is not one of once, session, ttl:<duration> allowed for this request',
  bad_signature: 'the review signature does not verify',
  unknown_approver: 'the review is signed by no listed approver key',
  token_expired: 'the review or its identity token has expired',
  token_invalid: 'the review’s identity token is not valid',
  replayed_review: 'this review was already submitted',
  store_unavailable: 'the approval store cannot be reached',
  invalid_review: 'the review is malformed',
} as const;

export type ApprovalErrorCode = keyof typeof APPROVAL_ERROR_CODES;

/**
 * A refused approval operation. The message is public-safe: a fixed text of the table, or one given by this package
 * naming only identifiers it validated; never a key, a token or a signature.
 */
export class ApprovalError extends Error {
  readonly code: ApprovalErrorCode;

  constructor(code: ApprovalErrorCode, message: string = APPROVAL_ERROR_CODES[code]) {
    super(message);
    this.name = 'ApprovalError';
    this.code = code;
  }
}
shareInstanceof(ApprovalError, '@cavra/approvals.ApprovalError');

/** True when `value` is one of the table's codes (for codes read back from the wire or evidence). */
export function isApprovalErrorCode(value: unknown): value is ApprovalErrorCode {
  return typeof value === 'string' && Object.hasOwn(APPROVAL_ERROR_CODES, value);
}

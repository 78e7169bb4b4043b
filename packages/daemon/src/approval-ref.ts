/** Scheme of the reference an answer carries to the approval request it concerns: `cavra-approval://<request id>`. */
export const APPROVAL_REF_SCHEME = 'cavra-approval';

export function approvalRef(requestId: string): string {
  return `${APPROVAL_REF_SCHEME}://${requestId}`;
}

/**
 * Rule ids of the answers approvals give in place of the engine's `require_approval` (its policy id, severity and
 * approver group are kept). Only `granted` allows: it needs an approved request's grant for this very action.
 */
export const APPROVAL_RULE_IDS = {
  granted: 'approval.granted',
  denied: 'approval.denied',
  expired: 'approval.expired',
  pending: 'approval.pending',
  /** The request was approved with a `once` grant that another decision of the same action used first. */
  consumed: 'approval.consumed',
  unavailable: 'approval.unavailable',
  /** The fleet store holds an outcome that does not follow from reviews this daemon can verify (a forged state). */
  unverifiable: 'approval.unverifiable',
} as const;

import { isSafeIdentifier, type PlainDecisionResponse } from '@cavra/contracts/plain';

/** The evidence reference the daemon adds to a decision that has an approval request: `cavra-approval://<id>`. */
export const APPROVAL_REF_PREFIX = 'cavra-approval://';

/** The rule id of the daemon's block while an approval request waits for its reviews. */
export const APPROVAL_PENDING_RULE = 'approval.pending';

/**
 * The id of the approval request a decision carries (its `cavra-approval://<id>` evidence reference), or undefined
 * when it has none (a daemon without an `approvals:` section, or the in-process engine). An id that is not a plain
 * identifier is not one the CLI can name: it counts as none.
 */
export function approvalRequestId(decision: PlainDecisionResponse): string | undefined {
  for (const ref of decision.evidence_refs ?? []) {
    if (!ref.startsWith(APPROVAL_REF_PREFIX)) continue;
    const id = ref.slice(APPROVAL_REF_PREFIX.length);
    if (isSafeIdentifier(id)) return id;
  }
  return undefined;
}

/** The command a person in the approver group runs to approve the request. */
export function approveCommand(requestId: string): string {
  return `cavra approval approve ${requestId}`;
}

/**
 * The reason with the request id and the approve command in it, in the daemon's own words
 * (` (approval request <id>: cavra approval approve <id>)`), unless the daemon already wrote them.
 */
export function withApprovalHint(reason: string, requestId: string): string {
  const command = approveCommand(requestId);
  return reason.includes(command) ? reason : `${reason} (approval request ${requestId}: ${command})`;
}

import type { ApprovalStatus } from '@cavra/approvals';
import { isSafeIdentifier, isSafeName } from '@cavra/contracts';

/** The approval frames (see the README's "Approvals"), read: every value checked, no key beyond FRAME_KEYS'. */
export type ApprovalFrame =
  | {
      readonly kind: 'approval_list';
      readonly id: string;
      readonly group?: string;
      readonly status?: ApprovalStatus;
    }
  | { readonly kind: 'approval_show'; readonly id: string; readonly requestId: string }
  | { readonly kind: 'approval_review'; readonly id: string; readonly review: string }
  | {
      readonly kind: 'action_outcome';
      readonly id: string;
      readonly decisionId: string;
      readonly ran: boolean;
      readonly tool: string;
    };

/** The keys each approval frame may have. */
export const APPROVAL_FRAME_KEYS: Readonly<Record<ApprovalFrame['kind'], readonly string[]>> = {
  approval_list: ['v', 'id', 'type', 'group', 'status'],
  approval_show: ['v', 'id', 'type', 'request_id'],
  approval_review: ['v', 'id', 'type', 'review'],
  action_outcome: ['v', 'id', 'type', 'decision_id', 'ran', 'tool'],
};

const STATUSES: readonly ApprovalStatus[] = ['pending', 'approved', 'denied', 'expired'];

/**
 * Reads an approval frame whose keys were checked against APPROVAL_FRAME_KEYS; throws `bad(message)` (protocol.ts
 * makes it an `invalid_frame` error) at the first value that is not as described.
 */
export function toApprovalFrame(
  type: ApprovalFrame['kind'],
  frame: Record<string, unknown>,
  id: string,
  bad: (message: string) => Error,
): ApprovalFrame {
  switch (type) {
    case 'approval_list': {
      const { group, status } = frame;
      if (group !== undefined && (typeof group !== 'string' || group === '' || !isSafeName(group)))
        throw bad('group must be a non-empty single-line name');
      if (status !== undefined && !STATUSES.includes(status as ApprovalStatus))
        throw bad(`status must be one of ${STATUSES.join(', ')}`);
      return {
        kind: type,
        id,
        ...(group !== undefined ? { group: group as string } : {}),
        ...(status !== undefined ? { status: status as ApprovalStatus } : {}),
      };
    }
    case 'approval_show':
      return { kind: type, id, requestId: identifier(frame.request_id, 'request_id', bad) };
    case 'approval_review': {
      // Any text: verifyReview refuses what is not a review (`invalid_review`), on record like every refusal.
      const { review } = frame;
      if (typeof review !== 'string' || review === '') throw bad('review must be a compact JWS');
      return { kind: type, id, review };
    }
    case 'action_outcome': {
      if (typeof frame.ran !== 'boolean') throw bad('ran must be true or false');
      return {
        kind: type,
        id,
        decisionId: identifier(frame.decision_id, 'decision_id', bad),
        ran: frame.ran,
        tool: identifier(frame.tool, 'tool', bad),
      };
    }
  }
}

function identifier(value: unknown, name: string, bad: (message: string) => Error): string {
  if (typeof value !== 'string' || !isSafeIdentifier(value)) throw bad(`${name} must be a plain identifier`);
  return value;
}

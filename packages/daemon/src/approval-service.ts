import { ApprovalError, type ApprovalState, type ApprovalStore, verifyReview } from '@cavra/approvals';
import { recordActionOutcome } from './action-outcome.js';
import type { ApprovalFrame } from './approval-frames.js';
import type { ReviewVerification } from './approval-verification.js';
import type { ApprovalEvidenceEvent } from './evidence-record.js';
import { FrameError } from './protocol.js';

export interface ApprovalServiceOptions {
  readonly store: ApprovalStore;
  readonly clock: () => Date;
  /** Who may review: the approver keys of each group, and the OIDC issuer when configured. */
  readonly verification: ReviewVerification;
  /** Appends an approval event to the evidence log; resolves with its reference once it is durable. */
  readonly record: (event: ApprovalEvidenceEvent) => Promise<{ readonly ref: string }>;
  /** Whether a decision was recorded as `require_approval` by this daemon (action_outcome names one). */
  readonly asked: (decisionId: string) => boolean;
  /** The largest answer a client reads (`limits.max_frame_bytes`, as `@cavra/daemon-client`'s default): a list is cut to fit. */
  readonly maxAnswerBytes: number;
}

/** The body of the answer to an approval frame, by the frame's kind. */
export type ApprovalAnswerBody = ApprovalState | readonly ApprovalState[] | Record<string, unknown>;

/**
 * Answers the approval frames: list and show from the store; a review verified (signature, approver, time, replay),
 * then applied by the store, whose accepted reviews and outcomes are recorded as it commits them (see
 * local-approval-store.ts); a refused review is recorded (`approval_review_refused`) and answered with the error
 * frame `approval_refused` naming its ApprovalError code. A store that fails is `approval_refused`
 * `store_unavailable`, never an answer.
 */
export function createApprovalService(options: ApprovalServiceOptions) {
  const { store, clock } = options;

  const refuse = async (
    id: string,
    error: unknown,
    context: { readonly requestId?: string; readonly reviewer?: string },
  ): Promise<never> => {
    const refusal = error instanceof ApprovalError ? error : new ApprovalError('store_unavailable');
    await options.record({
      type: 'approval_review_refused',
      ...(context.requestId !== undefined ? { request_id: context.requestId } : {}),
      code: refusal.code,
      ...(context.reviewer !== undefined ? { reviewer: context.reviewer } : {}),
    });
    throw new FrameError('approval_refused', id, refusal.message, undefined, refusal.code);
  };

  const stored = async <T>(id: string, operation: () => Promise<T>): Promise<T> => {
    try {
      return await operation();
    } catch (error) {
      const code = error instanceof ApprovalError ? error.code : 'store_unavailable';
      throw new FrameError('approval_refused', id, new ApprovalError(code).message, undefined, code);
    }
  };

  return {
    async answer(frame: ApprovalFrame): Promise<ApprovalAnswerBody> {
      switch (frame.kind) {
        case 'approval_list': {
          const states = await stored(frame.id, () =>
            store.list({
              ...(frame.group !== undefined ? { group: frame.group } : {}),
              ...(frame.status !== undefined ? { status: frame.status } : {}),
            }),
          );
          return newestThatFit(states, options.maxAnswerBytes - LIST_FRAME_OVERHEAD);
        }
        case 'approval_show': {
          const state = await stored(frame.id, () => store.get(frame.requestId));
          if (!state)
            throw new FrameError('unknown_approval', frame.id, `no approval request ${frame.requestId}`);
          return state;
        }
        case 'approval_review': {
          let review: Awaited<ReturnType<typeof verifyReview>>;
          try {
            review = await verifyReview(frame.review, {
              ...options.verification,
              now: clock(),
              seenJti: (jti: string) => store.seenJti(jti),
            });
          } catch (error) {
            return refuse(frame.id, error, {});
          }
          try {
            return await store.review(review.request_id, review, clock());
          } catch (error) {
            return refuse(frame.id, error, { requestId: review.request_id, reviewer: review.reviewer });
          }
        }
        case 'action_outcome':
          return recordActionOutcome(frame, {
            ...options,
            lookup: async (decisionId) => (await stored(frame.id, () => store.get(decisionId))) !== undefined,
          });
      }
    },
  };
}

export type ApprovalService = ReturnType<typeof createApprovalService>;

/** Room kept in a list answer's frame for its envelope (`{"v":1,"id":…,"type":"approval_list","approvals":[]}`, id ≤ 128). */
const LIST_FRAME_OVERHEAD = 256;

/**
 * The newest states whose JSON fits in `budget` bytes, in order of creation: a list answer stays one frame a client
 * reads, however many requests the store holds (filter by status or group to see older ones).
 */
function newestThatFit(states: readonly ApprovalState[], budget: number): ApprovalState[] {
  let left = budget;
  let from = states.length;
  while (from > 0) {
    const size = Buffer.byteLength(JSON.stringify(states[from - 1]), 'utf8') + 1;
    if (size > left) break;
    left -= size;
    from -= 1;
  }
  return states.slice(from);
}

/** The evidence a committed change of a state calls for: the review it added, the outcome it set. */
export function changeEvents(
  state: ApprovalState,
  previous: ApprovalState | undefined,
): ApprovalEvidenceEvent[] {
  const requestId = state.request.request_id;
  const events: ApprovalEvidenceEvent[] = [];
  // One review per change in the local store; the fleet store's daemon may read several made elsewhere at once (each
  // change added one review, so the earlier ones were at the revisions before).
  const added = state.reviews.slice(previous?.reviews.length ?? 0);
  for (const [index, review] of added.entries())
    events.push({
      type: 'approval_reviewed',
      request_id: requestId,
      review,
      revision: state.revision - (added.length - 1 - index),
    });
  if (state.outcome && !previous?.outcome) {
    events.push({
      type: 'approval_outcome',
      request_id: requestId,
      status: state.outcome.status,
      outcome: state.outcome,
    });
  }
  return events;
}

import type { ApprovalState } from './approval-model.js';

/**
 * The state with outcome `expired` when it is still pending at or after its `expires_at`, else the same state. The
 * outcome is dated `expires_at`, not when it was noticed, so every store and every reader records the same outcome.
 */
export function expireIfDue(state: ApprovalState, now: Date): ApprovalState {
  if (state.outcome || now.getTime() < Date.parse(state.request.expires_at)) return state;
  return {
    ...state,
    outcome: { status: 'expired', decided_at: state.request.expires_at, by: [] },
    revision: state.revision + 1,
  };
}

import type { ApprovalFrame } from './approval-frames.js';
import type { ApprovalEvidenceEvent } from './evidence-record.js';
import { FrameError } from './protocol.js';

/**
 * Records that an action the daemon answered `require_approval` ran (`asked_action_ran`, Claude Code's PostToolUse):
 * the log then shows which asks the person at the keyboard accepted. Only for a decision this daemon recorded as
 * `require_approval`: one remembered since it started (`asked`), or (`lookup`, with approvals) a request in the
 * store; else `unknown_decision`. Works without an `approvals:` section too.
 */
export async function recordActionOutcome(
  frame: Extract<ApprovalFrame, { kind: 'action_outcome' }>,
  options: {
    readonly asked: (decisionId: string) => boolean;
    readonly lookup?: (decisionId: string) => Promise<boolean>;
    readonly record: (event: ApprovalEvidenceEvent) => Promise<{ readonly ref: string }>;
  },
): Promise<Record<string, unknown>> {
  const known = options.asked(frame.decisionId) || ((await options.lookup?.(frame.decisionId)) ?? false);
  if (!known) {
    throw new FrameError(
      'unknown_decision',
      frame.id,
      `no require_approval decision ${frame.decisionId} is recorded by this daemon`,
    );
  }
  const { ref } = await options.record({
    type: 'asked_action_ran',
    decision_id: frame.decisionId,
    ran: frame.ran,
    tool: frame.tool,
  });
  return { decision_id: frame.decisionId, evidence_ref: ref };
}

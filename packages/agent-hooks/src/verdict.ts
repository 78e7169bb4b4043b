import type { PlainDecisionResponse } from '@cavra/contracts/plain';
import {
  type AgentAction,
  type AgentContext,
  evaluateRequest,
  UNMAPPED_TOOL_ACTION,
} from './agent-request.js';
import { APPROVAL_PENDING_RULE, approvalRequestId, withApprovalHint } from './approval-request.js';
import type { Authority } from './authority.js';
import { NoDecisionError } from './no-decision-error.js';

/** What an agent's permission system understands. */
export type Permission = 'allow' | 'deny' | 'ask';

/** The answer for one tool call, before it is written in an agent's format. */
export interface HookVerdict {
  readonly permission: Permission;
  /** Why, in words for the agent and its user. */
  readonly reason: string;
  /** A note for the user that goes with an allow (`warn`, `audit_only`, `allow_with_attestation`). */
  readonly notice?: string;
  /** The CAVRA decision that decided; absent when none was obtained (then the permission is `deny`). */
  readonly decision?: PlainDecisionResponse;
  /** The tool input to run instead of the agent's (a command wrapped in the sandbox); only with allow or ask. */
  readonly updatedInput?: Readonly<Record<string, unknown>>;
}

/** CAVRA's decisions from strictest to loosest (the contract's strictness order). */
const STRICTNESS = ['block', 'require_approval', 'warn', 'allow_with_attestation', 'audit_only', 'allow'];

/** The stricter of two decisions; an unknown decision counts as the strictest. */
export function stricterDecision<D extends PlainDecisionResponse>(a: D, b: D): D {
  return rank(b.decision) < rank(a.decision) ? b : a;
}

function rank(decision: string): number {
  const index = STRICTNESS.indexOf(decision);
  return index < 0 ? -1 : index;
}

/**
 * A CAVRA decision as a permission:
 * - `block` → deny; `require_approval` → ask (the reason names the approver group);
 * - with an approval request (a `cavra-approval://<id>` evidence reference), a `require_approval` and the block
 *   `approval.pending` name the request id and the command that approves it (withApprovalHint), for the person
 *   who can answer: the agent only retries;
 * - `allow` → allow;
 * - `warn` → allow, with the warning as a notice for the user: the policy lets the action go ahead and wants a
 *   person to see it, which an agent's allow alone would not show;
 * - `audit_only` → allow, with a notice: the daemon runs in audit-only mode, which records and never blocks;
 * - `allow_with_attestation` → allow, with a notice saying what must carry an attestation: the hook cannot
 *   attest for the user, and the policy allows the action on that condition;
 * - anything else → deny (fail closed).
 */
export function verdictOf(decision: PlainDecisionResponse): HookVerdict {
  const because = `CAVRA ${decision.decision} (${decision.rule_id}): ${decision.reason}`;
  const requestId = approvalRequestId(decision);
  switch (decision.decision) {
    case 'allow':
      return { permission: 'allow', reason: because, decision };
    case 'block':
      return {
        permission: 'deny',
        reason:
          requestId && decision.rule_id === APPROVAL_PENDING_RULE
            ? withApprovalHint(because, requestId)
            : because,
        decision,
      };
    case 'require_approval': {
      const grouped = `${because}${decision.approver_group ? ` (approver group: ${decision.approver_group})` : ''}`;
      return {
        permission: 'ask',
        reason: requestId ? withApprovalHint(grouped, requestId) : grouped,
        decision,
      };
    }
    case 'warn':
    case 'audit_only':
    case 'allow_with_attestation':
      return { permission: 'allow', reason: because, notice: because, decision };
    default:
      return { permission: 'deny', reason: `${because} (unknown decision, denied)`, decision };
  }
}

/**
 * The verdict for an answer that cannot ask a person (Cursor's file reads, Gemini CLI, `canUseTool` without
 * `approve`, the MCP gateway): an ask is a deny. With an approval request the reason already names the id and the
 * approve command; it also says that the same call passes once approved (the daemon finds the grant).
 */
export function askDenied(verdict: HookVerdict): HookVerdict {
  if (verdict.permission !== 'ask') return verdict;
  const requestId = verdict.decision && approvalRequestId(verdict.decision);
  return {
    ...verdict,
    permission: 'deny',
    reason: requestId ? `${verdict.reason}; ${RETRY_AFTER_APPROVAL}` : verdict.reason,
  };
}

/** What a deny that waits for an approval tells the agent to do. */
export const RETRY_AFTER_APPROVAL = 'retry the same call once it is approved';

/** A deny for a tool call no decision could be obtained for. */
export function deniedWithoutDecision(error: NoDecisionError): HookVerdict {
  return { permission: 'deny', reason: `CAVRA: no decision, denied: ${error.message}` };
}

/**
 * Asks the authority about every action (a command and the pushes inside it, say) and answers with the strictest
 * decision. Any action without a decision denies the whole call.
 */
export async function judgeActions(
  authority: Authority,
  actions: readonly AgentAction[],
  context: AgentContext,
): Promise<HookVerdict> {
  if (actions.length === 0) {
    return deniedWithoutDecision(
      new NoDecisionError('invalid_payload', 'the tool call names nothing to judge'),
    );
  }
  let decisions: PlainDecisionResponse[];
  try {
    decisions = await Promise.all(
      actions.map((action) => authority.decide(evaluateRequest(action, context))),
    );
  } catch (error) {
    if (error instanceof NoDecisionError) return deniedWithoutDecision(error);
    throw error;
  }
  const verdict = verdictOf(decisions.reduce(stricterDecision));
  const unmapped = actions.find((action) => action.actionType === UNMAPPED_TOOL_ACTION);
  // The runtime asks for review of an action type it has no rule for; for a tool the hook cannot map, no policy can
  // say what the call does, so nobody can review it against one: a deny, with the decision that was recorded.
  if (unmapped && verdict.permission === 'ask') {
    return {
      ...verdict,
      permission: 'deny',
      reason: `CAVRA: tool ${JSON.stringify(unmapped.target)} has no CAVRA mapping, denied (${verdict.reason})`,
    };
  }
  return verdict;
}

import type { EvaluateRequestInit } from '@cavra/contracts';

/** One thing an agent is about to do, in CAVRA's terms: an action type and what it acts on. */
export interface AgentAction {
  /** `execute_command`, `read_file`, `write_file`, `git_push`, `mcp_tool_call`, or `agent_tool_call` for a tool CAVRA has no mapping for. */
  readonly actionType: string;
  readonly target: string;
  /** The request's operation; default `push` for `git_push`, else the target. */
  readonly operation?: string;
}

/** Who acts: the fields every request of one hook call shares. */
export interface AgentContext {
  /** The agent's session id (Claude Code's `session_id`, Cursor's `conversation_id`, ...); `local` when it has none. */
  readonly sessionId: string;
  /** The agent, e.g. `claude-code`. */
  readonly agentId: string;
  /** The person the agent acts for; `ai-agent` when unknown. */
  readonly actor: string;
  /** The policy pack to judge by; empty means the daemon's default pack. */
  readonly policyPack?: string;
}

/** The action type of a tool the hook has no mapping for: CAVRA is still asked, and decides (or refuses). */
export const UNMAPPED_TOOL_ACTION = 'agent_tool_call';

/** The EvaluateRequest for one action (snake_case, as on the wire). */
export function evaluateRequest(action: AgentAction, context: AgentContext): EvaluateRequestInit {
  return {
    session_id: context.sessionId || 'local',
    agent_id: context.agentId,
    actor: context.actor || 'ai-agent',
    action_type: action.actionType,
    target: action.target,
    requested_operation: action.operation ?? (action.actionType === 'git_push' ? 'push' : action.target),
    policy_pack: context.policyPack ?? '',
  };
}

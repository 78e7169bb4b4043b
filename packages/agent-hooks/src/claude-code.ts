import { type AgentAction, UNMAPPED_TOOL_ACTION } from './agent-request.js';
import { commandActions } from './command-actions.js';
import {
  blockingExit,
  type HookFormat,
  jsonAnswer,
  mcpTarget,
  optionalString,
  requiredString,
  shellCommandCall,
  toolCallPayload,
} from './hook-format.js';
import { NoDecisionError } from './no-decision-error.js';

/**
 * Claude Code tools with no effect outside the session (planning, the to-do list, starting a subagent whose own
 * tool calls come through this hook): the hook gives no opinion on them and Claude Code's permissions apply.
 */
export const CLAUDE_CODE_PASS_THROUGH_TOOLS: readonly string[] = [
  'TodoWrite',
  'ExitPlanMode',
  'Task',
  'Agent',
];

/**
 * The CAVRA actions of one Claude Code tool call, or `pass` for a pass-through tool:
 * `Bash` → `execute_command` (plus `git_push` for a push inside it), `Read` → `read_file` of `file_path`,
 * `Grep` / `Glob` → `read_file` of `path` (the session's `cwd` when absent), `Write` / `Edit` / `MultiEdit` →
 * `write_file` of `file_path`, `NotebookEdit` → `write_file` of `notebook_path`, `mcp__<server>__<tool>` →
 * `mcp_tool_call` of `server/tool`, any other tool → `agent_tool_call` of the tool name.
 */
export async function claudeCodeActions(
  toolName: string,
  input: Record<string, unknown>,
  cwd: string | undefined,
): Promise<readonly AgentAction[] | 'pass'> {
  if (CLAUDE_CODE_PASS_THROUGH_TOOLS.includes(toolName)) return 'pass';
  const where = 'tool_input';
  switch (toolName) {
    case 'Bash':
      return commandActions(requiredString(input, 'command', where), cwd);
    case 'Read':
      return [{ actionType: 'read_file', target: requiredString(input, 'file_path', where) }];
    case 'Grep':
    case 'Glob':
      return [{ actionType: 'read_file', target: searchedPath(input, cwd) }];
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      return [{ actionType: 'write_file', target: requiredString(input, 'file_path', where) }];
    case 'NotebookEdit':
      return [{ actionType: 'write_file', target: requiredString(input, 'notebook_path', where) }];
  }
  const mcp = mcpTarget(toolName);
  if (mcp) return [{ actionType: 'mcp_tool_call', target: mcp }];
  if (toolName.startsWith('mcp__')) {
    throw new NoDecisionError('invalid_payload', `MCP tool name '${toolName}' is not mcp__<server>__<tool>`);
  }
  return [{ actionType: UNMAPPED_TOOL_ACTION, target: toolName }];
}

function searchedPath(input: Record<string, unknown>, cwd: string | undefined): string {
  const path = optionalString(input, ['path'], 'tool_input', cwd);
  if (!path)
    throw new NoDecisionError('invalid_payload', 'tool_input.path is absent and the payload has no cwd');
  return path;
}

/**
 * Claude Code's `PreToolUse` command hook: the payload it writes on stdin, the answer as
 * `hookSpecificOutput.permissionDecision` (`allow` / `deny` / `ask`) with the reason, and a `systemMessage` for
 * the user with a notice; a confined command comes back as `updatedInput` (the command wrapped in the sandbox),
 * which Claude Code runs instead of the agent's. No decision: exit code 2 with the reason on stderr, which Claude Code treats as a block.
 */
export const claudeCode: HookFormat = {
  agentId: 'claude-code',
  async read(payload) {
    const call = toolCallPayload(payload, 'Claude Code', 'PreToolUse');
    return {
      sessionId: call.sessionId,
      actions: await claudeCodeActions(call.toolName, call.toolInput, call.cwd),
      ...(call.toolName === 'Bash' ? { command: shellCommandCall(call.toolInput, call.cwd) } : {}),
    };
  },
  rewritesToolInput: true,
  answer(verdict) {
    if (!verdict.decision) return blockingExit(verdict.reason);
    return jsonAnswer({
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: verdict.permission,
        permissionDecisionReason: verdict.reason,
        ...(verdict.updatedInput ? { updatedInput: verdict.updatedInput } : {}),
      },
      ...(verdict.notice ? { systemMessage: verdict.notice } : {}),
    });
  },
};

import { type AgentAction, UNMAPPED_TOOL_ACTION } from './agent-request.js';
import { CLAUDE_CODE_PASS_THROUGH } from './claude-code-tools.js';
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
import { searchActions, sessionPath } from './searched-paths.js';

/** The names of CLAUDE_CODE_PASS_THROUGH: the tools the hook gives no opinion on. */
export const CLAUDE_CODE_PASS_THROUGH_TOOLS: readonly string[] = CLAUDE_CODE_PASS_THROUGH.map(
  (entry) => entry.tool,
);

/**
 * The action type of a request to the network (`WebFetch`, `WebSearch`), judged by a pack's `network` section:
 * the target is the URL, or the host a search is narrowed to (`*`: any host).
 */
export const NETWORK_REQUEST_ACTION = 'network_request';

/**
 * The CAVRA actions of one Claude Code tool call, or `pass` for a pass-through tool (CLAUDE_CODE_PASS_THROUGH).
 * Paths are resolved against the session's `cwd`:
 * `Bash` → `execute_command` (plus `git_push` for a push inside it); `Read`, `NotebookRead` → `read_file`;
 * `Grep` (`path`, `glob`), `Glob` (`path`, `pattern`), `LS` (`path`) → the search's actions (searchActions);
 * `Write` / `Edit` / `MultiEdit` / `NotebookEdit` → `write_file`; `WebFetch` → `network_request` of `url`;
 * `WebSearch` → `network_request` of each of `allowed_domains`, else of `*`; `mcp__<server>__<tool>` →
 * `mcp_tool_call` of `server/tool`; `ReadMcpResourceTool` → `mcp_tool_call` of `server/resources/read`;
 * any other tool → `agent_tool_call` of the tool name.
 */
export async function claudeCodeActions(
  toolName: string,
  input: Record<string, unknown>,
  cwd: string | undefined,
): Promise<readonly AgentAction[] | 'pass'> {
  if (CLAUDE_CODE_PASS_THROUGH_TOOLS.includes(toolName)) return 'pass';
  const where = 'tool_input';
  const path = (key: string) => sessionPath(requiredString(input, key, where), cwd);
  switch (toolName) {
    case 'Bash':
      return commandActions(requiredString(input, 'command', where), cwd);
    case 'Read':
      return [{ actionType: 'read_file', target: path('file_path') }];
    case 'NotebookRead':
      return [{ actionType: 'read_file', target: path('notebook_path') }];
    case 'Grep':
      return searchActions(searchedPath(input, cwd), optionalString(input, ['glob'], where), cwd);
    case 'Glob':
      return searchActions(searchedPath(input, cwd), requiredString(input, 'pattern', where), cwd);
    case 'LS':
      return searchActions(searchedPath(input, cwd), undefined, cwd);
    case 'Write':
    case 'Edit':
    case 'MultiEdit':
      return [{ actionType: 'write_file', target: path('file_path') }];
    case 'NotebookEdit':
      return [{ actionType: 'write_file', target: path('notebook_path') }];
    case 'WebFetch':
      return [{ actionType: NETWORK_REQUEST_ACTION, target: requiredString(input, 'url', where) }];
    case 'WebSearch':
      return searchedDomains(input).map((target) => ({ actionType: NETWORK_REQUEST_ACTION, target }));
    case 'ReadMcpResourceTool':
      return [
        { actionType: 'mcp_tool_call', target: `${requiredString(input, 'server', where)}/resources/read` },
      ];
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

/** The hosts a web search may reach: its `allowed_domains`, or any (`*`) when it names none. */
function searchedDomains(input: Record<string, unknown>): string[] {
  requiredString(input, 'query', 'tool_input');
  const domains = input.allowed_domains;
  if (domains === undefined || domains === null) return ['*'];
  if (!Array.isArray(domains) || domains.some((domain) => typeof domain !== 'string' || domain === '')) {
    throw new NoDecisionError('invalid_payload', 'tool_input.allowed_domains must be a list of host names');
  }
  return domains.length > 0 ? (domains as string[]) : ['*'];
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
      toolName: call.toolName,
      ...(call.toolUseId ? { toolUseId: call.toolUseId } : {}),
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

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
import { searchActions, sessionPath } from './searched-paths.js';
import { askDenied } from './verdict.js';

const PATH_KEYS = ['file_path', 'absolute_path', 'path'];
const DIRECTORY_KEYS = ['dir_path', 'path', 'directory'];

/**
 * The CAVRA actions of one Gemini CLI tool call, paths resolved against the session's `cwd`: `run_shell_command` →
 * `execute_command` (plus `git_push`), `read_file` → `read_file`, `read_many_files` → the search actions
 * (searchActions) of each entry of `paths` (a path or glob), `list_directory` / `glob` (`pattern`) /
 * `search_file_content` / `grep_search` (`include`) → the search actions of the directory searched (the session's
 * `cwd` when absent) and glob, `write_file` / `replace` → `write_file`, `mcp__<server>__<tool>` → `mcp_tool_call`, others → `agent_tool_call`.
 * Gemini CLI has named the path argument `path`, `file_path`, `absolute_path` and `dir_path` over its versions:
 * each is read.
 */
export async function geminiCliActions(
  toolName: string,
  input: Record<string, unknown>,
  cwd: string | undefined,
): Promise<readonly AgentAction[]> {
  const where = 'tool_input';
  switch (toolName) {
    case 'run_shell_command':
      return commandActions(
        requiredString(input, 'command', where),
        optionalString(input, DIRECTORY_KEYS, where, cwd),
      );
    case 'read_file':
      return [{ actionType: 'read_file', target: sessionPath(path(input, PATH_KEYS), cwd) }];
    case 'read_many_files': {
      const paths = input.paths;
      if (
        !Array.isArray(paths) ||
        paths.length === 0 ||
        !paths.every((p) => typeof p === 'string' && p !== '')
      ) {
        throw new NoDecisionError('invalid_payload', 'tool_input.paths must be a non-empty list of strings');
      }
      // Each entry is a path or a glob below the working directory.
      return (await Promise.all(paths.map((glob: string) => searchActions(cwd ?? '.', glob, cwd)))).flat();
    }
    case 'list_directory':
      return searchActions(directory(input, cwd), undefined, cwd);
    case 'glob':
      return searchActions(directory(input, cwd), optionalString(input, ['pattern'], where), cwd);
    case 'search_file_content':
    case 'grep_search':
      return searchActions(directory(input, cwd), optionalString(input, ['include'], where), cwd);
    case 'write_file':
    case 'replace':
      return [{ actionType: 'write_file', target: sessionPath(path(input, PATH_KEYS), cwd) }];
  }
  const mcp = mcpTarget(toolName);
  if (mcp) return [{ actionType: 'mcp_tool_call', target: mcp }];
  return [{ actionType: UNMAPPED_TOOL_ACTION, target: toolName }];
}

function directory(input: Record<string, unknown>, cwd: string | undefined): string {
  const value = optionalString(input, DIRECTORY_KEYS, 'tool_input', cwd);
  if (!value)
    throw new NoDecisionError('invalid_payload', 'tool_input names no directory and the payload has no cwd');
  return value;
}

function path(input: Record<string, unknown>, keys: readonly string[]): string {
  const value = optionalString(input, keys, 'tool_input');
  if (!value) throw new NoDecisionError('invalid_payload', `tool_input names no path (${keys.join(', ')})`);
  return value;
}

/**
 * Gemini CLI's `BeforeTool` command hook. The answer is `decision` `allow` or `deny` with `reason` (sent to the
 * model when denied) and `systemMessage` (shown to the user); a confined command comes back as
 * `hookSpecificOutput.tool_input`, which Gemini CLI merges over the model's arguments. Gemini CLI has no `ask`: an approval-gated call is
 * denied, the reason naming the approver group, and with an approval request its id and the approve command (askDenied).
 */
export const geminiCli: HookFormat = {
  agentId: 'gemini-cli',
  async read(payload) {
    const call = toolCallPayload(payload, 'Gemini CLI', 'BeforeTool');
    return {
      sessionId: call.sessionId,
      actions: await geminiCliActions(call.toolName, call.toolInput, call.cwd),
      ...(call.toolName === 'run_shell_command'
        ? {
            command: shellCommandCall(
              call.toolInput,
              optionalString(call.toolInput, DIRECTORY_KEYS, 'tool_input', call.cwd),
            ),
          }
        : {}),
    };
  },
  rewritesToolInput: true,
  answer(verdict) {
    if (!verdict.decision) return blockingExit(verdict.reason);
    const allowed = verdict.permission === 'allow';
    const answer = askDenied(verdict);
    return jsonAnswer({
      decision: allowed ? 'allow' : 'deny',
      reason: answer.reason,
      ...(allowed && verdict.updatedInput
        ? { hookSpecificOutput: { tool_input: verdict.updatedInput } }
        : {}),
      ...(verdict.notice || verdict.permission === 'ask'
        ? {
            systemMessage:
              verdict.notice ??
              (answer.reason === verdict.reason
                ? `${verdict.reason}; approve it outside Gemini CLI and retry`
                : answer.reason),
          }
        : {}),
    });
  },
};

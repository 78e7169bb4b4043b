import { commandActions } from './command-actions.js';
import {
  blockingExit,
  type HookFormat,
  jsonAnswer,
  optionalString,
  payloadObject,
  requiredString,
} from './hook-format.js';
import { NoDecisionError } from './no-decision-error.js';

/**
 * Cursor's agent hooks (`.cursor/hooks.json`, format `version: 1`): `beforeShellExecution` (`command`, `cwd`) →
 * `execute_command` (plus `git_push` for a push inside it), `beforeReadFile` (`file_path`) → `read_file`,
 * `beforeMCPExecution` (`tool_name`, and the server's `url` or `command`) → `mcp_tool_call` of
 * `<server>/<tool>`. Cursor names no server in this event, so the server is its URL or command as written.
 * The answer is `permission` (`allow` / `deny` / `ask`) with `user_message` and `agent_message`;
 * `beforeReadFile` knows no `ask`, so an approval-gated read is denied there, naming the approver group.
 */
export const cursor: HookFormat = {
  agentId: 'cursor',
  async read(payload) {
    const object = payloadObject(payload, 'Cursor');
    const event = requiredString(object, 'hook_event_name', 'payload');
    const sessionId = optionalString(object, ['conversation_id'], 'payload', '') ?? '';
    switch (event) {
      case 'beforeShellExecution': {
        const roots = object.workspace_roots;
        const root = Array.isArray(roots) && typeof roots[0] === 'string' ? roots[0] : undefined;
        const cwd = optionalString(object, ['cwd'], 'payload', root);
        return {
          sessionId,
          actions: await commandActions(requiredString(object, 'command', 'payload'), cwd),
        };
      }
      case 'beforeReadFile':
        return {
          sessionId,
          actions: [{ actionType: 'read_file', target: requiredString(object, 'file_path', 'payload') }],
        };
      case 'beforeMCPExecution': {
        const tool = requiredString(object, 'tool_name', 'payload');
        const server = optionalString(object, ['server', 'url', 'command'], 'payload');
        if (!server) {
          throw new NoDecisionError(
            'invalid_payload',
            'the beforeMCPExecution payload names no server (url or command)',
          );
        }
        return { sessionId, actions: [{ actionType: 'mcp_tool_call', target: `${server}/${tool}` }] };
      }
      default:
        throw new NoDecisionError(
          'invalid_payload',
          `Cursor hook event '${event}' is not one CAVRA judges (beforeShellExecution, beforeReadFile, beforeMCPExecution)`,
        );
    }
  },
  answer(verdict) {
    if (!verdict.decision) return blockingExit(verdict.reason);
    const readOnly = verdict.decision.action_type === 'read_file' && verdict.permission === 'ask';
    return jsonAnswer({
      permission: readOnly ? 'deny' : verdict.permission,
      user_message: verdict.notice ?? verdict.reason,
      agent_message: verdict.reason,
    });
  },
};

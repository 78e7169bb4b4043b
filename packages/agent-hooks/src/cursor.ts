import { parse } from 'shell-quote';
import { approvalRequestId } from './approval-request.js';
import { commandActions } from './command-actions.js';
import {
  blockingExit,
  type HookFormat,
  jsonAnswer,
  optionalString,
  payloadObject,
  requiredString,
  shellCommandCall,
} from './hook-format.js';
import { NoDecisionError } from './no-decision-error.js';
import { askDenied } from './verdict.js';

const LAUNCHERS = new Set(['npx', 'pnpx', 'bunx', 'uvx', 'node', 'deno', 'python', 'python3', 'uv', 'bun']);

/**
 * Cursor's agent hooks (`.cursor/hooks.json`, format `version: 1`): `beforeShellExecution` (`command`, `cwd`) →
 * `execute_command` (plus `git_push` for a push inside it), `beforeReadFile` (`file_path`) → `read_file`,
 * `beforeMCPExecution` (`tool_name`, and the server's `url` or `command`) → `mcp_tool_call` of
 * `<server>/<tool>`. Cursor's payload names the server by `url` or `command` only (a `server` / `server_name` field
 * is read when present): the server is then the URL's host (`localhost:3000`), or the package or script the command
 * starts, without scope, path or extension (`npx -y @modelcontextprotocol/server-github` → `server-github`,
 * `node /srv/docs.js` → `docs`).
 * The answer is `permission` (`allow` / `deny` / `ask`) with `user_message` and `agent_message`;
 * `beforeReadFile` knows no `ask`, so an approval-gated read is denied there, naming the approver group. A call
 * with an approval request is denied too, naming the request id and the approve command: Cursor's own prompt would
 * let the person at the keyboard approve without a record, while the approval, once given, lets the retry through.
 * Cursor's answer cannot replace the command, so with confinement configured every command is denied.
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
          command: shellCommandCall(object, cwd),
        };
      }
      case 'beforeReadFile':
        return {
          sessionId,
          actions: [{ actionType: 'read_file', target: requiredString(object, 'file_path', 'payload') }],
        };
      case 'beforeMCPExecution': {
        const tool = requiredString(object, 'tool_name', 'payload');
        const url = optionalString(object, ['url'], 'payload');
        const command = optionalString(object, ['command'], 'payload');
        const server =
          optionalString(object, ['server', 'server_name'], 'payload') ??
          (url ? urlHost(url) : command ? commandServerName(command) : undefined);
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
    const canAsk = verdict.decision.action_type !== 'read_file' && !approvalRequestId(verdict.decision);
    const answer = canAsk ? verdict : askDenied(verdict);
    return jsonAnswer({
      permission: answer.permission,
      user_message: answer.notice ?? answer.reason,
      agent_message: answer.reason,
    });
  },
};

function urlHost(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    throw new NoDecisionError('invalid_payload', `the beforeMCPExecution url '${url}' is not a URL`);
  }
}

function commandServerName(command: string): string | undefined {
  const words = parse(command).filter((word): word is string => typeof word === 'string');
  let at = 0;
  while (at < words.length - 1 && (LAUNCHERS.has(basename(words[at] ?? '')) || words[at]?.startsWith('-')))
    at++;
  const name = basename(words[at] ?? '')
    .replace(/\.[cm]?[jt]s$|\.py$/, '')
    .replace(/@[^@]*$/, '');
  return name || undefined;
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

import type { AgentAction } from './agent-request.js';
import { NoDecisionError } from './no-decision-error.js';
import type { HookVerdict } from './verdict.js';

/** One tool call read from an agent's hook payload. */
export interface HookCall {
  /** The agent's session id, as it sent it. */
  readonly sessionId: string;
  /** What to ask CAVRA; `pass` for a tool the hook leaves to the agent's own permissions (no opinion). */
  readonly actions: readonly AgentAction[] | 'pass';
  /** The shell command the call runs, for confinement (see confine.ts); absent for other tools. */
  readonly command?: ShellCommandCall;
  /** The agent's id of this tool call (Claude Code's `tool_use_id`), when it sends one. */
  readonly toolUseId?: string;
  /** The agent's name of the tool, e.g. `Bash`. */
  readonly toolName?: string;
}

/** A tool call that runs a shell command. */
export interface ShellCommandCall {
  /** The command text, as the agent will run it. */
  readonly text: string;
  /** Where it runs, when the payload says. */
  readonly cwd: string | undefined;
  /** The whole tool input, which a rewritten call keeps but for the command. */
  readonly toolInput: Readonly<Record<string, unknown>>;
}

/** What a hook process writes and how it exits. */
export interface HookAnswer {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
}

/** One agent's hook format: how to read its payload and how to answer it. */
export interface HookFormat {
  /** The `agent_id` of its requests, e.g. `claude-code`. */
  readonly agentId: string;
  /** Reads a parsed payload; throws NoDecisionError (`invalid_payload`) for one it cannot judge. */
  read(payload: unknown): Promise<HookCall>;
  /** The answer for a verdict; a deny without a decision exits 2 with the reason on stderr. */
  answer(verdict: HookVerdict): HookAnswer;
  /** Its answer can replace the tool's input (`verdict.updatedInput`), so a command can be run confined. */
  readonly rewritesToolInput?: boolean;
}

/** The answer every agent here reads as a block: exit code 2, the reason on stderr, nothing on stdout. */
export function blockingExit(reason: string): HookAnswer {
  return { stdout: '', stderr: `${reason}\n`, exitCode: 2 };
}

/** A JSON answer on stdout, exit code 0. */
export function jsonAnswer(value: unknown): HookAnswer {
  return { stdout: `${JSON.stringify(value)}\n`, stderr: '', exitCode: 0 };
}

/** The payload as an object; anything else cannot be judged. */
export function payloadObject(payload: unknown, agent: string): Record<string, unknown> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw new NoDecisionError('invalid_payload', `the ${agent} hook payload is not a JSON object`);
  }
  return payload as Record<string, unknown>;
}

/** A string field of the payload or of its tool input; throws naming the field when it is missing or empty. */
export function requiredString(object: Record<string, unknown>, key: string, where: string): string {
  const value = object[key];
  if (typeof value !== 'string' || value === '') {
    throw new NoDecisionError('invalid_payload', `${where}.${key} must be a non-empty string`);
  }
  return value;
}

/** The first of `keys` that holds a non-empty string, else `fallback`; a non-string value is an error. */
export function optionalString(
  object: Record<string, unknown>,
  keys: readonly string[],
  where: string,
  fallback?: string,
): string | undefined {
  for (const key of keys) {
    const value = object[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      throw new NoDecisionError('invalid_payload', `${where}.${key} must be a string`);
    }
    if (value !== '') return value;
  }
  return fallback;
}

/** The shell command of a tool whose input carries it as `command`. */
export function shellCommandCall(
  toolInput: Record<string, unknown>,
  cwd: string | undefined,
): ShellCommandCall {
  return { text: requiredString(toolInput, 'command', 'tool_input'), cwd, toolInput };
}

/** A tool-call payload of the `tool_name` / `tool_input` kind (Claude Code's `PreToolUse`, Gemini CLI's `BeforeTool`). */
export interface ToolCallPayload {
  readonly sessionId: string;
  /** `tool_use_id`, when the agent sends it. */
  readonly toolUseId: string | undefined;
  readonly toolName: string;
  readonly toolInput: Record<string, unknown>;
  readonly cwd: string | undefined;
}

/** Reads such a payload; its `hook_event_name`, when present, must be `event`. */
export function toolCallPayload(payload: unknown, agent: string, event: string): ToolCallPayload {
  const object = payloadObject(payload, agent);
  const sent = optionalString(object, ['hook_event_name'], 'payload');
  if (sent !== undefined && sent !== event) {
    throw new NoDecisionError('invalid_payload', `hook_event_name is '${sent}', expected '${event}'`);
  }
  const toolName = requiredString(object, 'tool_name', 'payload');
  const cwd = optionalString(object, ['cwd'], 'payload');
  const sessionId = optionalString(object, ['session_id'], 'payload', '') ?? '';
  const toolUseId = optionalString(object, ['tool_use_id'], 'payload');
  return { sessionId, toolUseId, toolName, toolInput: toolInput(object, agent), cwd };
}

/** `tool_input` as an object. */
function toolInput(payload: Record<string, unknown>, agent: string): Record<string, unknown> {
  const input = payload.tool_input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new NoDecisionError(
      'invalid_payload',
      `the ${agent} hook payload's tool_input is not a JSON object`,
    );
  }
  return input as Record<string, unknown>;
}

/** `mcp__<server>__<tool>` (Claude Code's and Gemini CLI's MCP tool names) as `server/tool`; undefined otherwise. */
export function mcpTarget(toolName: string): string | undefined {
  if (!toolName.startsWith('mcp__')) return undefined;
  const rest = toolName.slice('mcp__'.length);
  const split = rest.indexOf('__');
  if (split <= 0 || split + 2 >= rest.length) return undefined;
  return `${rest.slice(0, split)}/${rest.slice(split + 2)}`;
}

import { type AskedCalls, rememberAsk } from './asked-calls.js';
import type { Authority } from './authority.js';
import { claudeCode, claudeCodeActions } from './claude-code.js';
import { reportAskedCallRan } from './claude-code-post-tool-use.js';
import type { Confinement } from './confine.js';
import { shellCommandCall } from './hook-format.js';
import { NoDecisionError } from './no-decision-error.js';
import { askDenied, deniedWithoutDecision, type HookVerdict, judgeActions } from './verdict.js';

/** Settings shared by the Claude Agent SDK callbacks. */
export interface AgentSdkOptions {
  readonly authority: Authority;
  /** The `agent_id` of the requests; default `claude-agent-sdk`. */
  readonly agentId?: string;
  /** The person the agent acts for; default `ai-agent`. */
  readonly actor?: string;
  /** The session id for `canUseTool`, which is not told one; default `local`. */
  readonly sessionId?: string;
  readonly policyPack?: string;
  /**
   * Run the `Bash` commands CAVRA lets through inside the sandbox (see loadConfinement): the answer carries the
   * wrapped command as `updatedInput`. The working tree is the confinement's, else the session's `cwd`, else this
   * process's directory (`canUseTool` is not told a `cwd`).
   */
  readonly confinement?: Confinement;
  /**
   * `cavraPreToolUseHook`: where to leave the decision of each call it answers `ask`, for `cavraPostToolUseHook` to
   * record that the call ran (see askedCallsIn); none: asks are not followed.
   */
  readonly askedCalls?: AskedCalls;
}

/** What `canUseTool` answers: the SDK's `PermissionResult`, in the shape every SDK version since 0.1 accepts. */
export type CavraPermissionResult =
  | { behavior: 'allow'; updatedInput: Record<string, unknown> }
  | { behavior: 'deny'; message: string };

/** The SDK's `CanUseTool` callback shape. */
export type CavraCanUseTool = (
  toolName: string,
  input: Record<string, unknown>,
  options: { signal: AbortSignal },
) => Promise<CavraPermissionResult>;

export interface CanUseToolOptions extends AgentSdkOptions {
  /**
   * Asked for a `require_approval` decision (`canUseTool` has no "ask"): resolve true to let the call go ahead.
   * Without it (or when it says no), an approval-gated call is denied with the approver group named, and with an
   * approval request (a daemon with `approvals:`) its id, the approve command and that a retry passes once approved.
   */
  readonly approve?: (
    toolName: string,
    input: Record<string, unknown>,
    verdict: HookVerdict,
  ) => Promise<boolean>;
}

/**
 * A `canUseTool` callback for `query({ options: { canUseTool } })` that asks CAVRA. `allow` (and `warn`,
 * `audit_only`, `allow_with_attestation`) allow; `block` and no decision deny; `require_approval` asks
 * `approve`, else denies.
 */
export function cavraCanUseTool(options: CanUseToolOptions): CavraCanUseTool {
  return async (toolName, input) => {
    const verdict = await judge(options, toolName, input, options.sessionId ?? '', undefined);
    if (verdict === 'pass') return { behavior: 'allow', updatedInput: input };
    const updatedInput = verdict.updatedInput ? { ...verdict.updatedInput } : input;
    if (verdict.permission === 'allow') return { behavior: 'allow', updatedInput };
    if (
      verdict.permission === 'ask' &&
      options.approve &&
      (await options.approve(toolName, input, verdict))
    ) {
      return { behavior: 'allow', updatedInput };
    }
    return { behavior: 'deny', message: askDenied(verdict).reason };
  };
}

/** The part of the SDK's `PreToolUse` hook input this callback reads. */
export interface PreToolUseInput {
  hook_event_name: string;
  session_id: string;
  cwd: string;
  tool_name?: string;
  tool_input?: unknown;
  tool_use_id?: string;
}

/** The SDK's `SyncHookJSONOutput` for `PreToolUse`. */
export interface CavraPreToolUseOutput {
  systemMessage?: string;
  hookSpecificOutput?: {
    hookEventName: 'PreToolUse';
    permissionDecision: 'allow' | 'deny' | 'ask';
    permissionDecisionReason: string;
    updatedInput?: Record<string, unknown>;
  };
}

/** The SDK's `HookCallback` shape. */
export type CavraHookCallback = (
  input: PreToolUseInput,
  toolUseId: string | undefined,
  options: { signal: AbortSignal },
) => Promise<CavraPreToolUseOutput>;

/**
 * A `PreToolUse` hook callback for `query({ options: { hooks: { PreToolUse: [{ hooks: [callback] }] } } })`: the
 * same answers as the `cavra-hook claude-code` command, in process. No decision is a `deny`.
 */
export function cavraPreToolUseHook(options: AgentSdkOptions): CavraHookCallback {
  return async (input, toolUseId) => {
    const verdict =
      input.hook_event_name !== 'PreToolUse'
        ? deniedWithoutDecision(
            new NoDecisionError(
              'invalid_payload',
              `hook_event_name is '${input.hook_event_name}', expected 'PreToolUse'`,
            ),
          )
        : await judge(options, input.tool_name, input.tool_input, input.session_id, input.cwd);
    if (verdict === 'pass') return {};
    const answer = options.askedCalls
      ? await rememberAsk(
          verdict,
          {
            sessionId: input.session_id,
            ...toolUseIdOf(input, toolUseId),
            ...(input.tool_name ? { toolName: input.tool_name } : {}),
          },
          options.askedCalls,
        )
      : verdict;
    return {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: answer.permission,
        permissionDecisionReason: answer.reason,
        ...(answer.updatedInput ? { updatedInput: { ...answer.updatedInput } } : {}),
      },
      ...(answer.notice ? { systemMessage: answer.notice } : {}),
    };
  };
}

/** The call's `tool_use_id`: the hook input's, else the one the SDK passes the callback. */
function toolUseIdOf(input: { tool_use_id?: string }, toolUseId: string | undefined): { toolUseId?: string } {
  const id = input.tool_use_id || toolUseId;
  return id ? { toolUseId: id } : {};
}

/** The part of the SDK's `PostToolUse` hook input this callback reads. */
export interface PostToolUseInput {
  hook_event_name: string;
  session_id: string;
  tool_name?: string;
  tool_use_id?: string;
}

/** The SDK's `HookCallback` shape, for `PostToolUse`. */
export type CavraPostToolUseCallback = (
  input: PostToolUseInput,
  toolUseId: string | undefined,
  options: { signal: AbortSignal },
) => Promise<{ systemMessage?: string }>;

/**
 * A `PostToolUse` hook callback, beside `cavraPreToolUseHook` with the same `askedCalls`: when a call it answered
 * `ask` ran, the daemon records it, as Claude Code's `cavra-hook claude-code-post-tool-use` does (reportAskedCallRan).
 * It never fails the agent's work: a record that could not be made comes back as a `systemMessage`.
 */
export function cavraPostToolUseHook(options: {
  readonly authority: Authority;
  readonly askedCalls: AskedCalls;
}): CavraPostToolUseCallback {
  return async (input, toolUseId) => {
    // Only the ids: the tool's response, which may be large, is not needed.
    const call = {
      hook_event_name: input.hook_event_name,
      session_id: input.session_id,
      tool_name: input.tool_name,
      tool_use_id: toolUseIdOf(input, toolUseId).toolUseId,
    };
    const answer = await reportAskedCallRan(JSON.stringify(call), options);
    return answer.stderr ? { systemMessage: answer.stderr.trim() } : {};
  };
}

async function judge(
  options: AgentSdkOptions,
  toolName: unknown,
  input: unknown,
  sessionId: string,
  cwd: string | undefined,
): Promise<HookVerdict | 'pass'> {
  try {
    if (typeof toolName !== 'string' || toolName === '') {
      throw new NoDecisionError('invalid_payload', 'the tool call names no tool');
    }
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new NoDecisionError('invalid_payload', 'the tool input is not an object');
    }
    const actions = await claudeCodeActions(toolName, input as Record<string, unknown>, cwd);
    if (actions === 'pass') return 'pass';
    const verdict = await judgeActions(options.authority, actions, {
      sessionId,
      agentId: options.agentId ?? 'claude-agent-sdk',
      actor: options.actor ?? '',
      ...(options.policyPack ? { policyPack: options.policyPack } : {}),
    });
    if (!options.confinement || toolName !== 'Bash') return verdict;
    const { confineVerdict } = await import('./confine.js');
    const command = shellCommandCall(input as Record<string, unknown>, cwd ?? process.cwd());
    return await confineVerdict(verdict, command, claudeCode, options.confinement);
  } catch (error) {
    if (error instanceof NoDecisionError) return deniedWithoutDecision(error);
    return deniedWithoutDecision(
      new NoDecisionError('engine_error', error instanceof Error ? error.message : String(error)),
    );
  }
}

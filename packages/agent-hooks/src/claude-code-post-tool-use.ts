import type { AskedCalls } from './asked-calls.js';
import type { Authority } from './authority.js';
import type { HookAnswer } from './hook-format.js';
import { optionalString, payloadObject, requiredString } from './hook-format.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, readPayload } from './run-hook.js';

/** Options of reportAskedCallRan. */
export interface PostToolUseOptions {
  /** Where the record goes; an authority without `reportActionOutcome` (the in-process engine) records nothing. */
  readonly authority: Authority;
  /** Where the PreToolUse hook left the calls it answered `ask` (see RunHookOptions.askedCalls). */
  readonly askedCalls: AskedCalls;
  /** Payloads larger than this are not read; default DEFAULT_MAX_PAYLOAD_BYTES. */
  readonly maxPayloadBytes?: number;
}

const QUIET: HookAnswer = { stdout: '', stderr: '', exitCode: 0 };

/**
 * Claude Code's `PostToolUse` hook: when the call that just ran is one the PreToolUse hook answered `ask`, the daemon
 * records that it ran (`reportActionOutcome`), so the evidence log tells the asks the person accepted from those
 * refused. Any other call: nothing, at once.
 *
 * It never blocks and never fails the agent's work: it runs after the action, so a deny could not undo it and
 * a failure cannot let anything through; every failure is written to stderr with exit code 0 (which Claude Code
 * does not show to the model). What is lost then is the record that the call ran, never a decision.
 */
export async function reportAskedCallRan(
  input: AsyncIterable<Uint8Array> | string,
  options: PostToolUseOptions,
): Promise<HookAnswer> {
  let what = 'the call';
  try {
    const payload = payloadObject(
      await readPayload(input, options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES),
      'Claude Code',
    );
    const event = optionalString(payload, ['hook_event_name'], 'payload');
    if (event !== undefined && event !== 'PostToolUse') {
      throw new Error(`hook_event_name is '${event}', expected 'PostToolUse'`);
    }
    const toolUseId = optionalString(payload, ['tool_use_id'], 'payload');
    // Without the call's id nothing can be matched to an ask: Claude Code sends it with both events.
    if (!toolUseId || !options.authority.reportActionOutcome) return QUIET;
    what = `${requiredString(payload, 'tool_name', 'payload')} call ${toolUseId}`;
    const sessionId = optionalString(payload, ['session_id'], 'payload', '') ?? '';
    const asked = await options.askedCalls.take({ sessionId, toolUseId });
    if (!asked) return QUIET;
    what = `${asked.tool} call ${toolUseId} (decision ${asked.decisionId})`;
    await options.authority.reportActionOutcome({
      decisionId: asked.decisionId,
      ran: true,
      tool: asked.tool,
    });
    return QUIET;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      stdout: '',
      stderr: `cavra-hook: PostToolUse: not recorded that ${what} ran: ${message}\n`,
      exitCode: 0,
    };
  }
}

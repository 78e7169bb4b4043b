import { type AskedCalls, rememberAsk } from './asked-calls.js';
import type { Authority } from './authority.js';
import type { Confinement } from './confine.js';
import { blockingExit, type HookAnswer, type HookFormat } from './hook-format.js';
import { NoDecisionError } from './no-decision-error.js';
import { deniedWithoutDecision, judgeActions } from './verdict.js';

/** Largest hook payload read by default: 4 MiB (a `Write` carries the whole file in `tool_input.content`). */
export const DEFAULT_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

export interface RunHookOptions {
  readonly authority: Authority;
  /** The person the agent acts for; default `ai-agent`. */
  readonly actor?: string;
  /** The policy pack to judge by; default: the daemon's default pack. */
  readonly policyPack?: string;
  /** Payloads larger than this are denied unread; default DEFAULT_MAX_PAYLOAD_BYTES. */
  readonly maxPayloadBytes?: number;
  /** Run the shell commands CAVRA lets through inside the sandbox (see confineVerdict); none: as the agent sent them. */
  readonly confinement?: Confinement;
  /**
   * Where to leave the decision of each call answered `ask` (by its `tool_use_id`), for the PostToolUse hook that
   * records that it ran (reportAskedCallRan); none: asks are not followed.
   */
  readonly askedCalls?: AskedCalls;
}

/**
 * One hook call from start to answer: reads the payload (bounded), maps the tool call, asks CAVRA and writes the
 * answer in the agent's format. Never throws and never allows without a decision: every failure is a deny
 * (exit code 2, reason on stderr, nothing on stdout).
 */
export async function runHook(
  format: HookFormat,
  input: AsyncIterable<Uint8Array> | string,
  options: RunHookOptions,
): Promise<HookAnswer> {
  try {
    const payload = await readPayload(input, options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES);
    const call = await format.read(payload);
    if (call.actions === 'pass') return { stdout: '', stderr: '', exitCode: 0 };
    const verdict = await judgeActions(options.authority, call.actions, {
      sessionId: call.sessionId,
      agentId: format.agentId,
      actor: options.actor ?? '',
      ...(options.policyPack ? { policyPack: options.policyPack } : {}),
    });
    let answer = verdict;
    if (options.confinement && call.command) {
      // Loaded only here: a hook without confinement never reads the sandbox modules (start-up is its latency).
      const { confineVerdict } = await import('./confine.js');
      answer = await confineVerdict(verdict, call.command, format, options.confinement);
    }
    return format.answer(options.askedCalls ? await rememberAsk(answer, call, options.askedCalls) : answer);
  } catch (error) {
    if (error instanceof NoDecisionError) return format.answer(deniedWithoutDecision(error));
    const message = error instanceof Error ? error.message : String(error);
    return blockingExit(`CAVRA: no decision, denied: internal error: ${message}`);
  }
}

/** Reads a hook payload of at most `limit` bytes and parses it; throws NoDecisionError otherwise. */
export async function readPayload(
  input: AsyncIterable<Uint8Array> | string,
  limit: number,
): Promise<unknown> {
  return parsePayload(await readBounded(input, limit));
}

async function readBounded(input: AsyncIterable<Uint8Array> | string, limit: number): Promise<string> {
  if (typeof input === 'string') {
    if (Buffer.byteLength(input) > limit) throw tooLarge(limit);
    return input;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    size += chunk.byteLength;
    if (size > limit) throw tooLarge(limit);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): NoDecisionError {
  return new NoDecisionError('payload_too_large', `the hook payload is larger than ${limit} bytes`);
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new NoDecisionError(
      'not_json',
      `the hook payload is not JSON (${(error as Error).message.replace(/\s+/g, ' ')}); got ${text.trim() === '' ? 'nothing' : `${Buffer.byteLength(text)} bytes`}`,
    );
  }
}

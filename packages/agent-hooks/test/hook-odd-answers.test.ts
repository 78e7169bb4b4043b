import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claudePayload, runHookProcess } from './support/test-daemon.js';

// The hook decides through the thin client (no protobufjs): a daemon whose answer is not a valid DecisionResponse about
// the hook's own request must still get a deny, with the full client's words for what is wrong.

type Answer = (request: Record<string, unknown>) => unknown;

const dir = mkdtempSync(join(tmpdir(), 'cavra-odd-daemon-'));
const socketPath = join(dir, 'daemon.sock');
let answer: Answer = () => null;
let server: Server;

beforeAll(async () => {
  // A daemon on a real socket that speaks v1 framing and answers each evaluate with `answer(request)`.
  server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n')) {
        const frame = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        const reply =
          frame.type === 'evaluate'
            ? { v: 1, id: frame.id, type: 'decision', decision: answer(frame.request) }
            : { v: 1, id: frame.id, type: 'refusal', refusal: { evidence_ref: 'r' } };
        socket.write(`${JSON.stringify(reply)}\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Every field, echoing the request, as our daemon answers. */
function decisionFor(request: Record<string, unknown>): Record<string, unknown> {
  return {
    decision_id: 'd-1',
    session_id: request.session_id ?? '',
    agent_id: request.agent_id ?? '',
    actor: request.actor ?? '',
    action_type: request.action_type ?? '',
    target: request.target ?? '',
    requested_operation: request.requested_operation ?? '',
    policy_pack: request.policy_pack ?? '',
    policy_id: 'cavra-ai-agent-baseline',
    rule_id: 'filesystem.read.allow',
    decision: 'allow',
    severity: 'info',
    reason: 'ok',
    evidence_refs: [],
    approver_group: '',
    timestamp: '2026-11-25T10:00:00Z',
    correlation_id: 'corr-1',
  };
}

async function hookRead(odd: Answer) {
  answer = odd;
  return runHookProcess(
    ['claude-code', '--socket', socketPath],
    claudePayload('Read', { file_path: '/work/project/a.ts' }),
  );
}

const PREFIX = 'CAVRA: no decision, denied: the CAVRA daemon gave no decision (protocol_error): ';

describe('cavra-hook claude-code against a daemon whose answer is odd', () => {
  it('allows on a valid answer about its own request', async () => {
    const result = await hookRead(decisionFor);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).hookSpecificOutput.permissionDecision).toBe('allow');
  });

  it.each<[string, Answer, string]>([
    ['not an object', () => 'allow', "the daemon's DecisionResponse is not a JSON object"],
    [
      'an unknown decision',
      (request) => ({ ...decisionFor(request), decision: 'allow_all' }),
      'the daemon\'s DecisionResponse breaks the contract: invalid DecisionResponse: decision: unknown decision "allow_all"; expected one of allow, block, require_approval, warn, audit_only, allow_with_attestation',
    ],
    [
      'a field of the wrong type',
      (request) => ({ ...decisionFor(request), evidence_refs: 'r' }),
      "the daemon's DecisionResponse breaks the contract: invalid DecisionResponse: evidence_refs: expected an array, got string",
    ],
    [
      'a key the contract does not have',
      (request) => ({ ...decisionFor(request), override: true }),
      'the daemon\'s DecisionResponse has the key "override", which is not a DecisionResponse field',
    ],
    [
      'a missing field',
      (request) => {
        const { rule_id: _, ...rest } = decisionFor(request);
        return rest;
      },
      "the daemon's DecisionResponse is incomplete: rule_id missing",
    ],
    [
      'an allow about another file',
      (request) => ({ ...decisionFor(request), target: '/work/project/b.ts' }),
      "the daemon's DecisionResponse does not echo the request's target",
    ],
  ])('denies on %s', async (_name, odd, problem) => {
    const result = await hookRead(odd);
    expect(result).toEqual({ stdout: '', stderr: `${PREFIX}${problem}\n`, code: 2 });
  });
});

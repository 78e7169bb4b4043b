import { ContractValidationError, type EvaluateRequestInit } from '@cavra/contracts';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { createThinClient, DaemonClientError } from '../src/thin.js';
import { type Behaviour, decisionFor, ProtocolPeer, removePeerDirs } from './support/protocol-peer.js';

afterAll(removePeerDirs);

const REQUEST = {
  session_id: 'session-1',
  agent_id: 'claude-code',
  actor: 'developer@example.com',
  action_type: 'read_file',
  target: 'README.md',
  requested_operation: 'README.md',
  policy_pack: 'cavra-ai-agent-baseline',
};

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

/** What a call came to: the decision's fields, or the error's class, code, daemon code and message. */
async function outcome(call: Promise<object>): Promise<unknown> {
  try {
    return { decision: { ...(await call) } };
  } catch (error) {
    if (error instanceof DaemonClientError)
      return { error: [error.name, error.code, error.daemonCode, error.message, error.issues] };
    if (error instanceof ContractValidationError) return { error: [error.name, error.message, error.issues] };
    throw error;
  }
}

/**
 * The same request to the same scripted daemon through the full client and the thin one: both outcomes, the frames
 * each sent (evaluate and refusal report), and how many connections each opened.
 */
async function bothClients(behaviour: Behaviour, request: EvaluateRequestInit = REQUEST) {
  const runs: { result: unknown; frames: unknown[]; connections: number }[] = [];
  for (const make of [createClient, createThinClient]) {
    const peer = await new ProtocolPeer(recording(behaviour)).start();
    const client = make({ socketPath: peer.socketPath, timeoutMs: 60_000 });
    cleanup.push(
      () => client.close(),
      () => peer.stop(),
    );
    const result = await outcome(client.evaluate(request, { correlationId: 'trace-1' }));
    runs.push({ result, frames: peer.frames, connections: peer.connections });
  }
  const [full, thin] = runs as [(typeof runs)[0], (typeof runs)[0]];
  return { full, thin };
}

/** Answers a refusal report as our daemon does once it recorded it; every other frame with `behaviour`. */
const recording =
  (behaviour: Behaviour): Behaviour =>
  (frame, socket, peer) => {
    if (frame.type !== 'refusal') return behaviour(frame, socket, peer);
    socket.write(
      `${JSON.stringify({ v: 1, id: frame.id, type: 'refusal', refusal: { evidence_ref: 'r' } })}\n`,
    );
  };

/** A daemon that answers every evaluate with `change(decisionFor(request))`. */
const answering =
  (change: (decision: Record<string, unknown>) => unknown): Behaviour =>
  (frame, socket) => {
    if (frame.type !== 'evaluate') return;
    const decision = change(decisionFor(frame.request));
    socket.write(`${JSON.stringify({ v: 1, id: frame.id, type: 'decision', decision })}\n`);
  };

const without = (key: string) => (decision: Record<string, unknown>) => {
  const { [key]: _, ...rest } = decision;
  return rest;
};

describe('createThinClient', () => {
  it.each<[string, (decision: Record<string, unknown>) => unknown]>([
    ['an allow', (decision) => decision],
    [
      'a block with evidence refs',
      (decision) => ({
        ...decision,
        decision: 'block',
        severity: 'high',
        evidence_refs: ['cavra-approval://a-1', 'r-2'],
      }),
    ],
    [
      'non-ASCII text and escapes',
      (decision) => ({ ...decision, reason: 'lesen \u00fc\u{1F600} "quoted"\n\\' }),
    ],
    ['an empty timestamp (the proto3 default)', (decision) => ({ ...decision, timestamp: '' })],
    [
      'strings at their byte limits',
      (decision) => ({ ...decision, reason: '\u00e9'.repeat(512), evidence_refs: Array(64).fill('r') }),
    ],
  ])('accepts %s as the full client does, as a plain object with the same fields', async (_name, change) => {
    const { full, thin } = await bothClients(answering(change));
    expect(thin.result).toEqual(full.result);
    expect(Object.keys((thin.result as { decision: object }).decision)).toHaveLength(17);
    expect(thin.frames).toEqual(full.frames);
  });

  it.each<[string, (decision: Record<string, unknown>) => unknown]>([
    ['not an object', () => ['allow']],
    ['null', () => null],
    ['an unknown key', (decision) => ({ ...decision, allow: true })],
    ['a camelCase key', (decision) => ({ ...without('decision_id')(decision), decisionId: 'd-1' })],
    ['a missing field', without('timestamp')],
    ['an empty decision', (decision) => ({ ...decision, decision: '' })],
    ['an unknown decision', (decision) => ({ ...decision, decision: 'maybe' })],
    ['decision in capitals', (decision) => ({ ...decision, decision: 'ALLOW' })],
    ['an unknown severity', (decision) => ({ ...decision, severity: 'urgent' })],
    ['a number for a string', (decision) => ({ ...decision, policy_id: 7 })],
    ['a string for the refs', (decision) => ({ ...decision, evidence_refs: 'r-1' })],
    ['65 evidence refs', (decision) => ({ ...decision, evidence_refs: Array(65).fill('r') })],
    ['a reason over its byte limit', (decision) => ({ ...decision, reason: '\u00e9'.repeat(513) })],
    ['a local-time timestamp', (decision) => ({ ...decision, timestamp: '2026-11-25T10:00:00+01:00' })],
    ['an empty severity', (decision) => ({ ...decision, severity: '' })],
    ['a timestamp that is no date', (decision) => ({ ...decision, timestamp: '2026-13-45T10:00:00Z' })],
    ['another target', (decision) => ({ ...decision, target: 'other' })],
    ['another pack', (decision) => ({ ...decision, policy_pack: 'cavra-developer' })],
    ['another session', (decision) => ({ ...decision, session_id: 'local' })],
  ])(
    'refuses %s with the full client’s error, and reports the refusal the same way',
    async (_name, change) => {
      const { full, thin } = await bothClients(answering(change));
      expect((full.result as { error: unknown[] }).error[1]).toBe('protocol_error');
      expect(thin).toEqual(full);
    },
  );

  it.each<[string, string]>([
    ['garbage', 'not json'],
    ['a lone surrogate', '{"v":1,"id":"c1","type":"decision","decision":{"reason":"\\ud800"}}'],
    ['a health frame', '{"v":1,"id":"c1","type":"health","health":{}}'],
    [
      'an error frame',
      '{"v":1,"id":"c1","type":"error","error":{"code":"invalid_request","message":"bad","issues":[{"path":"target","code":"wrong_type","message":"x"}]}}',
    ],
    [
      'a connection turned away',
      '{"v":1,"id":null,"type":"error","error":{"code":"overloaded","message":"too many connections"}}',
    ],
  ])('fails on %s as the full client does', async (_name, line) => {
    const { full, thin } = await bothClients((frame, socket) => {
      if (frame.type === 'evaluate') socket.write(`${line}\n`);
    });
    expect((full.result as { error: unknown }).error).toBeDefined();
    expect(thin).toEqual(full);
  });

  it('accepts the defaults the engine fills in for empty fields, and the daemon’s default pack', async () => {
    const request = { agent_id: 'claude-code', action_type: 'read_file', target: 'a' };
    const { full, thin } = await bothClients(
      answering((decision) => ({
        ...decision,
        session_id: 'local',
        actor: 'ai-agent',
        policy_pack: 'cavra-developer',
      })),
      request,
    );
    expect((full.result as { decision: { decision: string } }).decision.decision).toBe('allow');
    expect(thin).toEqual(full);
  });

  it('sends release-governance evidence as the full client does, and takes the answer upstream gives it', async () => {
    const request = {
      ...REQUEST,
      action_type: '',
      target: '',
      requested_operation: '',
      release_governance: {
        metadata_kind: 'pipeline_run',
        approval_required_count: 2,
        delivery_success: true,
        failed_providers: ['p-1'],
        failed_delivery_count: 0,
      },
    };
    const { full, thin } = await bothClients(
      answering((decision) => ({
        ...decision,
        action_type: 'release_governance_record',
        target: 'pipeline_run',
        requested_operation: 'verify',
      })),
      request,
    );
    expect((full.result as { decision: { decision: string } }).decision.decision).toBe('allow');
    expect(thin).toEqual(full);
  });

  it.each<[string, EvaluateRequestInit]>([
    ['an unknown field', { ...REQUEST, bogus: 1 } as EvaluateRequestInit],
    ['a negative count', { ...REQUEST, release_governance: { failed_delivery_count: -1 } }],
    ['a target over its byte limit', { ...REQUEST, target: 'x'.repeat(16385) }],
  ])('refuses a request with %s before sending it, with the contract’s issues', async (_name, request) => {
    const { full, thin } = await bothClients(
      answering((decision) => decision),
      request,
    );
    expect((full.result as { error: string[] }).error[0]).toBe('ContractValidationError');
    expect(thin).toEqual(full);
    expect(thin.frames).toEqual([]);
  });
});

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createClient, DaemonClientError } from '../src/index.js';
import { type Behaviour, decisionFor, ProtocolPeer, removePeerDirs } from './support/protocol-peer.js';

afterAll(removePeerDirs);

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

async function setup(behaviour: Behaviour) {
  const peer = await new ProtocolPeer(behaviour).start();
  const client = createClient({ socketPath: peer.socketPath, timeoutMs: 2000 });
  cleanup.push(
    () => client.close(),
    () => peer.stop(),
  );
  return { peer, client };
}

async function failure(
  promise: Promise<unknown>,
): Promise<[string, string | undefined, string | undefined, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DaemonClientError)
      return [error.code, error.daemonCode, error.reason, error.message];
    throw error;
  }
  throw new Error('expected a DaemonClientError');
}

function approval(id = 'd-1', overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    request: {
      request_id: id,
      created_at: '2026-12-06T05:00:00Z',
      expires_at: '2026-12-06T05:15:00Z',
      requester: { actor: 'developer@example.com', agent_id: 'codex-agent', session_id: 'session-1' },
      action: {
        action_type: 'execute_command',
        target: 'terraform apply',
        operation: 'terraform apply',
        policy_id: 'cavra-ai-agent-baseline',
        rule_id: 'commands.approval_required',
        severity: 'high',
        reason: 'command requires approval',
      },
      approver_group: 'Platform Security',
      threshold: 1,
      scopes: ['once', 'session', 'ttl'],
      max_ttl_seconds: 28800,
      fingerprint: 'a'.repeat(64),
    },
    reviews: [],
    revision: 1,
    ...overrides,
  };
}

const APPROVED = {
  status: 'approved',
  decided_at: '2026-12-06T05:01:00Z',
  by: ['alice@example.com'],
  scope: 'once',
  grant: {
    request_id: 'd-1',
    fingerprint: 'a'.repeat(64),
    scope: 'once',
    expires_at: '2026-12-06T13:00:00Z',
  },
};

/** A review as the daemon keeps it (approver-key method). */
function review(requestId: string): Record<string, unknown> {
  return {
    request_id: requestId,
    verdict: 'approve',
    reviewer: 'alice@example.com',
    groups: ['Platform Security'],
    jti: 'j-1',
    iat: 1796533260,
    exp: 1796533500,
    method: 'key',
    kid: 'k',
    jws: 'e30.e30.c2ln',
  };
}

/** A compact JWS whose payload is `payload` (the signature is the daemon's to check, not the client's). */
function jws(payload: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA', kid: 'k', typ: 'cavra-approval-review+jws' })}.${part(payload)}.c2ln`;
}

const reply =
  (type: string, key: string, body: (frame: Record<string, unknown>) => unknown): Behaviour =>
  (frame, socket) =>
    socket.write(`${JSON.stringify({ v: 1, id: frame.id, type, [key]: body(frame as never) })}\n`);

describe('approval calls', () => {
  it('lists approvals with the filter sent as given, each record checked', async () => {
    const { peer, client } = await setup(reply('approval_list', 'approvals', () => [approval()]));
    const listed = await client.listApprovals({ group: 'Platform Security', status: 'pending' });
    expect(listed).toEqual([approval()]);
    expect(peer.frames).toEqual([
      { v: 1, id: 'c1', type: 'approval_list', group: 'Platform Security', status: 'pending' },
    ]);
    expect(await client.listApprovals()).toEqual([approval()]);
    expect(peer.frames[1]).toEqual({ v: 1, id: 'c2', type: 'approval_list' });
  });

  it('refuses a list holding a request outside the filter, or a record that is not one', async () => {
    const { client } = await setup(reply('approval_list', 'approvals', () => [approval()]));
    expect(await failure(client.listApprovals({ group: 'Repository Owners' }))).toEqual([
      'protocol_error',
      undefined,
      undefined,
      'the approval list holds a request outside group Repository Owners',
    ]);
    const other = await setup(
      reply('approval_list', 'approvals', () => [approval('d-1', { outcome: APPROVED })]),
    );
    expect((await failure(other.client.listApprovals({ status: 'pending' })))[3]).toBe(
      'the approval list holds a request that is not pending',
    );
    const broken = await setup(
      reply('approval_list', 'approvals', () => [approval('d-1', { revision: -1 })]),
    );
    expect((await failure(broken.client.listApprovals()))[3]).toBe(
      "the daemon's approval record: /revision must be >= 0",
    );
    const missing = await setup(
      reply('approval_list', 'approvals', () => [approval('d-1', { reviews: [{ request_id: 'd-1' }] })]),
    );
    expect((await failure(missing.client.listApprovals()))[3]).toBe(
      "the daemon's approval record: /reviews/0 must have required property 'verdict'",
    );
    const granted = await setup(
      reply('approval_list', 'approvals', () => [
        approval('d-1', { outcome: { ...APPROVED, status: 'denied' } }),
      ]),
    );
    expect((await failure(granted.client.listApprovals()))[3]).toBe(
      "the daemon's approval record: /outcome/grant must not be present",
    );
    const notObject = await setup(reply('approval_list', 'approvals', () => ['d-1']));
    expect((await failure(notObject.client.listApprovals()))[3]).toBe(
      "the daemon's approval record: the record must be object",
    );
    const foreign = await setup(
      reply('approval_list', 'approvals', () => [
        approval('d-1', { reviews: [review('d-1'), review('d-2')] }),
      ]),
    );
    expect((await failure(foreign.client.listApprovals()))[3]).toBe(
      "the daemon's approval record: /reviews/1/request_id is not the request's",
    );
  });

  it('shows one approval, and refuses an answer about another request', async () => {
    const { peer, client } = await setup(
      reply('approval', 'approval', (frame) => approval(frame.request_id as string, { outcome: APPROVED })),
    );
    expect(await client.showApproval('d-1')).toEqual(approval('d-1', { outcome: APPROVED }));
    expect(peer.frames[0]).toEqual({ v: 1, id: 'c1', type: 'approval_show', request_id: 'd-1' });
    const wrong = await setup(reply('approval', 'approval', () => approval('d-2')));
    expect((await failure(wrong.client.showApproval('d-1')))[3]).toBe(
      `the daemon's approval record: /request/request_id is not the request asked about ("d-1")`,
    );
  });

  it('reports an unknown approval and a daemon without approvals as daemon_error with its code', async () => {
    const { client } = await setup((frame, socket) => {
      const code = frame.type === 'approval_show' ? 'unknown_approval' : 'approvals_not_configured';
      socket.write(
        `${JSON.stringify({ v: 1, id: frame.id, type: 'error', error: { code, message: 'no' } })}\n`,
      );
    });
    expect(await failure(client.showApproval('d-9'))).toEqual([
      'daemon_error',
      'unknown_approval',
      undefined,
      'the daemon refused the request: unknown_approval: no',
    ]);
    expect((await failure(client.listApprovals()))[1]).toBe('approvals_not_configured');
  });

  it('sends a review and returns the request after it; a refused review exposes the reason', async () => {
    const review = jws({ request_id: 'd-1', verdict: 'approve', reviewer: 'alice@example.com' });
    const { peer, client } = await setup(
      reply('approval', 'approval', () => approval('d-1', { outcome: APPROVED })),
    );
    expect((await client.reviewApproval(review)).outcome).toEqual(APPROVED);
    expect(peer.frames[0]).toEqual({ v: 1, id: 'c1', type: 'approval_review', review });

    const refusing = await setup((frame, socket) => {
      const error = {
        code: 'approval_refused',
        message: 'a requester cannot review their own request',
        reason: 'self_review',
      };
      socket.write(`${JSON.stringify({ v: 1, id: frame.id, type: 'error', error })}\n`);
    });
    expect(await failure(refusing.client.reviewApproval(review))).toEqual([
      'approval_refused',
      'approval_refused',
      'self_review',
      'the daemon refused: self_review: a requester cannot review their own request',
    ]);
    const unreadable = await setup((frame, socket) => {
      const error = { code: 'approval_refused', message: 'no', reason: 'not an identifier' };
      socket.write(`${JSON.stringify({ v: 1, id: frame.id, type: 'error', error })}\n`);
    });
    expect((await failure(unreadable.client.listApprovals()))[2]).toBe('unknown');
  });

  it('refuses, before sending, a review that is not a compact JWS naming its request', async () => {
    const { peer, client } = await setup(reply('approval', 'approval', () => approval()));
    await expect(client.reviewApproval('not a jws')).rejects.toThrow(
      new TypeError('review must be a compact JWS'),
    );
    await expect(client.reviewApproval(jws({ verdict: 'approve' }))).rejects.toThrow(
      new TypeError('review payload request_id must be a plain identifier, got undefined'),
    );
    expect(peer.frames).toEqual([]);
  });

  it('reports that an asked action ran, and checks the decision id before sending', async () => {
    const record = { decision_id: 'd-1', evidence_ref: 'cavra-daemon-evidence://evidence.jsonl/7' };
    const { peer, client } = await setup(reply('recorded', 'recorded', () => record));
    expect(await client.reportActionOutcome({ decisionId: 'd-1', ran: true, tool: 'Bash' })).toEqual(record);
    expect(peer.frames).toEqual([
      { v: 1, id: 'c1', type: 'action_outcome', decision_id: 'd-1', ran: true, tool: 'Bash' },
    ]);
    await expect(client.reportActionOutcome({ decisionId: 'd 1', ran: true, tool: 'Bash' })).rejects.toThrow(
      new TypeError('decisionId must be a plain identifier, got "d 1"'),
    );
    expect(peer.frames.length).toBe(1);
    const other = await setup(reply('recorded', 'recorded', () => ({ ...record, decision_id: 'd-2' })));
    expect(
      (await failure(other.client.reportActionOutcome({ decisionId: 'd-1', ran: true, tool: 'Bash' })))[3],
    ).toBe('the recorded frame is about another decision');
  });

  it('takes no approval answer for a decision, nor a decision for an approval', async () => {
    const { client } = await setup(reply('decision', 'decision', () => decisionFor()));
    expect((await failure(client.showApproval('d-1')))[0]).toBe('protocol_error');
    const other = await setup(reply('approval', 'approval', () => approval()));
    expect((await failure(other.client.evaluate({ action_type: 'read_file', target: 'a' })))[3]).toBe(
      'expected a decision frame',
    );
  });

  it('has no approval calls in the upstream protocol', async () => {
    const client = createClient({ socketPath: '/nonexistent/d.sock', protocol: 'upstream' });
    expect((await failure(client.listApprovals()))[0]).toBe('not_supported');
    expect(
      (await failure(client.reportActionOutcome({ decisionId: 'd-1', ran: true, tool: 'Bash' })))[0],
    ).toBe('not_supported');
  });
});

describe('decisions the approvals make', () => {
  const REQUEST = {
    session_id: 'session-1',
    agent_id: 'codex-agent',
    actor: 'developer@example.com',
    action_type: 'execute_command',
    target: 'terraform apply',
    policy_pack: 'cavra-ai-agent-baseline',
  };
  const approvalDecision = (decision: string, ruleId: string, extra: Record<string, unknown> = {}) =>
    reply('decision', 'decision', (frame) => ({
      ...decisionFor(frame.request as Record<string, unknown>, decision),
      rule_id: ruleId,
      approver_group: 'Platform Security',
      evidence_refs: ['cavra-approval://d-1', 'evidence://sha256:abc'],
      ...extra,
    }));

  it('accepts the allow of a grant and the blocks of a pending, denied or expired request', async () => {
    for (const [decision, ruleId] of [
      ['allow', 'approval.granted'],
      ['block', 'approval.pending'],
      ['block', 'approval.denied'],
      ['block', 'approval.expired'],
      ['block', 'approval.unavailable'],
    ] as const) {
      const { client } = await setup(approvalDecision(decision, ruleId));
      const answer = await client.evaluate(REQUEST);
      expect([answer.decision, answer.rule_id, [...answer.evidence_refs]]).toEqual([
        decision,
        ruleId,
        ['cavra-approval://d-1', 'evidence://sha256:abc'],
      ]);
    }
  });

  it('still refuses a grant that does not echo the request', async () => {
    const { client } = await setup(
      approvalDecision('allow', 'approval.granted', { target: 'terraform plan' }),
    );
    expect((await failure(client.evaluate(REQUEST)))[3]).toBe(
      "the daemon's DecisionResponse does not echo the request's target",
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index.js';
import {
  APPROVER,
  type ApprovalDaemon,
  publishRequest,
  REQUESTER,
  requestIdOf,
  startApprovalDaemon,
} from './support/approval-daemon.js';
import { HttpSession } from './support/http-session.js';

// One real daemon (approvals on its local store, evaluates answered at once with approval.pending) and a console
// signing as APPROVER; each case asks for its own action, so no grant of another case answers it.
let daemon: ApprovalDaemon;
let console: RunningConsole;
let http: HttpSession;
beforeAll(async () => {
  daemon = await startApprovalDaemon();
  console = await startConsole({
    socketPath: daemon.socket,
    evidenceLog: daemon.evidenceLog,
    approver: { id: APPROVER, groups: ['Repository Owners'] },
    sign: daemon.signAs(),
  });
  http = new HttpSession(console);
  await http.signIn();
}, 60_000);
afterAll(async () => {
  await console?.close();
  await daemon?.stop();
});

async function pendingRequest(tag: string, overrides = {}): Promise<string> {
  const asked = await daemon.client.evaluate(publishRequest(tag, overrides));
  expect([asked.decision, asked.rule_id]).toEqual(['block', 'approval.pending']);
  return requestIdOf(asked);
}

describe('the approvals inbox', () => {
  it('lists a pending request with who asked, what, rule, group, and the session’s previous decisions', async () => {
    await daemon.client.evaluate(publishRequest('x', { target: 'npm test', session_id: 'history-session' }));
    const id = await pendingRequest('list', { session_id: 'history-session' });
    const [status, listed] = await http.json(http.get('/api/approvals?status=pending'));
    expect(status).toBe(200);
    const entry = (listed as { approvals: { request: Record<string, unknown> }[] }).approvals.find(
      (state) => state.request.request_id === id,
    );
    expect(entry?.request).toMatchObject({
      requester: { actor: REQUESTER, agent_id: 'ci-runner', session_id: 'history-session' },
      action: {
        action_type: 'execute_command',
        target: 'npm publish --tag list',
        policy_id: 'cavra-ai-agent-baseline',
      },
      approver_group: 'Repository Owners',
    });
    const [, shown] = await http.json(http.get(`/api/approvals/${id}`));
    const history = (shown as { session_history: { action: string; target: string; decision: string }[] })
      .session_history;
    expect(history.map((entry) => [entry.action, entry.target, entry.decision])).toEqual([
      ['execute_command', 'npm test', 'allow'],
    ]);
  });

  it('approves with a TTL scope: the review is signed as the approver, and the retry is allowed', async () => {
    const id = await pendingRequest('approve');
    const [status, body] = await http.json(
      http.post(`/api/approvals/${id}/review`, {
        verdict: 'approve',
        scope: 'ttl:30m',
        reason: 'release day',
      }),
    );
    expect(status).toBe(200);
    const { approval } = body as {
      approval: { outcome: Record<string, unknown>; reviews: Record<string, unknown>[] };
    };
    expect([approval.outcome.status, approval.outcome.by, approval.outcome.scope]).toEqual([
      'approved',
      [APPROVER],
      'ttl:30m',
    ]);
    expect(approval.reviews.map((review) => [review.reviewer, review.verdict, review.reason])).toEqual([
      [APPROVER, 'approve', 'release day'],
    ]);
    const retried = await daemon.client.evaluate(publishRequest('approve'));
    expect([retried.decision, retried.rule_id]).toEqual(['allow', 'approval.granted']);
  });

  it('denies with a reason; a denial without one is refused before anything is signed', async () => {
    const id = await pendingRequest('deny');
    expect(await http.json(http.post(`/api/approvals/${id}/review`, { verdict: 'deny' }))).toEqual([
      400,
      { error: { code: 'invalid_review', message: 'a denial needs a reason' } },
    ]);
    const [status, body] = await http.json(
      http.post(`/api/approvals/${id}/review`, { verdict: 'deny', reason: 'not during the freeze' }),
    );
    expect(status).toBe(200);
    expect((body as { approval: { outcome: { status: string } } }).approval.outcome.status).toBe('denied');
  });

  it('answers an unknown request 404 and the daemon’s refusal of a self-review 409 with its reason', async () => {
    expect((await http.json(http.get('/api/approvals/no-such-request')))[0]).toBe(404);
    const [status, body] = await http.json(
      http.post('/api/approvals/no-such-request/review', { verdict: 'approve' }),
    );
    expect([status, (body as { error: { code: string } }).error.code]).toEqual([404, 'unknown_approval']);

    const own = await startConsole({ socketPath: daemon.socket, sign: daemon.signAs(REQUESTER) });
    try {
      const self = new HttpSession(own);
      await self.signIn();
      const id = await pendingRequest('self');
      const [refused, refusal] = await self.json(
        self.post(`/api/approvals/${id}/review`, { verdict: 'approve' }),
      );
      expect(refused).toBe(409);
      expect((refusal as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'approval_refused',
        message: expect.stringMatching(/^the daemon refused: self_review: /),
        reason: 'self_review',
      });
    } finally {
      await own.close();
    }
  });

  it('refuses a malformed review body and an unknown status with their codes', async () => {
    expect(await http.json(http.post('/api/approvals/x/review', { verdict: 'maybe' }))).toEqual([
      400,
      { error: { code: 'invalid_request', message: 'verdict must be approve or deny' } },
    ]);
    expect(await http.json(http.get('/api/approvals/a%20b'))).toEqual([
      400,
      { error: { code: 'invalid_request', message: '"a b" is not a request id' } },
    ]);
    expect((await http.json(http.get('/api/approvals?status=open')))[1]).toEqual({
      error: { code: 'invalid_request', message: 'status must be one of pending, approved, denied, expired' },
    });
  });

  it('answers a review of an expired request 409 with the daemon’s reason request_expired', async () => {
    const short = await startApprovalDaemon({ expiry: '1s' });
    const expiring = await startConsole({ socketPath: short.socket, sign: short.signAs() });
    try {
      const late = new HttpSession(expiring);
      await late.signIn();
      const asked = await short.client.evaluate(publishRequest('expired'));
      const id = requestIdOf(asked);
      const shown = await short.client.showApproval(id);
      // Its expiry is a time, not an event: waited for, then a little more for the clocks' rounding.
      await new Promise((resolve) =>
        setTimeout(resolve, Date.parse(shown.request.expires_at) - Date.now() + 50),
      );
      const [status, body] = await late.json(
        late.post(`/api/approvals/${id}/review`, { verdict: 'approve' }),
      );
      expect([status, (body as { error: { code: string; message: string } }).error.code]).toEqual([
        409,
        'approval_refused',
      ]);
      expect((body as { error: { message: string; reason: string } }).error).toMatchObject({
        message: expect.stringMatching(/^the daemon refused: request_expired: /),
        reason: 'request_expired',
      });
    } finally {
      await expiring.close();
      await short.stop();
    }
  });
});

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApproverKey, type ReviewInit, signReview } from '@cavra/approvals';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Daemon,
  EvidenceLog,
  resolveDaemonConfig,
  startDaemon,
  verifyEvidenceLog,
} from '../src/index.js';
import { FIXED_NOW, removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { OidcIssuer } from './support/oidc-issuer.js';
import { type Frame, RawClient, REQUEST } from './support/raw-client.js';

afterAll(removeTempDirs);

/** An action the baseline pack has no rule for: `require_approval`, Repository Owners (upstream's default). */
const ASKED = { ...REQUEST, action_type: 'format_disk', target: '/dev/sdb', requested_operation: 'format' };

type Approver = { id: string; privateKeyPem: string; publicKeyPem: string; kid: string };
const approvers: Record<'alice' | 'bob' | 'carol' | 'requester', Approver> = {} as never;

beforeAll(async () => {
  for (const [name, id] of [
    ['alice', 'alice@example.com'],
    ['bob', 'bob@example.com'],
    ['carol', 'carol@example.com'],
    // The requester of ASKED, listed as an approver of the group: their own review is a self-review.
    ['requester', REQUEST.actor],
  ] as const) {
    approvers[name] = { id, ...(await generateApproverKey()) };
  }
});

const running: Daemon[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((daemon) => daemon.close()));
});

/** A daemon with approvals: alice, bob and the requester approve for Repository Owners, carol for Platform Security. */
async function start(
  approvals: Record<string, unknown> = {},
  clock: () => Date = () => FIXED_NOW,
  settings: Record<string, unknown> = {},
) {
  const dir = tempDir();
  for (const [name, approver] of Object.entries(approvers))
    await writeFile(join(dir, `${name}.pub.pem`), approver.publicKeyPem);
  const config = resolveDaemonConfig(
    {
      evidence_log: 'evidence.jsonl',
      socket_path: 'run/d.sock',
      ...settings,
      approvals: {
        self_approval_at_keyboard: false,
        groups: {
          'Repository Owners': {
            approvers: ['alice', 'bob', 'requester'].map((name) => ({
              id: approvers[name as 'alice'].id,
              public_key: `${name}.pub.pem`,
            })),
          },
          'Platform Security': { approvers: [{ id: approvers.carol.id, public_key: 'carol.pub.pem' }] },
        },
        ...approvals,
      },
    },
    { baseDir: dir },
  );
  let next = 0;
  const daemon = await startDaemon(config, {
    clock,
    ids: (kind) => `${kind === 'decision' ? 'dec' : 'corr'}_${String(++next).padStart(12, '0')}`,
    drainTimeoutMs: 2000,
  });
  running.push(daemon);
  return { daemon, dir, log: join(dir, 'evidence.jsonl') };
}

const review = (who: keyof typeof approvers, init: Omit<ReviewInit, 'reviewer'>) =>
  signReview({ ...init, reviewer: approvers[who].id }, approvers[who].privateKeyPem, { now: FIXED_NOW });

let frames = 0;
/** Sends one frame on its own connection and returns the answer. */
async function call(daemon: Daemon, frame: Record<string, unknown>): Promise<Frame | undefined> {
  const client = await RawClient.connect(daemon.socketPath);
  try {
    client.send({ v: 1, id: `f${++frames}`, ...frame });
    return await client.next();
  } finally {
    client.socket.destroy();
  }
}

const decide = async (daemon: Daemon, request: Record<string, unknown> = ASKED) =>
  (await call(daemon, { type: 'evaluate', request }))?.decision;

const events = (log: string) =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"event"'))
    .map((line) => JSON.parse(line).event);

const pick = (decision: Frame | undefined) => {
  const {
    decision: kind,
    rule_id,
    policy_id,
    severity,
    reason,
    approver_group,
    evidence_refs,
  } = decision ?? {};
  return { kind, rule_id, policy_id, severity, reason, approver_group, evidence_refs };
};

describe('approvals in the decision path', () => {
  it('self-approval at the keyboard: require_approval stays, naming the request; the request is on record', async () => {
    const { daemon, log } = await start({ self_approval_at_keyboard: true });
    const decision = await decide(daemon);
    expect(pick(decision)).toEqual({
      kind: 'require_approval',
      rule_id: 'runtime.default.require_approval',
      policy_id: 'cavra-ai-agent-baseline',
      severity: 'medium',
      reason:
        "no rule knows action type 'format_disk': review required (approval request dec_000000000001: cavra approval approve dec_000000000001)",
      approver_group: 'Repository Owners',
      evidence_refs: [
        'evidence://session-1/dec_000000000001',
        expect.stringMatching(/^policy:/),
        expect.stringMatching(/^policy-digest:sha256:/),
        'cavra-approval://dec_000000000001',
        expect.stringMatching(/^cavra-daemon-evidence:\/\/[0-9a-f]{16}\/2$/),
      ],
    });
    const [requested] = events(log);
    expect(requested.type).toBe('approval_requested');
    expect(requested.request).toEqual({
      request_id: 'dec_000000000001',
      created_at: '2026-11-25T10:00:00.000Z',
      expires_at: '2026-11-25T10:15:00.000Z',
      requester: { actor: REQUEST.actor, agent_id: 'codex-agent', session_id: 'session-1' },
      action: {
        action_type: 'format_disk',
        target: '/dev/sdb',
        operation: 'format',
        policy_id: 'cavra-ai-agent-baseline',
        rule_id: 'runtime.default.require_approval',
        severity: 'medium',
        reason: "no rule knows action type 'format_disk': review required",
      },
      approver_group: 'Repository Owners',
      threshold: 1,
      scopes: ['once', 'session', 'ttl'],
      max_ttl_seconds: 28_800,
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(requested.decision.decision).toBe('require_approval');
    const listed = await call(daemon, { type: 'approval_list', status: 'pending' });
    expect(listed?.type).toBe('approval_list');
    expect(listed?.approvals).toEqual([{ request: requested.request, reviews: [], revision: 0 }]);
    expect((await call(daemon, { type: 'approval_show', request_id: 'dec_000000000001' }))?.approval).toEqual(
      {
        request: requested.request,
        reviews: [],
        revision: 0,
      },
    );
    expect(await call(daemon, { type: 'approval_show', request_id: 'dec_nope' })).toMatchObject({
      type: 'error',
      error: { code: 'unknown_approval', message: 'no approval request dec_nope' },
    });
  });

  it('pending, approved by a signed review, then the retry is allowed once by the grant', async () => {
    const { daemon, log } = await start();
    expect(pick(await decide(daemon))).toMatchObject({
      kind: 'block',
      rule_id: 'approval.pending',
      policy_id: 'cavra-ai-agent-baseline',
      severity: 'medium',
      reason:
        'approval request dec_000000000001 is pending: retry after cavra approval approve dec_000000000001',
      approver_group: 'Repository Owners',
    });
    const jws = await review('alice', { request_id: 'dec_000000000001', verdict: 'approve', reason: 'ok' });
    const answer = await call(daemon, { type: 'approval_review', review: jws });
    expect(answer?.type).toBe('approval');
    expect(answer?.approval.outcome).toEqual({
      status: 'approved',
      decided_at: '2026-11-25T10:00:00.000Z',
      by: ['alice@example.com'],
      scope: 'once',
      grant: {
        request_id: 'dec_000000000001',
        fingerprint: answer?.approval.request.fingerprint,
        scope: 'once',
        expires_at: '2026-11-25T18:00:00.000Z',
      },
    });
    const granted = await decide(daemon);
    expect(pick(granted)).toEqual({
      kind: 'allow',
      rule_id: 'approval.granted',
      policy_id: 'cavra-ai-agent-baseline',
      severity: 'medium',
      reason: 'approved by alice@example.com (approval request dec_000000000001, scope once)',
      approver_group: 'Repository Owners',
      evidence_refs: [
        `evidence://session-1/${granted?.decision_id}`,
        expect.stringMatching(/^policy:/),
        expect.stringMatching(/^policy-digest:sha256:/),
        'cavra-approval://dec_000000000001',
        expect.stringMatching(/^cavra-daemon-evidence:\/\/[0-9a-f]{16}\/\d+$/),
      ],
    });
    // The once grant is spent: the next try is a new request.
    expect(pick(await decide(daemon)).rule_id).toBe('approval.pending');
    const kinds = events(log).map((event) => event.type);
    expect(kinds).toEqual([
      'approval_requested',
      'approval_reviewed',
      'approval_outcome',
      'approval_grant_used',
      'approval_requested',
    ]);
    const reviewed = events(log)[1];
    expect(reviewed).toMatchObject({
      request_id: 'dec_000000000001',
      revision: 1,
      review: { verdict: 'approve', reviewer: 'alice@example.com', method: 'key', jws, reason: 'ok' },
    });
    expect(events(log)[3]).toEqual({
      type: 'approval_grant_used',
      request_id: 'dec_000000000001',
      decision_id: granted?.decision_id,
      decision_ref: granted?.evidence_refs.at(-1),
      scope: 'once',
    });
    const verified = await verifyEvidenceLog(log);
    expect([verified.ok, verified.problems]).toEqual([true, []]);
  });

  it('waits up to wait_ms: an approval arriving meanwhile answers allow, a denial block', async () => {
    const { daemon } = await start({ wait_ms: 20_000 });
    const waiting = decide(daemon);
    await until(async () => (await call(daemon, { type: 'approval_list' }))?.approvals.length === 1);
    await call(daemon, {
      type: 'approval_review',
      review: await review('bob', { request_id: 'dec_000000000001', verdict: 'approve', scope: 'session' }),
    });
    expect(pick(await waiting)).toMatchObject({
      kind: 'allow',
      rule_id: 'approval.granted',
      reason: 'approved by bob@example.com (approval request dec_000000000001, scope session)',
    });
    // A session grant holds for the session: the same action again is allowed without a new request.
    expect(pick(await decide(daemon)).rule_id).toBe('approval.granted');
    // Another session is not covered.
    const other = { ...ASKED, session_id: 'session-2' };
    const denied = decide(daemon, other);
    await until(
      async () => (await call(daemon, { type: 'approval_list', status: 'pending' }))?.approvals.length === 1,
    );
    const [pending] = (await call(daemon, { type: 'approval_list', status: 'pending' }))?.approvals ?? [];
    await call(daemon, {
      type: 'approval_review',
      review: await review('alice', {
        request_id: pending.request.request_id,
        verdict: 'deny',
        reason: 'no',
      }),
    });
    expect(pick(await denied)).toMatchObject({
      kind: 'block',
      rule_id: 'approval.denied',
      reason: `approval request ${pending.request.request_id} was denied by alice@example.com`,
    });
  });

  it('a request that expires while the evaluate waits is answered approval.expired', async () => {
    const { daemon, log } = await start({ wait_ms: 20_000, expiry: { interactive: '1s' } }, () => new Date());
    expect(pick(await decide(daemon))).toMatchObject({
      kind: 'block',
      rule_id: 'approval.expired',
      reason: 'approval request dec_000000000001 expired before it was approved',
    });
    expect(events(log).map((event) => [event.type, event.status])).toEqual([
      ['approval_requested', undefined],
      ['approval_outcome', 'expired'],
    ]);
  });

  it('refuses a review by a non-member, a self-review and a replayed review, each on record', async () => {
    const { daemon, log } = await start();
    await decide(daemon);
    const request_id = 'dec_000000000001';
    const refusal = async (jws: string) =>
      (await call(daemon, { type: 'approval_review', review: jws }))?.error;
    expect(await refusal(await review('carol', { request_id, verdict: 'approve' }))).toEqual({
      code: 'approval_refused',
      message: 'the reviewer is not an approver of the request’s group',
      reason: 'not_in_group',
    });
    expect(await refusal(await review('requester', { request_id, verdict: 'approve' }))).toEqual({
      code: 'approval_refused',
      message: 'the requester cannot review their own request',
      reason: 'self_review',
    });
    const forged = await signReview(
      { request_id, verdict: 'approve', reviewer: approvers.alice.id },
      approvers.carol.privateKeyPem,
      { now: FIXED_NOW },
    );
    expect((await refusal(forged))?.reason).toBe('unknown_approver');
    expect((await refusal('not-a-review'))?.reason).toBe('invalid_review');
    const jws = await review('alice', { request_id, verdict: 'deny', reason: 'not now' });
    expect((await call(daemon, { type: 'approval_review', review: jws }))?.approval.outcome.status).toBe(
      'denied',
    );
    expect(await refusal(jws)).toEqual({
      code: 'approval_refused',
      message: 'this review was already submitted',
      reason: 'replayed_review',
    });
    expect((await refusal(await review('bob', { request_id, verdict: 'approve' })))?.reason).toBe(
      'already_decided',
    );
    expect(events(log).filter((event) => event.type === 'approval_review_refused')).toEqual([
      { type: 'approval_review_refused', request_id, code: 'not_in_group', reviewer: 'carol@example.com' },
      { type: 'approval_review_refused', request_id, code: 'self_review', reviewer: REQUEST.actor },
      { type: 'approval_review_refused', code: 'unknown_approver' },
      { type: 'approval_review_refused', code: 'invalid_review' },
      { type: 'approval_review_refused', code: 'replayed_review' },
      { type: 'approval_review_refused', request_id, code: 'already_decided', reviewer: 'bob@example.com' },
    ]);
    // Denied: the retry is a new request, never an allow.
    expect(pick(await decide(daemon)).rule_id).toBe('approval.pending');
  });

  it('cuts a list to the newest requests that fit in one answer frame', async () => {
    const { daemon } = await start({}, () => FIXED_NOW, { limits: { max_frame_bytes: 4096 } });
    for (let n = 0; n < 8; n++) await decide(daemon, { ...ASKED, target: `/dev/sd${n}` });
    const listed = await RawClient.connect(daemon.socketPath);
    listed.send({ v: 1, id: 'l', type: 'approval_list' });
    const line = await new Promise<string>((resolve) => {
      let text = '';
      listed.socket.removeAllListeners('data');
      listed.socket.on('data', (chunk: string) => {
        text += chunk;
        if (text.endsWith('\n')) resolve(text);
      });
    });
    listed.socket.destroy();
    const targets = JSON.parse(line).approvals.map((state: Frame) => state.request.action.target);
    expect(Buffer.byteLength(line) - 1).toBeLessThanOrEqual(4096);
    expect(targets.length > 0 && targets.length < 8).toBe(true);
    // The newest, in order of creation.
    expect(targets).toEqual(Array.from({ length: 8 }, (_, n) => `/dev/sd${n}`).slice(8 - targets.length));
  });

  it('two approvers racing approve and deny over two connections: one outcome', async () => {
    const { daemon, log } = await start();
    await decide(daemon);
    const request_id = 'dec_000000000001';
    const [approve, deny] = await Promise.all([
      review('alice', { request_id, verdict: 'approve' }),
      review('bob', { request_id, verdict: 'deny' }),
    ]);
    const answers = await Promise.all([
      call(daemon, { type: 'approval_review', review: approve }),
      call(daemon, { type: 'approval_review', review: deny }),
    ]);
    const accepted = answers.filter((answer) => answer?.type === 'approval');
    const refused = answers.filter((answer) => answer?.type === 'error');
    expect([accepted.length, refused.map((answer) => answer?.error.reason)]).toEqual([
      1,
      ['already_decided'],
    ]);
    const outcomes = events(log).filter((event) => event.type === 'approval_outcome');
    expect(outcomes.length).toBe(1);
    expect((await call(daemon, { type: 'approval_show', request_id }))?.approval.outcome.status).toBe(
      outcomes[0].status,
    );
  });

  it('ten racing retries of the same action: exactly one is allowed by the once grant', async () => {
    const { daemon, log } = await start();
    await decide(daemon);
    await call(daemon, {
      type: 'approval_review',
      review: await review('alice', { request_id: 'dec_000000000001', verdict: 'approve', scope: 'once' }),
    });
    const answers = await Promise.all(Array.from({ length: 10 }, () => decide(daemon)));
    const rules = answers.map((answer) => answer?.rule_id).sort();
    expect(rules).toEqual(['approval.granted', ...Array(9).fill('approval.pending')]);
    expect(events(log).filter((event) => event.type === 'approval_grant_used').length).toBe(1);
  });

  it('records that an asked action ran; unknown decisions and unconfigured approvals are refused', async () => {
    const { daemon, log } = await start({ self_approval_at_keyboard: true });
    const asked = await decide(daemon);
    expect(
      await call(daemon, {
        type: 'action_outcome',
        decision_id: asked?.decision_id,
        ran: true,
        tool: 'Bash',
      }),
    ).toMatchObject({
      type: 'recorded',
      recorded: { decision_id: asked?.decision_id, evidence_ref: expect.stringMatching(/\/3$/) },
    });
    expect(events(log).at(-1)).toEqual({
      type: 'asked_action_ran',
      decision_id: asked?.decision_id,
      ran: true,
      tool: 'Bash',
    });
    expect(
      (await call(daemon, { type: 'action_outcome', decision_id: 'dec_other', ran: true, tool: 'Bash' }))
        ?.error.code,
    ).toBe('unknown_decision');
    expect(
      (await call(daemon, { type: 'action_outcome', decision_id: 'dec_x', ran: 'yes', tool: 'Bash' }))?.error,
    ).toEqual({ code: 'invalid_frame', message: 'ran must be true or false' });
    expect((await call(daemon, { type: 'approval_list', extra: 1 }))?.error).toEqual({
      code: 'invalid_frame',
      message: 'unknown frame key "extra"',
    });
  });
});

describe('reviews by OIDC identity', () => {
  it('accepts a review signed with a key bound to an ID token of a group member; records its hash, never the token', async () => {
    const issuer = await new OidcIssuer().start();
    try {
      const { daemon, log } = await start({
        oidc: { issuer: issuer.origin, audience: 'cavra', jwks_url: `${issuer.origin}/jwks` },
      });
      await decide(daemon);
      const ephemeral = await generateApproverKey();
      const idToken = await issuer.approverToken(
        { email: 'dana@example.com', groups: ['Repository Owners'], nonce: ephemeral.kid },
        FIXED_NOW,
      );
      const jws = await signReview(
        { request_id: 'dec_000000000001', verdict: 'approve', reviewer: 'dana@example.com' },
        ephemeral.privateKeyPem,
        { now: FIXED_NOW, idToken },
      );
      const answer = await call(daemon, { type: 'approval_review', review: jws });
      expect(answer?.approval.outcome.by).toEqual(['dana@example.com']);
      const reviewed = events(log).find((event) => event.type === 'approval_reviewed');
      expect(reviewed.review).toEqual({
        request_id: 'dec_000000000001',
        verdict: 'approve',
        reviewer: 'dana@example.com',
        groups: ['Repository Owners'],
        iat: reviewed.review.iat,
        exp: reviewed.review.exp,
        jti: reviewed.review.jti,
        method: 'oidc',
        kid: ephemeral.kid,
        id_token: {
          issuer: issuer.origin,
          subject: 'user:dana@example.com',
          sha256: createHash('sha256').update(idToken).digest('hex'),
          exp: Math.floor(FIXED_NOW.getTime() / 1000) + 600,
        },
      });
      const text = readFileSync(log, 'utf8');
      expect([text.includes(idToken), text.includes(idToken.split('.')[1] as string)]).toEqual([
        false,
        false,
      ]);
      // A log whose review record held the token (not one this daemon writes) fails verification.
      const leaky = await EvidenceLog.open(join(tempDir(), 'leaky.jsonl'));
      await leaky.append({
        recorded_at: FIXED_NOW.toISOString(),
        event: { ...reviewed, review: { ...reviewed.review, jws } },
      });
      await leaky.close();
      expect((await verifyEvidenceLog(leaky.path)).problems).toEqual([
        {
          line: 1,
          problem: 'bearer_token',
          message:
            'an approval review holds an OIDC ID token, a bearer credential; the record must keep its hash only',
        },
      ]);
      // Someone whose token does not list the group is refused.
      const second = await decide(daemon, { ...ASKED, target: '/dev/sdc' });
      const outsider = await generateApproverKey();
      const theirs = await issuer.approverToken(
        { email: 'eve@example.com', groups: ['Everyone'], nonce: outsider.kid },
        FIXED_NOW,
      );
      const refused = await call(daemon, {
        type: 'approval_review',
        review: await signReview(
          { request_id: second?.decision_id, verdict: 'approve', reviewer: 'eve@example.com' },
          outsider.privateKeyPem,
          { now: FIXED_NOW, idToken: theirs },
        ),
      });
      expect(refused?.error.reason).toBe('not_in_group');
    } finally {
      await issuer.stop();
    }
  });
});

describe('a daemon without approvals', () => {
  it('answers require_approval as the engine decides it, stores nothing, and refuses approval frames', async () => {
    const dir = tempDir();
    const config = resolveDaemonConfig(
      { evidence_log: 'evidence.jsonl', socket_path: 'run/d.sock' },
      { baseDir: dir },
    );
    const daemon = await startDaemon(config, { clock: () => FIXED_NOW });
    running.push(daemon);
    const decision = await decide(daemon);
    expect(pick(decision)).toMatchObject({
      kind: 'require_approval',
      rule_id: 'runtime.default.require_approval',
      reason: "no rule knows action type 'format_disk': review required",
    });
    expect(decision?.evidence_refs.some((ref: string) => ref.startsWith('cavra-approval:'))).toBe(false);
    expect((await call(daemon, { type: 'approval_list' }))?.error).toEqual({
      code: 'approvals_not_configured',
      message: 'approvals are not configured on this daemon (no approvals: section in its config)',
    });
    // The PostToolUse report of an ask is still taken.
    expect(
      (
        await call(daemon, {
          type: 'action_outcome',
          decision_id: decision?.decision_id,
          ran: true,
          tool: 'Bash',
        })
      )?.type,
    ).toBe('recorded');
    expect(readFileSync(join(dir, 'evidence.jsonl'), 'utf8').includes('approval_requested')).toBe(false);
    expect(() => readFileSync(join(dir, 'evidence.jsonl.approvals'))).toThrow(/ENOENT/);
  });
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never met');
}

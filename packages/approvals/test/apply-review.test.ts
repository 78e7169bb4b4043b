import { describe, expect, it } from 'vitest';
import { conformanceRequest, conformanceReview } from '../src/conformance.js';
import {
  type ApprovalState,
  applyReview,
  approvalStatus,
  consumeOnceGrant,
  expireIfDue,
  grantAllows,
  usableGrant,
} from '../src/index.js';

const at = (minutes: number) => new Date(Date.parse('2026-01-05T10:00:00.000Z') + minutes * 60_000);
const pending = (id = 'req-1', options: Parameters<typeof conformanceRequest>[1] = {}): ApprovalState => ({
  request: conformanceRequest(id, options),
  reviews: [],
  revision: 0,
});
const FINGERPRINT = conformanceRequest('req-1').fingerprint;

describe('applyReview', () => {
  it('an approval meeting the threshold decides approved with a once grant by default', () => {
    const review = conformanceReview('req-1');
    const { state, refused } = applyReview(pending(), review, at(1));
    expect(refused).toBeUndefined();
    expect(state).toEqual({
      request: conformanceRequest('req-1'),
      reviews: [review],
      revision: 1,
      outcome: {
        status: 'approved',
        decided_at: '2026-01-05T10:01:00.000Z',
        by: ['bob@example.com'],
        scope: 'once',
        grant: {
          request_id: 'req-1',
          fingerprint: FINGERPRINT,
          scope: 'once',
          expires_at: '2026-01-05T18:00:00.000Z',
        },
      },
    });
    expect(approvalStatus(state)).toBe('approved');
  });

  it('with three approvers the shortest ttl wins, counted from the decision', () => {
    let state = pending('req-1', { threshold: 3 });
    const reviews = [
      conformanceReview('req-1', { scope: 'ttl:2h' }),
      conformanceReview('req-1', { reviewer: 'carol@example.com', scope: 'ttl:30m' }),
      conformanceReview('req-1', { reviewer: 'dan@example.com', scope: 'ttl:1h' }),
    ];
    for (const [index, review] of reviews.entries()) state = applyReview(state, review, at(index + 1)).state;
    expect(state.outcome).toEqual({
      status: 'approved',
      decided_at: '2026-01-05T10:03:00.000Z',
      by: ['bob@example.com', 'carol@example.com', 'dan@example.com'],
      scope: 'ttl:30m',
      grant: {
        request_id: 'req-1',
        fingerprint: FINGERPRINT,
        scope: 'ttl',
        expires_at: '2026-01-05T10:33:00.000Z',
      },
    });
    expect(state.revision).toBe(3);
  });

  it('a deny decides denied at once, whatever the threshold', () => {
    const review = conformanceReview('req-1', { verdict: 'deny', reason: 'no' });
    expect(applyReview(pending('req-1', { threshold: 5 }), review, at(1)).state.outcome).toEqual({
      status: 'denied',
      decided_at: '2026-01-05T10:01:00.000Z',
      by: ['bob@example.com'],
    });
  });

  it('a review at or after expiry sets the expired outcome and is refused request_expired', () => {
    const { state, refused } = applyReview(pending(), conformanceReview('req-1'), at(15));
    expect(refused?.code).toBe('request_expired');
    expect(state).toEqual({
      ...pending(),
      outcome: { status: 'expired', decided_at: '2026-01-05T10:15:00.000Z', by: [] },
      revision: 1,
    });
    expect(applyReview(state, conformanceReview('req-1'), at(16)).refused?.code).toBe('request_expired');
  });

  it.each([
    ['wrong_request', pending(), { request_id: 'req-2' }],
    ['not_in_group', pending(), { groups: ['Platform Security', 'repository owners'] }],
    ['self_review', pending(), { reviewer: 'ALICE@example.com' }],
    ['self_review', pending('req-1', { runnerActor: 'OctoCat' }), { reviewer: 'octocat' }],
    ['invalid_scope', pending('req-1', { scopes: ['once'] }), { scope: 'ttl:1h' }],
    ['invalid_scope', pending(), { scope: 'ttl:9h' }],
    ['invalid_scope', pending(), { scope: 'always' }],
  ] as const)('refuses %s and leaves the state unchanged', (code, state, change) => {
    const result = applyReview(state, conformanceReview('req-1', change), at(1));
    expect(result.refused?.code).toBe(code);
    expect(result.state).toBe(state);
  });

  it('refuses a second review by the same reviewer, and any review once decided', () => {
    const first = applyReview(pending('req-1', { threshold: 2 }), conformanceReview('req-1'), at(1)).state;
    expect(
      applyReview(first, conformanceReview('req-1', { reviewer: 'Bob@Example.com', verdict: 'deny' }), at(2))
        .refused?.code,
    ).toBe('duplicate_review');
    const decided = applyReview(pending(), conformanceReview('req-1'), at(1)).state;
    const late = conformanceReview('req-1', { reviewer: 'carol@example.com', verdict: 'deny' });
    expect(applyReview(decided, late, at(2)).refused?.code).toBe('already_decided');
  });
});

describe('grants and expiry', () => {
  const approved = (scope: string) =>
    applyReview(pending(), conformanceReview('req-1', { scope }), at(1)).state;

  it('a grant allows the same fingerprint until it expires; a session grant in its session only', () => {
    const session = approved('session');
    const grant = session.outcome?.grant;
    if (!grant) throw new Error('no grant');
    expect(grant).toEqual({
      request_id: 'req-1',
      fingerprint: FINGERPRINT,
      scope: 'session',
      session_id: 'session-1',
      expires_at: '2026-01-05T18:00:00.000Z',
    });
    const use = { fingerprint: FINGERPRINT, session_id: 'session-1', now: at(479) };
    expect(grantAllows(grant, use)).toBe(true);
    expect(grantAllows(grant, { ...use, now: at(480) })).toBe(false);
    expect(grantAllows(grant, { ...use, session_id: 'session-2' })).toBe(false);
    expect(grantAllows(grant, { ...use, fingerprint: 'f'.repeat(64) })).toBe(false);
    expect(usableGrant(session, use)).toBe(grant);
    expect(usableGrant(pending(), use)).toBeUndefined();
  });

  it('a once grant is consumed by one decision', () => {
    const once = approved('once');
    const consumed = consumeOnceGrant(once, 'dec-9', at(2));
    expect(consumed?.outcome?.grant?.consumed_by).toBe('dec-9');
    expect(consumed?.revision).toBe(2);
    expect(consumeOnceGrant(consumed as ApprovalState, 'dec-10', at(2))).toBeUndefined();
    expect(consumeOnceGrant(once, 'dec-9', at(480))).toBeUndefined();
    expect(consumeOnceGrant(approved('ttl:1h'), 'dec-9', at(2))).toBeUndefined();
    expect(
      usableGrant(consumed as ApprovalState, {
        fingerprint: FINGERPRINT,
        session_id: 'session-1',
        now: at(2),
      }),
    ).toBeUndefined();
  });

  it('expireIfDue expires a pending request at its expires_at, not before, and never a decided one', () => {
    expect(expireIfDue(pending(), at(14.99))).toEqual(pending());
    expect(expireIfDue(pending(), at(60)).outcome).toEqual({
      status: 'expired',
      decided_at: '2026-01-05T10:15:00.000Z',
      by: [],
    });
    const decided = approved('once');
    expect(expireIfDue(decided, at(60))).toBe(decided);
  });
});

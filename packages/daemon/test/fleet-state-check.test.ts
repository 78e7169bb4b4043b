// What a requesting daemon accepts of a state read from the fleet store: only what its own request and the reviews it
// verifies again give (states built with the real model: newApprovalRequest, signReview, verifyReview, applyReview).
import {
  type ApprovalRequest,
  type ApprovalState,
  applyReview,
  generateApproverKey,
  newApprovalRequest,
  signReview,
  verifyReview,
} from '@cavra/approvals';
import { beforeAll, describe, expect, it } from 'vitest';
import { recheckFleetState, UnverifiableApproval } from '../src/fleet-state-check.js';

const T0 = new Date('2026-12-06T09:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const GROUP = 'Repository Owners';
let keys: Record<'alice' | 'bob' | 'carol', Awaited<ReturnType<typeof generateApproverKey>>>;
let verification: Parameters<typeof recheckFleetState>[2];

beforeAll(async () => {
  keys = {
    alice: await generateApproverKey(),
    bob: await generateApproverKey(),
    carol: await generateApproverKey(),
  };
  verification = {
    approvers: {
      [GROUP]: Object.entries(keys).map(([name, key]) => ({
        id: `${name}@example.com`,
        publicKey: key.publicKeyPem,
      })),
    },
  };
});

function request(threshold = 1): ApprovalRequest {
  return newApprovalRequest(
    {
      request_id: 'dec_0123456789ab',
      requester: { actor: 'carol@example.com', agent_id: 'claude-code', session_id: 's-1' },
      action: {
        action_type: 'execute_command',
        target: 'npm publish',
        operation: 'execute',
        policy_id: 'baseline',
        rule_id: 'publish',
        severity: 'high',
        reason: 'publishing needs approval',
      },
      approver_group: GROUP,
      threshold,
    },
    T0,
  );
}

/** A review by `who`, signed at `iat`, applied to `state` at `appliedAt` as the fleet store does. */
async function reviewed(
  state: ApprovalState,
  who: keyof typeof keys,
  init: { verdict?: 'approve' | 'deny'; scope?: string },
  iat: Date,
  appliedAt: Date,
) {
  const jws = await signReview(
    {
      request_id: state.request.request_id,
      verdict: init.verdict ?? 'approve',
      reviewer: `${who}@example.com`,
      ...(init.scope ? { scope: init.scope } : {}),
    },
    keys[who].privateKeyPem,
    { now: iat },
  );
  const result = applyReview(state, await verifyReview(jws, { ...verification, now: appliedAt }), appliedAt);
  expect(result.refused).toBeUndefined();
  return result.state;
}

const problemOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'verified',
    (error: unknown) => (error instanceof UnverifiableApproval ? error.problem : String(error)),
  );

describe('recheckFleetState', () => {
  it('accepts a state its reviews give: threshold 2, the narrower scope, the grant consumed by a daemon', async () => {
    const own = request(2);
    let state: ApprovalState = { request: own, reviews: [], revision: 0 };
    state = await reviewed(state, 'alice', { scope: 'session' }, at(10), at(20));
    state = await reviewed(state, 'bob', { scope: 'ttl:1h' }, at(30), at(45));
    const grant = state.outcome?.grant;
    const consumed = {
      ...state,
      outcome: { ...state.outcome, grant: { ...grant, consumed_by: 'dec_fedcba987654' } },
      revision: 3,
    } as ApprovalState;
    const derived = await recheckFleetState(JSON.parse(JSON.stringify(consumed)), own, verification);
    expect(derived.outcome).toEqual(consumed.outcome);
    expect([derived.outcome?.scope, derived.revision, derived.reviews.map((r) => r.reviewer)]).toEqual([
      'session',
      3,
      ['alice@example.com', 'bob@example.com'],
    ]);
  });

  it('refuses a changed request, a forged or altered outcome, an unlisted key, a self-review, an OIDC review', async () => {
    const own = request(2);
    const pending: ApprovalState = { request: own, reviews: [], revision: 0 };
    const one = await reviewed(pending, 'alice', { scope: 'once' }, at(10), at(20));
    const approved = await reviewed(one, 'bob', { scope: 'once' }, at(30), at(40));
    const decision = approved.outcome as NonNullable<ApprovalState['outcome']>;

    // Another action's fingerprint under an approved request's id.
    expect(
      await problemOf(
        recheckFleetState(
          { ...approved, request: { ...own, fingerprint: 'f'.repeat(64) } },
          own,
          verification,
        ),
      ),
    ).toBe('the stored request is not the one this daemon created');
    // Approved after one review of two.
    expect(await problemOf(recheckFleetState({ ...one, outcome: decision }, own, verification))).toBe(
      'its outcome (approved) does not follow from its reviews (pending)',
    );
    // The scope widened.
    const widened = {
      ...decision,
      scope: 'ttl:8h',
      grant: { ...decision.grant, scope: 'ttl' },
    } as typeof decision;
    expect(await problemOf(recheckFleetState({ ...approved, outcome: widened }, own, verification))).toBe(
      'its approved outcome is not the one its reviews give',
    );
    // Decided long after the deciding review expired (its signed lifetime is 5 minutes).
    const late = { ...decision, decided_at: at(3600).toISOString() };
    expect(await problemOf(recheckFleetState({ ...approved, outcome: late }, own, verification))).toBe(
      'review 2 does not verify (token_expired)',
    );
    // Signed by a key no group lists.
    const stranger = await generateApproverKey();
    const forgedJws = await signReview(
      { request_id: own.request_id, verdict: 'approve', reviewer: 'bob@example.com' },
      stranger.privateKeyPem,
      { now: at(30) },
    );
    const forged = {
      ...approved,
      reviews: [approved.reviews[0], { ...approved.reviews[1], jws: forgedJws }],
    };
    expect(await problemOf(recheckFleetState(forged as ApprovalState, own, verification))).toBe(
      'review 2 does not verify (unknown_approver)',
    );
    // The requester's own review (carol is a listed approver too).
    const self = await signReview(
      { request_id: own.request_id, verdict: 'approve', reviewer: 'carol@example.com' },
      keys.carol.privateKeyPem,
      { now: at(30) },
    );
    const selfReviewed = {
      ...approved,
      reviews: [approved.reviews[0], { ...approved.reviews[1], jws: self }],
    };
    expect(await problemOf(recheckFleetState(selfReviewed as ApprovalState, own, verification))).toBe(
      'review 2 is refused (self_review)',
    );
    // An OIDC review keeps no JWS to verify again.
    const { jws: _, ...oidc } = approved.reviews[1] as NonNullable<ApprovalState['reviews'][number]>;
    const byOidc = { ...approved, reviews: [approved.reviews[0], { ...oidc, method: 'oidc' }] };
    expect(await problemOf(recheckFleetState(byOidc as ApprovalState, own, verification))).toBe(
      'review 2 is not an approver-key review (OIDC reviews cannot be verified again)',
    );
  });

  it('a deny decides; an expired request stays expired', async () => {
    const own = request(2);
    const pending: ApprovalState = { request: own, reviews: [], revision: 0 };
    const denied = await reviewed(pending, 'alice', { verdict: 'deny' }, at(10), at(12));
    expect((await recheckFleetState(denied, own, verification)).outcome?.status).toBe('denied');
    const expired: ApprovalState = {
      ...pending,
      outcome: { status: 'expired', decided_at: own.expires_at, by: [] },
      revision: 1,
    };
    expect((await recheckFleetState(expired, own, verification)).outcome).toEqual(expired.outcome);
  });
});

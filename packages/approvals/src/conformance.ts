import assert from 'node:assert/strict';
import { ApprovalError, type ApprovalErrorCode } from './approval-error.js';
import type { ApprovalRequest, ApprovalState, VerifiedReview } from './approval-model.js';
import { newApprovalRequest } from './approval-request.js';
import type { ApprovalStore } from './approval-store.js';

/** What the suite gives a store: the clock it must use for expiry, grant use, jtis and deadlines. */
export interface ConformanceStoreOptions {
  readonly now: () => Date;
}

/** Makes a new, empty store for one case. */
export type MakeApprovalStore = (options: ConformanceStoreOptions) => ApprovalStore | Promise<ApprovalStore>;

/** One case: `run` throws (node:assert) when the store does not do what it must. */
export interface ConformanceCase {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** The instant the suite's requests are created at. */
export const CONFORMANCE_T0 = new Date('2026-01-05T10:00:00.000Z');

const minutes = (n: number) => n * 60_000;

/**
 * What every `ApprovalStore` must do, as cases for any test framework (`for (const c of cases) it(c.name, c.run)`):
 * requests created exactly once, reviews and thresholds, deny wins, every refusal, racing reviews and racing grant
 * consumers resolved to exactly one winner, grant and request expiry, `waitForOutcome` waking on an outcome, on a
 * deadline and at expiry, and `list` filters. Each case makes its own store and closes it.
 */
export function approvalStoreConformance(makeStore: MakeApprovalStore): ConformanceCase[] {
  const withStore = (
    name: string,
    body: (store: ApprovalStore, clock: Clock) => Promise<void>,
  ): ConformanceCase => ({
    name,
    async run() {
      const clock = new Clock();
      const store = await makeStore({ now: () => clock.now() });
      try {
        await body(store, clock);
      } finally {
        await store.close();
      }
    },
  });

  return [
    withStore('create stores a request exactly once, ten racing creates included', async (store) => {
      const request = conformanceRequest('req-1');
      assert.equal(await store.create(request), 'created');
      assert.equal(await store.create({ ...request, approver_group: 'Other' }), 'exists');
      assert.deepEqual(await store.get('req-1'), { request, reviews: [], revision: 0 });
      const racing = await Promise.all(
        Array.from({ length: 10 }, () => store.create(conformanceRequest('req-2'))),
      );
      assert.deepEqual(racing.filter((answer) => answer === 'created').length, 1);
      assert.equal(await store.get('nope'), undefined);
      await assertRefused(store.review('nope', conformanceReview('nope'), CONFORMANCE_T0), 'unknown_request');
      await assertRefused(
        store.waitForOutcome('nope', { deadline: new Date(CONFORMANCE_T0.getTime() + 10) }),
        'unknown_request',
      );
    }),

    withStore(
      'a threshold of two needs two distinct approvers; the narrowest scope is granted',
      async (store) => {
        await store.create(conformanceRequest('req-t', { threshold: 2 }));
        const first = await store.review('req-t', conformanceReview('req-t', { scope: 'ttl:2h' }), at(1));
        assert.equal(first.outcome, undefined);
        assert.equal(first.revision, 1);
        assert.equal(first.reviews.length, 1);
        const second = await store.review('req-t', carolReview('req-t', { scope: 'session' }), at(2));
        assert.equal(second.revision, 2);
        assert.deepEqual(second.outcome, {
          status: 'approved',
          decided_at: '2026-01-05T10:02:00.000Z',
          by: ['bob@example.com', 'carol@example.com'],
          scope: 'session',
          grant: {
            request_id: 'req-t',
            fingerprint: second.request.fingerprint,
            scope: 'session',
            session_id: 'session-1',
            expires_at: '2026-01-05T18:00:00.000Z',
          },
        });
        assert.deepEqual(await store.get('req-t'), second);
      },
    ),

    withStore('a deny decides at once, and nothing is reviewed after an outcome', async (store) => {
      await store.create(conformanceRequest('req-d', { threshold: 2 }));
      await store.review('req-d', conformanceReview('req-d'), at(1));
      const denied = await store.review(
        'req-d',
        carolReview('req-d', { verdict: 'deny', reason: 'not today' }),
        at(2),
      );
      assert.deepEqual(denied.outcome, {
        status: 'denied',
        decided_at: '2026-01-05T10:02:00.000Z',
        by: ['carol@example.com'],
      });
      await assertReviewRefused(
        store,
        'req-d',
        { reviewer: 'dan@example.com', jti: 'jti-dan-00000000001' },
        3,
        'already_decided',
      );
      assert.equal((await store.get('req-d'))?.reviews.length, 2);
    }),

    withStore('refused reviews leave the state as it was, each with its code', async (store) => {
      await store.create(conformanceRequest('req-r', { runnerActor: 'ci-bot', scopes: ['once', 'ttl'] }));
      const refusals: [Partial<VerifiedReview>, ApprovalErrorCode][] = [
        [{ groups: ['Platform Security'] }, 'not_in_group'],
        [{ reviewer: 'Alice@Example.com' }, 'self_review'],
        [{ reviewer: 'ci-bot' }, 'self_review'],
        [{ request_id: 'req-other' }, 'wrong_request'],
        [{ scope: 'session' }, 'invalid_scope'],
        [{ scope: 'ttl:9h' }, 'invalid_scope'],
        [{ scope: 'ttl:forever' }, 'invalid_scope'],
      ];
      for (const [index, [change, code]] of refusals.entries()) {
        await assertReviewRefused(store, 'req-r', { jti: `jti-refused-0000000${index}`, ...change }, 1, code);
      }
      assert.equal((await store.get('req-r'))?.revision, 0);
      const threshold = await store.create(conformanceRequest('req-r2', { threshold: 2 }));
      assert.equal(threshold, 'created');
      await store.review('req-r2', conformanceReview('req-r2', { jti: 'jti-bob-first-000001' }), at(1));
      await assertReviewRefused(
        store,
        'req-r2',
        { reviewer: 'BOB@example.com', jti: 'jti-bob-again-000001' },
        2,
        'duplicate_review',
      );
      await assertReviewRefused(
        store,
        'req-r2',
        { reviewer: 'carol@example.com', jti: 'jti-bob-first-000001' },
        2,
        'replayed_review',
      );
      assert.equal(await store.seenJti('jti-bob-first-000001'), true);
      assert.equal(await store.seenJti('jti-never-seen-00001'), false);
      assert.equal((await store.get('req-r2'))?.revision, 1);
    }),

    withStore('an approve and a deny racing give exactly one outcome', async (store) => {
      await store.create(conformanceRequest('req-race'));
      const settled = await Promise.allSettled([
        store.review('req-race', conformanceReview('req-race'), at(1)),
        store.review('req-race', carolReview('req-race', { verdict: 'deny' }), at(1)),
      ]);
      const won = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
      const lost = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      assert.equal(won.length, 1);
      assert.deepEqual(
        lost.map((error) => (error as ApprovalError).code),
        ['already_decided'],
      );
      const state = await store.get('req-race');
      assert.equal(state?.reviews.length, 1);
      assert.deepEqual(state?.outcome, won[0]?.outcome);
    }),

    withStore('ten racing consumers of a once grant: exactly one is granted', async (store) => {
      await store.create(conformanceRequest('req-once'));
      const approved = await store.review(
        'req-once',
        conformanceReview('req-once', { scope: 'once' }),
        at(1),
      );
      const fingerprint = approved.request.fingerprint;
      assert.deepEqual(await store.findGrant(fingerprint, 'another-session', at(2)), approved.outcome?.grant);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) => store.consumeGrant('req-once', `decision-${index}`)),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = `decision-${results.indexOf(true)}`;
      assert.equal((await store.get('req-once'))?.outcome?.grant?.consumed_by, winner);
      assert.equal(await store.consumeGrant('req-once', winner), true, 'the same decision asking again');
      assert.equal(await store.consumeGrant('req-once', 'decision-late'), false);
      assert.equal(await store.findGrant(fingerprint, 'session-1', at(2)), undefined);
      assert.equal(await store.consumeGrant('nope', 'decision-x'), false);
    }),

    withStore(
      'session and ttl grants hold until they expire; a session grant in its session only',
      async (store, clock) => {
        await store.create(conformanceRequest('req-s'));
        const session = await store.review('req-s', conformanceReview('req-s', { scope: 'session' }), at(1));
        const fingerprint = session.request.fingerprint;
        assert.equal((await store.findGrant(fingerprint, 'session-1', at(60)))?.request_id, 'req-s');
        assert.equal(await store.findGrant(fingerprint, 'session-2', at(60)), undefined);
        assert.equal(await store.findGrant(fingerprint, 'session-1', at(8 * 60)), undefined);
        assert.equal(await store.findGrant('0'.repeat(64), 'session-1', at(60)), undefined);

        await store.create(conformanceRequest('req-ttl', { actor: 'erin@example.com' }));
        const ttl = await store.review('req-ttl', conformanceReview('req-ttl', { scope: 'ttl:30m' }), at(10));
        assert.equal(ttl.outcome?.grant?.expires_at, '2026-01-05T10:40:00.000Z');
        const ttlPrint = ttl.request.fingerprint;
        assert.equal((await store.findGrant(ttlPrint, 'any-session', at(39)))?.scope, 'ttl');
        assert.equal(await store.findGrant(ttlPrint, 'any-session', at(40)), undefined);
        clock.set(at(39));
        assert.equal(await store.consumeGrant('req-ttl', 'decision-1'), true);
        assert.equal(
          await store.consumeGrant('req-ttl', 'decision-2'),
          true,
          'a ttl grant is used, not consumed',
        );
        clock.set(at(40));
        assert.equal(await store.consumeGrant('req-ttl', 'decision-3'), false);
      },
    ),

    withStore(
      'a request past its expiry is expired, dated at its expiry, and refuses reviews',
      async (store, clock) => {
        await store.create(conformanceRequest('req-x'));
        clock.set(at(15));
        const state = await store.get('req-x');
        assert.deepEqual(state?.outcome, {
          status: 'expired',
          decided_at: '2026-01-05T10:15:00.000Z',
          by: [],
        });
        assert.equal(state?.revision, 1);
        await assertRefused(store.review('req-x', conformanceReview('req-x'), at(15)), 'request_expired');
        await store.create(conformanceRequest('req-x2'));
        await assertRefused(
          store.review('req-x2', conformanceReview('req-x2', { jti: 'jti-late-0000000001' }), at(16)),
          'request_expired',
        );
        assert.equal((await store.get('req-x2'))?.outcome?.status, 'expired');
        assert.equal((await store.list({ status: 'expired' })).length, 2);
      },
    ),

    withStore('waitForOutcome wakes on the outcome', async (store) => {
      await store.create(conformanceRequest('req-w'));
      const waiting = store.waitForOutcome('req-w', { deadline: at(14) });
      await store.review('req-w', conformanceReview('req-w'), at(1));
      const state = await waiting;
      assert.equal(state.outcome?.status, 'approved');
      assert.deepEqual(state.outcome?.by, ['bob@example.com']);
      assert.deepEqual(await store.waitForOutcome('req-w', { deadline: at(14) }), state);
    }),

    withStore(
      'waitForOutcome answers the pending state at its deadline, and rejects when aborted',
      async (store, clock) => {
        await store.create(conformanceRequest('req-p'));
        const pending = await store.waitForOutcome('req-p', {
          deadline: new Date(clock.now().getTime() + 20),
        });
        assert.equal(pending.outcome, undefined);
        assert.equal(pending.request.request_id, 'req-p');
        const controller = new AbortController();
        const aborted = store.waitForOutcome('req-p', { deadline: at(14), signal: controller.signal });
        controller.abort(new Error('caller gone'));
        await assert.rejects(aborted, { message: 'caller gone' });
      },
    ),

    withStore('waitForOutcome wakes at the request’s expiry', async (store, clock) => {
      await store.create({
        ...conformanceRequest('req-e'),
        expires_at: new Date(clock.now().getTime() + 30).toISOString(),
      });
      const state = await store.waitForOutcome('req-e', { deadline: at(14) });
      assert.equal(state.outcome?.status, 'expired');
    }),

    withStore('list filters by group and status, in order of creation', async (store) => {
      await store.create(conformanceRequest('req-l1'));
      await store.create(conformanceRequest('req-l2', { group: 'Platform Security' }));
      await store.create(conformanceRequest('req-l3'));
      await store.review('req-l3', conformanceReview('req-l3', { verdict: 'deny' }), at(1));
      const ids = (states: ApprovalState[]) => states.map((state) => state.request.request_id);
      assert.deepEqual(ids(await store.list()), ['req-l1', 'req-l2', 'req-l3']);
      assert.deepEqual(ids(await store.list({ group: 'Repository Owners' })), ['req-l1', 'req-l3']);
      assert.deepEqual(ids(await store.list({ status: 'pending' })), ['req-l1', 'req-l2']);
      assert.deepEqual(ids(await store.list({ group: 'Repository Owners', status: 'denied' })), ['req-l3']);
      assert.deepEqual(ids(await store.list({ status: 'approved' })), []);
    }),
  ];
}

/** The suite's clock: real time from CONFORMANCE_T0 (so timers fire), set forward by the cases. */
class Clock {
  #base = CONFORMANCE_T0.getTime();
  #start = performance.now();

  now(): Date {
    return new Date(this.#base + (performance.now() - this.#start));
  }

  set(date: Date): void {
    this.#base = date.getTime();
    this.#start = performance.now();
  }
}

function at(minutesAfterT0: number): Date {
  return new Date(CONFORMANCE_T0.getTime() + minutes(minutesAfterT0));
}

/** A request created at CONFORMANCE_T0 by alice@example.com for the Repository Owners (15 min expiry, 8 h max ttl). */
export function conformanceRequest(
  requestId: string,
  options: {
    readonly threshold?: number;
    readonly group?: string;
    readonly actor?: string;
    readonly runnerActor?: string;
    readonly scopes?: ApprovalRequest['scopes'];
  } = {},
): ApprovalRequest {
  const request = newApprovalRequest(
    {
      request_id: requestId,
      requester: {
        actor: options.actor ?? 'alice@example.com',
        agent_id: 'claude-code',
        session_id: 'session-1',
        ...(options.runnerActor
          ? { runner: { key_id: 'ci-key', identity: { actor: options.runnerActor } } }
          : {}),
      },
      action: {
        action_type: 'execute_command',
        target: 'npm publish',
        operation: 'npm publish', // a command's operation is its text
        policy_id: 'cavra-ai-agent-baseline',
        rule_id: 'commands.default.require_approval',
        severity: 'medium',
        reason:
          "command 'npm publish' requires approval (pattern 'npm publish*', commands.require_approval[0])",
      },
      approver_group: options.group ?? 'Repository Owners',
      threshold: options.threshold,
      scopes: options.scopes,
    },
    CONFORMANCE_T0,
  );
  // A CI request waits 24 h by default; the suite's requests all expire after 15 min.
  return { ...request, expires_at: new Date(CONFORMANCE_T0.getTime() + minutes(15)).toISOString() };
}

/** A verified review of `requestId` by bob@example.com of the Repository Owners, approving. */
export function conformanceReview(requestId: string, change: Partial<VerifiedReview> = {}): VerifiedReview {
  const iat = Math.floor(CONFORMANCE_T0.getTime() / 1000);
  return {
    request_id: requestId,
    verdict: 'approve',
    reviewer: 'bob@example.com',
    groups: ['Repository Owners'],
    jti: `jti-${requestId}-bob-0000000`.slice(0, 64),
    iat,
    exp: iat + 24 * 3600,
    method: 'key',
    kid: 'conformance-kid',
    ...change,
  };
}

/** A review of `requestId` by carol@example.com of the Repository Owners, approving unless `change` says otherwise. */
function carolReview(requestId: string, change: Partial<VerifiedReview> = {}): VerifiedReview {
  return conformanceReview(requestId, {
    reviewer: 'carol@example.com',
    jti: 'jti-carol-000000001',
    ...change,
  });
}

/** `store` refuses the review of `requestId` changed by `change`, `minute` minutes after T0, with `code`. */
async function assertReviewRefused(
  store: ApprovalStore,
  requestId: string,
  change: Partial<VerifiedReview>,
  minute: number,
  code: ApprovalErrorCode,
): Promise<void> {
  await assertRefused(store.review(requestId, conformanceReview(requestId, change), at(minute)), code);
}

async function assertRefused(promise: Promise<unknown>, code: ApprovalErrorCode): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ApprovalError, `expected ApprovalError ${code}, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

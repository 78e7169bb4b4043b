// The fleet approval store against a real 3-node JetStream cluster (R3 bucket): the conformance suite every store
// passes, then what only the fleet store does (two machines, the notification subject, the grant index).
import {
  approvalStoreConformance,
  CONFORMANCE_T0,
  conformanceRequest,
  conformanceReview,
} from '@cavra/approvals/conformance';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  connectFleet,
  FLEET_BUCKETS,
  type Fleet,
  OUTCOME_SUBJECT_PREFIX,
  openFleetApprovalStore,
} from '../src/index.js';

let cluster: NatsCluster;
let fleet: Fleet;
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
}, 60_000);
afterAll(async () => {
  await fleet?.close();
  await cluster?.stop();
});

describe('conformance', () => {
  const cases = approvalStoreConformance(async ({ now }) => {
    // Each case starts from an empty bucket (the suite's request ids repeat across cases).
    await fleet.jsm.streams.purge(`KV_${FLEET_BUCKETS.approvals}`);
    return openFleetApprovalStore({ fleet, now });
  });
  for (const conformanceCase of cases) test(conformanceCase.name, conformanceCase.run, 60_000);
});

const approvalsStream = `KV_${FLEET_BUCKETS.approvals}`;
const token = (id: string) => Buffer.from(id).toString('base64url');

describe('the fleet store', () => {
  let other: Fleet; // a second machine's connection (an approver's)
  beforeAll(async () => {
    other = await connectFleet({ servers: cluster.servers });
  });
  afterAll(async () => {
    await other?.close();
  });

  test('a request made on one machine is reviewed on another; the waiter and the subject are told', async () => {
    await fleet.jsm.streams.purge(approvalsStream);
    const requester = await openFleetApprovalStore({ fleet, now: () => CONFORMANCE_T0 });
    const approver = await openFleetApprovalStore({ fleet: other, now: () => CONFORMANCE_T0 });
    try {
      const request = conformanceRequest('req-m');
      await requester.create(request);
      const notices: unknown[] = [];
      const subscription = fleet.nc.subscribe(`${OUTCOME_SUBJECT_PREFIX}.>`, {
        callback: (_error, message) => {
          notices.push([message.subject, message.json()]);
        },
      });
      await fleet.nc.flush();
      const waiting = requester.waitForOutcome('req-m', {
        deadline: new Date(CONFORMANCE_T0.getTime() + 60_000),
      });
      const approved = await approver.review(
        'req-m',
        conformanceReview('req-m', { scope: 'once' }),
        CONFORMANCE_T0,
      );
      expect(await waiting).toEqual(approved);
      await expect.poll(() => notices.length, { timeout: 60_000 }).toBe(1);
      expect(notices).toEqual([[`cavra.approvals.outcome.${token('req-m')}`, approved]]);
      subscription.unsubscribe();
      const keys = await fleet.jsm.streams.info(approvalsStream, { subjects_filter: '>' });
      expect(Object.keys(keys.state.subjects ?? {}).sort()).toEqual(
        [
          `$KV.cavra_approvals.grant.${request.fingerprint}.${token('req-m')}`,
          `$KV.cavra_approvals.jti.${token('jti-req-m-bob-0000000')}`,
          `$KV.cavra_approvals.req.${token('req-m')}.0`,
          `$KV.cavra_approvals.req.${token('req-m')}.1`,
        ].sort(),
      );
      // Ten retries racing for the once grant from both machines: one is granted.
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 ? approver : requester).consumeGrant('req-m', `decision-${index}`),
        ),
      );
      expect(results.filter(Boolean).length).toBe(1);
      await expect(
        approver.review('req-m', conformanceReview('req-m'), CONFORMANCE_T0),
      ).rejects.toMatchObject({
        code: 'replayed_review',
      });
    } finally {
      await requester.close();
      await approver.close();
    }
  }, 60_000);

  test('a malformed state, a closed store and a missing bucket are store_unavailable or named', async () => {
    await fleet.jsm.streams.purge(approvalsStream);
    const store = await openFleetApprovalStore({ fleet, now: () => CONFORMANCE_T0 });
    const kv = await fleet.kvm.open(FLEET_BUCKETS.approvals);
    await kv.create(`req.${token('req-bad')}.0`, '{"request":{}}');
    await expect(store.get('req-bad')).rejects.toMatchObject({
      code: 'store_unavailable',
      message: 'the fleet approval store holds a malformed state for request req-bad',
    });
    await store.create(conformanceRequest('req-c'));
    const waiting = store.waitForOutcome('req-c', {
      deadline: new Date(CONFORMANCE_T0.getTime() + 60_000),
    });
    await store.close();
    await expect(waiting).rejects.toMatchObject({ code: 'store_unavailable' });
    await expect(store.get('req-c')).rejects.toMatchObject({
      code: 'store_unavailable',
      message: 'the approval store is closed',
    });
    await fleet.jsm.streams.delete(approvalsStream);
    try {
      await expect(openFleetApprovalStore({ fleet })).rejects.toMatchObject({
        name: 'FleetError',
        code: 'bucket_missing',
      });
    } finally {
      await (await connectFleet({ servers: cluster.servers, createBuckets: true })).close();
    }
  }, 60_000);
});

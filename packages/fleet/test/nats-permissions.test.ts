// The documented NATS permissions per role, on a real 3-node cluster: what each role needs works, nothing more.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceRequest, conformanceReview } from '@cavra/approvals/conformance';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  approvalPermissions,
  connectFleet,
  daemonPermissions,
  type EvidenceSource,
  type Fleet,
  mergePermissions,
  openEvidenceBucket,
  openFleetApprovalStore,
  readFleetStatus,
  startHeartbeat,
  startShipper,
  statusReaderPermissions,
  toFleetError,
} from '../src/index.js';

const users = [
  { user: 'publisher', password: 'p' },
  { user: 'daemon-1', password: 'd', permissions: daemonPermissions('daemon-1') },
  { user: 'ops', password: 'o', permissions: statusReaderPermissions() },
  {
    user: 'daemon-2',
    password: 'r',
    permissions: mergePermissions(daemonPermissions('daemon-2'), approvalPermissions('requester')),
  },
  {
    user: 'approver',
    password: 'a',
    permissions: mergePermissions(statusReaderPermissions(), approvalPermissions('approver')),
  },
];
const env = { PASSWORD_P: 'p', PASSWORD_D: 'd', PASSWORD_O: 'o', PASSWORD_R: 'r', PASSWORD_A: 'a' };

let cluster: NatsCluster;
let publisher: Fleet;
beforeAll(async () => {
  // JSON is valid NATS configuration.
  cluster = await startNatsCluster({ nodes: 3, config: `authorization ${JSON.stringify({ users })}` });
  publisher = await connectFleet({
    servers: cluster.servers,
    user: 'publisher',
    password_env: 'PASSWORD_P',
    env,
    createBuckets: true,
  });
  await publisher.bundleHeads.put('prod', JSON.stringify({ revision: 1, target: 'bundle-1.json' }));
  await publisher.bundles.putBlob(
    { name: 'prod/targets/bundle-1.json' },
    new TextEncoder().encode('x'.repeat(300_000)),
  );
});
afterAll(async () => {
  await publisher?.close();
  await cluster?.stop();
});

async function code(promise: Promise<unknown>) {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    return toFleetError(error).code;
  }
}

test('a daemon binds, reads and watches the heads, reads bundles, writes its own status only', async () => {
  const daemon = await connectFleet({
    servers: cluster.servers,
    user: 'daemon-1',
    password_env: 'PASSWORD_D',
    env,
  });
  try {
    expect((await daemon.bundleHeads.get('prod'))?.json()).toEqual({ revision: 1, target: 'bundle-1.json' });
    expect((await daemon.bundles.getBlob('prod/targets/bundle-1.json'))?.length).toBe(300_000);
    const watch = await daemon.bundleHeads.watch({ key: 'prod' });
    const seen: number[] = [];
    const watching = (async () => {
      for await (const entry of watch) {
        seen.push((entry.json() as { revision: number }).revision);
        if (seen.includes(2)) break;
      }
    })();
    await publisher.bundleHeads.put('prod', JSON.stringify({ revision: 2, target: 'bundle-2.json' }));
    await watching;
    expect(seen).toEqual([1, 2]);

    const errors: string[] = [];
    const heartbeat = startHeartbeat({
      fleet: daemon,
      daemonId: 'daemon-1',
      intervalMs: 60_000,
      onError: (error) => errors.push(error.code),
      snapshot: () => ({
        kind: 'ci',
        version: '0.3.0',
        mode: 'enforce',
        channel: 'prod',
        bundle_state: 'none',
        decisions: {},
      }),
    });
    await heartbeat.stop();
    expect([heartbeat.written, errors]).toEqual([1, []]);

    expect(await code(daemon.fleetStatus.put('daemon-2', '{}'))).toBe('permission_denied');
    expect(await code(daemon.bundleHeads.put('prod', '{}'))).toBe('permission_denied');
    expect(await code(daemon.bundles.putBlob({ name: 'prod/targets/evil.json' }, new Uint8Array(1)))).toBe(
      'permission_denied',
    );
    expect(await code(readFleetStatus(daemon))).toBe('permission_denied');
    expect(await code(daemon.jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'] }))).toBe(
      'permission_denied',
    );
    expect(await code(daemon.jsm.streams.delete('KV_cavra_bundle_heads'))).toBe('permission_denied');
  } finally {
    await daemon.close();
  }
});

test("a daemon ships evidence to its own subject and watches its re-send key; another daemon's subject is refused", async () => {
  const daemon = await connectFleet({
    servers: cluster.servers,
    user: 'daemon-1',
    password_env: 'PASSWORD_D',
    env,
  });
  const dir = await mkdtemp(join(tmpdir(), 'cavra-perm-'));
  const line = Buffer.from('{"seq":1,"hash":"ab12ab12ab12ab12ab12"}\n');
  const source: EvidenceSource = {
    epoch: async () => 'ab12ab12ab12ab12',
    lastSeq: () => 1,
    readAfter: async (seq) =>
      seq === 0 ? { lines: [line], first: 1, last: 1, lastHash: 'ab12' } : undefined,
    onAppend: () => () => {},
  };
  const warnings: unknown[] = [];
  const ship = startShipper({
    fleet: daemon,
    daemonId: 'daemon-1',
    source,
    cursorFile: join(dir, 'evidence-ship.json'),
    logger: { warn: (...args) => warnings.push(args), error: (...args) => warnings.push(args) },
  });
  try {
    expect(await ship.drain(60_000)).toEqual({ unshipped: 0 });
    const receipts = await openEvidenceBucket(daemon, 'receipts');
    expect(await receipts.get('daemon-1')).toBe(null);
    expect(await code(daemon.js.publish('cavra.evidence.daemon-2', line))).toBe('permission_denied');
    expect(await code(receipts.put('daemon-1', 'forged'))).toBe('permission_denied');
    expect(await code(openEvidenceBucket(daemon, 'heads'))).toBe('permission_denied');
  } finally {
    await ship.close();
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  }
  expect(warnings).toEqual([]);
});

test('the status reader lists the fleet and writes nothing', async () => {
  const ops = await connectFleet({ servers: cluster.servers, user: 'ops', password_env: 'PASSWORD_O', env });
  try {
    const status = await readFleetStatus(ops);
    expect(status.daemons.map((daemon) => daemon.heartbeat.daemon_id)).toEqual(['daemon-1']);
    expect(status.channels.map((channel) => [channel.channel, channel.head])).toEqual([['prod', 2]]);
    expect(await code(ops.fleetStatus.put('daemon-1', '{}'))).toBe('permission_denied');
    expect(await code(ops.bundleHeads.put('prod', '{}'))).toBe('permission_denied');
  } finally {
    await ops.close();
  }
});

test('approvals: a requesting daemon creates requests, an approver reviews them; a daemon cannot write a grant', async () => {
  const as = (user: string, variable: string) =>
    connectFleet({ servers: cluster.servers, user, password_env: variable, env });
  const [requesterFleet, approverFleet] = [
    await as('daemon-2', 'PASSWORD_R'),
    await as('approver', 'PASSWORD_A'),
  ];
  const now = () => new Date('2026-01-05T10:00:00.000Z');
  const requester = await openFleetApprovalStore({ fleet: requesterFleet, now });
  const approver = await openFleetApprovalStore({ fleet: approverFleet, now });
  try {
    expect(await requester.create(conformanceRequest('req-perm'))).toBe('created');
    const waiting = requester.waitForOutcome('req-perm', { deadline: new Date('2026-01-05T10:10:00.000Z') });
    const approved = await approver.review('req-perm', conformanceReview('req-perm'), now());
    expect((await waiting).outcome).toEqual(approved.outcome);
    expect(await requester.consumeGrant('req-perm', 'decision-1')).toBe(true);
    // A requester's user may not write review ids or grants (nor, so, review).
    await expect(
      requester.review('req-perm', conformanceReview('req-perm', { jti: 'jti-other-000000001' }), now()),
    ).rejects.toMatchObject({ code: 'store_unavailable' });
    expect(
      await code(requesterFleet.kvm.open('cavra_approvals').then((kv) => kv.put('grant.x.y', '{}'))),
    ).toBe('permission_denied');
  } finally {
    await requester.close();
    await approver.close();
    await requesterFleet.close();
    await approverFleet.close();
  }
}, 60_000);

// The heartbeat and the fleet status view against a real 3-node JetStream cluster (R3 buckets).
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  connectFleet,
  type DaemonSnapshot,
  type Fleet,
  FleetError,
  readFleetStatus,
  shippingLag,
  startHeartbeat,
} from '../src/index.js';

let cluster: NatsCluster;
let fleet: Fleet;
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
});
afterAll(async () => {
  await fleet?.close();
  await cluster?.stop();
});

const snapshot = (changes: Partial<DaemonSnapshot> = {}): DaemonSnapshot => ({
  kind: 'ci',
  version: '0.3.0',
  mode: 'enforce',
  channel: 'prod',
  revision: 7,
  bundle_state: 'active',
  activated_at: '2026-12-06T05:00:00.000Z',
  decisions: { allow: 3, block: 1 },
  evidence_head: 'sha256:ab',
  ...changes,
});
const stored = async (key: string) => {
  const entry = await fleet.fleetStatus.get(key);
  return (entry ? entry.json() : {}) as Record<string, unknown>;
};
const lastSeen = async (key: string) => (await fleet.fleetStatus.get(key))?.created.toISOString();

test('a heartbeat is written at start and after each change, with the daemon id and schema', async () => {
  let state = snapshot({ revision: 6 });
  const heartbeat = startHeartbeat({ fleet, daemonId: 'd-one', snapshot: () => state, intervalMs: 60_000 });
  try {
    await expect.poll(() => heartbeat.written).toBe(1);
    const { sent_at: firstSent, ...first } = await stored('d-one');
    expect(first).toEqual({
      ...snapshot({ revision: 6 }),
      schema: 'cavra.fleet.status.v1',
      daemon_id: 'd-one',
    });
    expect(Number.isNaN(Date.parse(firstSent as string))).toBe(false);
    state = snapshot();
    heartbeat.changed();
    await expect.poll(() => heartbeat.written).toBe(2);
    expect((await stored('d-one')).revision).toBe(7);
  } finally {
    await heartbeat.stop();
  }
});

test('without changes the heartbeat is written again every interval', async () => {
  const heartbeat = startHeartbeat({
    fleet,
    daemonId: 'd-timer',
    snapshot: () => snapshot(),
    intervalMs: 100,
  });
  await expect.poll(() => heartbeat.written).toBeGreaterThanOrEqual(3);
  await heartbeat.stop();
  const after = heartbeat.written;
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(heartbeat.written).toBe(after);
  await fleet.fleetStatus.delete('d-timer');
});

test('the fleet status: a histogram per channel, daemons not on head, stale, not seen, unreadable records', async () => {
  await fleet.bundleHeads.put('prod', JSON.stringify({ revision: 7, target: 'bundle-7.json' }));
  await fleet.bundleHeads.put('canary', JSON.stringify({ revision: 2, target: 'bundle-2.json' }));
  const beats = [
    ['d-two', snapshot({ revision: 6, bundle_state: 'stale' })],
    ['d-three', snapshot({ revision: undefined, bundle_state: 'none', activated_at: undefined })],
    ['d-four', snapshot({ channel: 'dev', revision: 1, kind: 'laptop' })],
  ] as const;
  const handles = beats.map(([daemonId, state]) =>
    startHeartbeat({ fleet, daemonId, snapshot: () => state, intervalMs: 60_000 }),
  );
  await expect.poll(() => handles.every((handle) => handle.written === 1)).toBe(true);
  await Promise.all(handles.map((handle) => handle.stop()));
  await fleet.fleetStatus.put('d-junk', 'not json');
  await fleet.fleetStatus.put(
    'd-other',
    JSON.stringify({ ...snapshot(), schema: 'cavra.fleet.status.v1', daemon_id: 'x', sent_at: '' }),
  );

  const seenAt = (await lastSeen('d-four')) as string;
  const now = new Date(Date.parse(seenAt) + 1_000);
  const status = await readFleetStatus(fleet, { now });
  expect(status.read_at).toBe(now.toISOString());
  expect(status.not_seen_after_ms).toBe(75_000);
  expect(status.channels).toEqual([
    { channel: 'canary', head: 2, revisions: [], not_on_head: [], stale: [], not_seen: [] },
    {
      channel: 'dev',
      head: null,
      revisions: [{ revision: 1, daemons: 1 }],
      not_on_head: [],
      stale: [],
      not_seen: [],
    },
    {
      channel: 'prod',
      head: 7,
      revisions: [
        { revision: 7, daemons: 1 },
        { revision: 6, daemons: 1 },
        { revision: null, daemons: 1 },
      ],
      not_on_head: ['d-three', 'd-two'],
      stale: ['d-two'],
      not_seen: [],
    },
  ]);
  expect(status.daemons.map((daemon) => [daemon.heartbeat.daemon_id, daemon.on_head, daemon.seen])).toEqual([
    ['d-four', null, true],
    ['d-one', true, true],
    ['d-three', false, true],
    ['d-two', false, true],
  ]);
  expect(status.daemons[0]?.last_seen).toBe(seenAt);
  expect(status.unreadable).toEqual([
    { bucket: 'cavra_fleet_status', key: 'd-junk', reason: 'not a JSON object' },
    { bucket: 'cavra_fleet_status', key: 'd-other', reason: 'daemon_id is not its key' },
  ]);

  // Two minutes on, nobody wrote: every daemon is not seen.
  const later = await readFleetStatus(fleet, { now: new Date(now.getTime() + 120_000) });
  expect(later.channels.map((channel) => [channel.channel, channel.not_seen])).toEqual([
    ['canary', []],
    ['dev', ['d-four']],
    ['prod', ['d-one', 'd-three', 'd-two']],
  ]);
});

test('the evidence shipping state: read back, worded as the lag, a malformed one unreadable, an old heartbeat read', async () => {
  const beats = [
    ['d-ships', snapshot({ evidence_seq: 42, evidence_shipping: { shipped_seq: 39, pending: 3 } })],
    ['d-caught-up', snapshot({ evidence_seq: 5, evidence_shipping: { shipped_seq: 5, pending: 0 } })],
    ['d-unconnected', snapshot({ evidence_seq: 5, evidence_shipping: { shipped_seq: 0, pending: null } })],
    ['d-old', snapshot()],
  ] as const;
  const handles = beats.map(([daemonId, state]) =>
    startHeartbeat({ fleet, daemonId, snapshot: () => state, intervalMs: 60_000 }),
  );
  await Promise.all(handles.map((handle) => handle.stop()));
  const bad = (daemonId: string, changes: Record<string, unknown>) =>
    fleet.fleetStatus.put(
      daemonId,
      JSON.stringify({
        ...snapshot(),
        schema: 'cavra.fleet.status.v1',
        daemon_id: daemonId,
        sent_at: '',
        ...changes,
      }),
    );
  await bad('d-bad-pending', { evidence_shipping: { shipped_seq: 1, pending: -1 } });
  await bad('d-bad-shipping', { evidence_shipping: 'lots' });
  await bad('d-bad-seq', { evidence_seq: 1.5 });
  const status = await readFleetStatus(fleet);
  const ids = beats.map(([daemonId]) => daemonId as string);
  expect(
    status.daemons
      .filter((daemon) => ids.includes(daemon.heartbeat.daemon_id))
      .map(({ heartbeat }) => [
        heartbeat.daemon_id,
        heartbeat.evidence_seq,
        heartbeat.evidence_shipping,
        shippingLag(heartbeat),
      ]),
  ).toEqual([
    ['d-caught-up', 5, { shipped_seq: 5, pending: 0 }, '0 records'],
    ['d-old', undefined, undefined, 'not shipping'],
    ['d-ships', 42, { shipped_seq: 39, pending: 3 }, '3 records'],
    ['d-unconnected', 5, { shipped_seq: 0, pending: null }, 'not connected yet'],
  ]);
  expect(status.unreadable.filter(({ key }) => key.startsWith('d-bad-'))).toEqual([
    {
      bucket: 'cavra_fleet_status',
      key: 'd-bad-pending',
      reason: 'evidence_shipping.pending is not an integer ≥ 0 or null',
    },
    { bucket: 'cavra_fleet_status', key: 'd-bad-seq', reason: 'evidence_seq is not an integer ≥ 0' },
    { bucket: 'cavra_fleet_status', key: 'd-bad-shipping', reason: 'evidence_shipping is not an object' },
  ]);
  await Promise.all(
    [...ids, 'd-bad-pending', 'd-bad-shipping', 'd-bad-seq'].map((id) => fleet.fleetStatus.delete(id)),
  );
});

test('heartbeats keep arriving after kill -9 of the node the daemon is connected to', async () => {
  const daemon = await connectFleet({ servers: cluster.servers });
  const index = cluster.nodes.findIndex((node) => node.port === daemon.nc.info?.port);
  expect(index).toBeGreaterThanOrEqual(0);
  const errors: string[] = [];
  let state = snapshot({ revision: 1 });
  const heartbeat = startHeartbeat({
    fleet: daemon,
    daemonId: 'd-survivor',
    snapshot: () => state,
    intervalMs: 60_000,
    onError: (error) => errors.push(error.code),
  });
  try {
    await expect.poll(() => heartbeat.written).toBe(1);
    await cluster.kill(index);
    await cluster.ready();
    state = snapshot({ revision: 2 });
    // A write during the reconnect may time out (reported, not thrown): the next change writes again.
    await expect
      .poll(
        async () => {
          heartbeat.changed();
          return (await stored('d-survivor')).revision;
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toBe(2);
    expect(errors.filter((code) => code !== 'nats_timeout')).toEqual([]);
  } finally {
    await heartbeat.stop();
    await daemon.close();
    await cluster.restart(index);
  }
});

test('a daemon id that cannot be a KV key, or a tiny interval, is refused', () => {
  expect(() => startHeartbeat({ fleet, daemonId: 'a b', snapshot })).toThrow(
    new FleetError('invalid_heartbeat', 'daemon id "a b" cannot be a status key'),
  );
  expect(() => startHeartbeat({ fleet, daemonId: 'ok', snapshot, intervalMs: 5 })).toThrow(
    'intervalMs must be an integer ≥ 100, got 5',
  );
});

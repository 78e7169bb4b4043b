// `cavra fleet status` against a real 3-node JetStream cluster with daemons' heartbeats written by @cavra/fleet.
import { connectFleet, type DaemonSnapshot, type Fleet, startHeartbeat } from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';

let cluster: NatsCluster;
let fleet: Fleet;
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
  await fleet.bundleHeads.put('prod', JSON.stringify({ revision: 3, target: 'bundle-3.json' }));
  const daemons: [string, Partial<DaemonSnapshot>][] = [
    ['ci-runner-1', { revision: 3, evidence_seq: 40, evidence_shipping: { shipped_seq: 38, pending: 2 } }],
    [
      'ci-runner-2',
      { revision: 2, bundle_state: 'stale', evidence_shipping: { shipped_seq: 0, pending: null } },
    ],
    ['laptop-ana', { kind: 'laptop', revision: 3 }],
  ];
  const beats = daemons.map(([daemonId, state]) =>
    startHeartbeat({
      fleet,
      daemonId,
      intervalMs: 60_000,
      snapshot: () => ({
        kind: 'ci',
        version: '0.3.0',
        mode: 'enforce',
        channel: 'prod',
        bundle_state: 'active',
        decisions: { allow: 1 },
        ...state,
      }),
    }),
  );
  // stop() waits for the write in progress: the first, started at once.
  await Promise.all(beats.map((beat) => beat.stop()));
  if (!beats.every((beat) => beat.written === 1)) throw new Error('a heartbeat was not written');
});
afterAll(async () => {
  await fleet?.close();
  await cluster?.stop();
  await removeTempDirs();
});

describe('cavra fleet status', () => {
  it('prints the revisions per channel, who is not on the head or stale, and one line per daemon', async () => {
    const run = await cavra(['fleet', 'status', '--nats', cluster.servers.join(',')], tempDir());
    expect([run.code, run.stderr]).toEqual([0, '']);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'channel prod: head revision 3',
      '  revision 3: 2 daemons',
      '  revision 2: 1 daemon',
      '  not on head: ci-runner-2',
      '  stale bundle: ci-runner-2',
      '  not seen for 75 s: none',
    ]);
    expect(lines[6]).toMatch(/^3 daemons \(read \d{4}-\d\d-\d\dT[\d:.]+Z\):$/);
    expect(lines.slice(7).map((line) => line.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/, '<time>'))).toEqual([
      '  DAEMON       KIND    CHANNEL  REVISION  BUNDLE  LAST SEEN                 SEEN  SHIPPING LAG',
      '  ci-runner-1  ci      prod     3         active  <time>  yes   2 records',
      '  ci-runner-2  ci      prod     2         stale   <time>  yes   not connected yet',
      '  laptop-ana   laptop  prod     3         active  <time>  yes   not shipping',
      '',
    ]);
  });

  it('--not-seen-after sets how long without a heartbeat a daemon is still seen', async () => {
    const run = await cavra(
      ['fleet', 'status', '--nats', cluster.servers[0] as string, '--not-seen-after', '3600', '--json'],
      tempDir(),
    );
    expect([run.code, JSON.parse(run.stdout).not_seen_after_ms]).toEqual([0, 3_600_000]);
  });

  it('--json prints readFleetStatus with a schema_version; each --nats may name one server', async () => {
    const run = await cavra(
      ['fleet', 'status', ...cluster.servers.flatMap((server) => ['--nats', server]), '--json'],
      tempDir(),
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual([
      'schema_version',
      'read_at',
      'not_seen_after_ms',
      'channels',
      'daemons',
      'unreadable',
    ]);
    expect(report.schema_version).toBe('cavra.cli.fleet.v1');
    expect(report.not_seen_after_ms).toBe(75_000);
    expect(report.channels).toEqual([
      {
        channel: 'prod',
        head: 3,
        revisions: [
          { revision: 3, daemons: 2 },
          { revision: 2, daemons: 1 },
        ],
        not_on_head: ['ci-runner-2'],
        stale: ['ci-runner-2'],
        not_seen: [],
      },
    ]);
    expect(
      report.daemons.map((daemon: { heartbeat: { daemon_id: string } }) => daemon.heartbeat.daemon_id),
    ).toEqual(['ci-runner-1', 'ci-runner-2', 'laptop-ana']);
  });

  it('refusals: no server, a missing password variable, no --nats', async () => {
    const dir = tempDir();
    const down = await cavra(['fleet', 'status', '--nats', 'nats://127.0.0.1:1', '--json'], dir);
    expect([down.code, JSON.parse(down.stdout), down.stderr]).toEqual([
      1,
      {
        schema_version: 'cavra.cli.fleet.v1',
        error: {
          code: 'nats_unreachable',
          message: 'no NATS server of nats://127.0.0.1:1 could be reached (connection refused)',
        },
      },
      'cavra: fleet status: nats_unreachable: no NATS server of nats://127.0.0.1:1 could be reached (connection refused)\n',
    ]);
    const noSecret = await cavra(
      [
        'fleet',
        'status',
        '--nats',
        cluster.servers[0] as string,
        '--user',
        'ops',
        '--password-env',
        'CAVRA_TEST_UNSET',
      ],
      dir,
    );
    expect([noSecret.code, noSecret.stderr]).toEqual([
      1,
      'cavra: fleet status: credentials_missing: the environment variable CAVRA_TEST_UNSET is not set or empty\n',
    ]);
    const usage = await cavra(['fleet', 'status', '--nats', 'http://x', '--token-env', 'T'], dir);
    expect([usage.code, usage.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: fleet status: servers: "http://x" is not a NATS server URL (nats://host:port or tls://host:port)',
    ]);
    const badAge = await cavra(
      ['fleet', 'status', '--nats', 'nats://127.0.0.1:1', '--not-seen-after', '2m'],
      dir,
    );
    expect([badAge.code, badAge.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: fleet status: --not-seen-after must be a whole number of seconds ≥ 1',
    ]);
    const missing = await cavra(['fleet', 'status'], dir);
    expect([missing.code, missing.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra: fleet status: --nats is required',
    ]);
  });
});

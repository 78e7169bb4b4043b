import {
  connectFleet,
  type DaemonStatus,
  type Fleet,
  type readFleetStatus,
  startHeartbeat,
} from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningConsole, startConsole } from '../src/index.js';
import { HttpSession } from './support/http-session.js';

// One JetStream server; a daemon's heartbeat written as a daemon writes it; the console reads the fleet's status.
let cluster: NatsCluster;
let fleet: Fleet;
const consoles: RunningConsole[] = [];
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 1 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true, replicas: 1 });
  await fleet.bundleHeads.put('prod', JSON.stringify({ revision: 3, target: 'bundle-3.json' }));
  const heartbeat = startHeartbeat({
    fleet,
    daemonId: 'ci-runner-1',
    snapshot: () => ({
      kind: 'ci',
      version: '0.3.0',
      mode: 'enforce',
      channel: 'prod',
      revision: 2,
      bundle_state: 'active',
      decisions: { allow: 12, block: 1 },
      evidence_seq: 14,
      evidence_shipping: { shipped_seq: 13, pending: 1 },
    }),
  });
  await heartbeat.stop(); // waits for the first write
}, 60_000);
afterAll(async () => {
  for (const running of consoles) await running.close();
  await fleet?.close();
  await cluster?.stop();
});

async function signedIn(options: Parameters<typeof startConsole>[0]) {
  const running = await startConsole(options);
  consoles.push(running);
  const http = new HttpSession(running);
  await http.signIn();
  return http;
}

describe('the fleet view', () => {
  it('answers the fleet status as readFleetStatus reads it', async () => {
    const http = await signedIn({ fleet: { servers: cluster.servers } });
    const [status, body] = await http.json(http.get('/api/fleet'));
    expect(status).toBe(200);
    const answered = body as Awaited<ReturnType<typeof readFleetStatus>>;
    expect(answered.channels).toEqual([
      {
        channel: 'prod',
        head: 3,
        revisions: [{ revision: 2, daemons: 1 }],
        not_on_head: ['ci-runner-1'],
        stale: [],
        not_seen: [],
      },
    ]);
    expect(
      (answered.daemons as (DaemonStatus & { shipping_lag: string })[]).map(
        ({ heartbeat, seen, on_head, shipping_lag }) => [
          heartbeat.daemon_id,
          heartbeat.kind,
          heartbeat.revision,
          heartbeat.bundle_state,
          heartbeat.decisions,
          heartbeat.evidence_shipping,
          seen,
          on_head,
          shipping_lag,
        ],
      ),
    ).toEqual([
      [
        'ci-runner-1',
        'ci',
        2,
        'active',
        { allow: 12, block: 1 },
        { shipped_seq: 13, pending: 1 },
        true,
        false,
        '1 record',
      ],
    ]);
  });

  it('answers 502 fleet_unavailable when NATS does not answer', async () => {
    const http = await signedIn({ fleet: { servers: ['nats://127.0.0.1:1'] } });
    const [status, body] = await http.json(http.get('/api/fleet'));
    expect([status, (body as { error: { code: string; message: string } }).error.code]).toEqual([
      502,
      'fleet_unavailable',
    ]);
    expect((body as { error: { message: string } }).error.message).toMatch(/^nats_unreachable: /);
  });
});

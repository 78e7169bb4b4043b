// connectFleet against a real 3-node JetStream cluster with users: buckets created with 3 replicas or only bound,
// every failure a FleetError with its code.
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  connectFleet,
  EVIDENCE_ALERTS_STREAM,
  EVIDENCE_STREAM,
  FLEET_BUCKETS,
  FleetError,
  openEvidenceBucket,
} from '../src/index.js';

// The publisher may do anything; `watcher` may use no JetStream at all.
const USERS = `authorization {
  users: [
    { user: publisher, password: publisher-secret }
    { user: watcher, password: watcher-secret, permissions: { publish: { deny: "$JS.>" } } }
  ]
}`;
const env = { PUBLISHER_PASSWORD: 'publisher-secret', WATCHER_PASSWORD: 'watcher-secret', WRONG: 'nope' };

let cluster: NatsCluster;
beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3, config: USERS });
});
afterAll(() => cluster?.stop());

const publisher = () => ({
  servers: cluster.servers,
  user: 'publisher',
  password_env: 'PUBLISHER_PASSWORD',
  env,
});

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FleetError);
  return { code: (error as FleetError).code, message: (error as FleetError).message };
}

describe('buckets', () => {
  test('a daemon connection before any publisher: the missing bucket is named', async () => {
    expect(await refusal(connectFleet(publisher()))).toEqual({
      code: 'bucket_missing',
      message:
        'the fleet bucket cavra_bundle_heads does not exist: a publisher creates them (connectFleet with createBuckets)',
    });
  });

  test('createBuckets makes the four buckets with 3 replicas; another connection binds them', async () => {
    const created = await connectFleet({ ...publisher(), createBuckets: true });
    try {
      const streams = [
        'KV_cavra_bundle_heads',
        'KV_cavra_fleet_status',
        'OBJ_cavra_bundles',
        'KV_cavra_approvals',
      ];
      const infos = await Promise.all(streams.map((stream) => created.jsm.streams.info(stream)));
      expect(
        infos.map((info) => [info.config.name, info.config.num_replicas, info.cluster?.replicas?.length]),
      ).toEqual([
        ['KV_cavra_bundle_heads', 3, 2],
        ['KV_cavra_fleet_status', 3, 2],
        ['OBJ_cavra_bundles', 3, 2],
        ['KV_cavra_approvals', 3, 2],
      ]);
      // The approvals bucket keeps each key 30 days after its last write (stream max_age, in nanoseconds).
      expect(infos[3]?.config.max_age).toBe(30 * 24 * 3600 * 1e9);
      expect((await created.bundleHeads.status()).history).toBe(10);
      expect((await created.fleetStatus.status()).history).toBe(1);
      await created.bundleHeads.put('prod', JSON.stringify({ revision: 4, target: 'bundle-4.json' }));
      await created.bundles.putBlob({ name: 'prod/targets/bundle-4.json' }, new TextEncoder().encode('{}'));

      const bound = await connectFleet(publisher());
      try {
        expect((await bound.bundleHeads.get('prod'))?.json()).toEqual({
          revision: 4,
          target: 'bundle-4.json',
        });
        expect(
          new TextDecoder().decode((await bound.bundles.getBlob('prod/targets/bundle-4.json')) ?? undefined),
        ).toBe('{}');
        expect(FLEET_BUCKETS).toEqual({
          bundles: 'cavra_bundles',
          bundleHeads: 'cavra_bundle_heads',
          fleetStatus: 'cavra_fleet_status',
          approvals: 'cavra_approvals',
        });
      } finally {
        await bound.close();
      }
    } finally {
      await created.close();
    }
  });

  test('creating again binds the existing buckets, their content kept', async () => {
    const again = await connectFleet({ ...publisher(), createBuckets: true });
    try {
      expect((await again.bundleHeads.get('prod'))?.json()).toEqual({ revision: 4, target: 'bundle-4.json' });
    } finally {
      await again.close();
    }
  });

  test('createBuckets also makes the evidence streams and buckets; a shipper binds them', async () => {
    const fleet = await connectFleet(publisher());
    try {
      const streams = [EVIDENCE_STREAM, EVIDENCE_ALERTS_STREAM];
      const configs = (await Promise.all(streams.map((stream) => fleet.jsm.streams.info(stream)))).map(
        ({ config }) => [
          config.name,
          config.subjects,
          config.storage,
          config.num_replicas,
          config.duplicate_window,
          config.max_msg_size,
        ],
      );
      expect(configs).toEqual([
        ['CAVRA_EVIDENCE', ['cavra.evidence.>'], 'file', 3, 120_000_000_000, 1_048_576],
        ['CAVRA_EVIDENCE_ALERTS', ['cavra.evidence_alerts.>'], 'file', 3, 120_000_000_000, 1_048_576],
      ]);
      const buckets = await Promise.all(
        (['heads', 'receipts', 'resend'] as const).map(async (key) => {
          const status = await (await openEvidenceBucket(fleet, key)).status();
          return [status.bucket, status.history, status.replicas];
        }),
      );
      expect(buckets).toEqual([
        ['cavra_evidence_heads', 5, 3],
        ['cavra_evidence_receipts', 5, 3],
        ['cavra_evidence_resend', 1, 3],
      ]);
    } finally {
      await fleet.close();
    }
  });

  test('the fleet survives kill -9 of one node: a write and a read through the other two', async () => {
    const fleet = await connectFleet({ ...publisher(), servers: [cluster.servers[0] as string] });
    try {
      await cluster.kill(0);
      await cluster.ready(); // When node 0 led the meta group, the other two elect a leader first.
      const other = await connectFleet({ ...publisher(), servers: cluster.servers.slice(1) });
      try {
        await other.bundleHeads.put('prod', JSON.stringify({ revision: 5, target: 'bundle-5.json' }));
        expect((await other.bundleHeads.get('prod'))?.json()).toEqual({
          revision: 5,
          target: 'bundle-5.json',
        });
      } finally {
        await other.close();
      }
    } finally {
      await cluster.restart(0);
      await fleet.close();
    }
  });

  // A replicated stream answers its creation once its copies elected a leader. With the copy that was to campaign
  // first stalled, the other two wait out nats-server's election timeout (4 to 9 s): past the client's usual 5 s.
  test('createBuckets makes every bucket and stream while one of three nodes is stalled (SIGSTOP)', async () => {
    const stalled = await startNatsCluster({ nodes: 3 });
    try {
      const jsz = (await (await fetch(`${stalled.nodes[0]?.monitorUrl}/jsz`)).json()) as {
        meta_cluster: { leader: string };
      };
      // Not the meta leader: without it no bucket can be made at all, however long the wait.
      const frozen = stalled.nodes.find((node) => node.name !== jsz.meta_cluster.leader);
      process.kill(frozen?.pid as number, 'SIGSTOP');
      try {
        const servers = stalled.nodes.filter((node) => node !== frozen).map((node) => node.url);
        const fleet = await connectFleet({ servers, createBuckets: true });
        try {
          const streams: [string, number][] = [];
          for await (const info of fleet.jsm.streams.list())
            streams.push([info.config.name, info.config.num_replicas]);
          expect(streams.sort()).toEqual(
            [
              'CAVRA_EVIDENCE',
              'CAVRA_EVIDENCE_ALERTS',
              'KV_cavra_approvals',
              'KV_cavra_bundle_heads',
              'KV_cavra_evidence_heads',
              'KV_cavra_evidence_receipts',
              'KV_cavra_evidence_resend',
              'KV_cavra_fleet_status',
              'OBJ_cavra_bundles',
            ].map((name) => [name, 3]),
          );
        } finally {
          await fleet.close();
        }
      } finally {
        process.kill(frozen?.pid as number, 'SIGCONT');
      }
    } finally {
      await stalled.stop();
    }
  }, 180_000);
});

describe('refusals', () => {
  test('wrong password', async () => {
    expect(await refusal(connectFleet({ ...publisher(), password_env: 'WRONG' }))).toEqual({
      code: 'nats_auth_failed',
      message: 'the NATS servers refused the credentials (Authorization Violation)',
    });
  });

  test('a user without JetStream rights', async () => {
    expect(
      await refusal(
        connectFleet({ servers: cluster.servers, user: 'watcher', password_env: 'WATCHER_PASSWORD', env }),
      ),
    ).toEqual({
      code: 'permission_denied',
      message: 'the NATS user is not allowed this: Permissions Violation for Publish to "$JS.API.INFO"',
    });
  });

  test('no server listening', async () => {
    expect(await refusal(connectFleet({ servers: ['nats://127.0.0.1:1'], timeoutMs: 1_000 }))).toEqual({
      code: 'nats_unreachable',
      message: 'no NATS server of nats://127.0.0.1:1 could be reached (connection refused)',
    });
  });

  test.each([
    [{ servers: [] }, 'invalid_options', 'servers must list at least one NATS server URL'],
    [
      { servers: ['http://127.0.0.1:4222'] },
      'invalid_options',
      'servers: "http://127.0.0.1:4222" is not a NATS server URL (nats://host:port or tls://host:port)',
    ],
    [
      { servers: ['nats://a:1'], user: 'u' },
      'invalid_options',
      'user needs password_env (the variable holding the password)',
    ],
    [{ servers: ['nats://a:1'], password_env: 'P' }, 'invalid_options', 'password_env needs user'],
    [
      { servers: ['nats://a:1'], user: 'u', password_env: 'P', token_env: 'T' },
      'invalid_options',
      'name one way to authenticate, not user and token_env',
    ],
    [
      { servers: ['nats://a:1'], token_env: 'UNSET' },
      'credentials_missing',
      'the environment variable UNSET is not set or empty',
    ],
    [
      { servers: ['nats://a:1'], creds_file: '/nonexistent/user.creds' },
      'credentials_missing',
      'the NATS credentials file /nonexistent/user.creds cannot be read (ENOENT)',
    ],
    [
      { servers: ['nats://a:1'], replicas: 0 },
      'invalid_options',
      'replicas must be an integer from 1 to 5, got 0',
    ],
  ])('bad options %j', async (options, code, message) => {
    expect(await refusal(connectFleet({ ...options, env: {} }))).toEqual({ code, message });
  });
});

test('a server without JetStream', async () => {
  const plain = await startNatsCluster({ nodes: 1, jetstream: false });
  try {
    expect(await refusal(connectFleet({ servers: plain.servers }))).toEqual({
      code: 'jetstream_unavailable',
      message: 'JetStream is not enabled for this NATS account (jetstream is not enabled)',
    });
  } finally {
    await plain.stop();
  }
});

// The documented NATS permissions of the evidence roles on a real 3-node cluster with users: the verifier
// (`cavra-daemon evidence verifier --user`) verifies and signs receipts, the reader (@cavra/fleet's readEvidence, as
// `cavra evidence query`) reads; neither may publish evidence.
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  connectFleet,
  EVIDENCE_STREAM,
  evidenceReaderPermissions,
  evidenceSubject,
  evidenceVerifierPermissions,
  type Fleet,
  readEvidence,
  toFleetError,
} from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli } from './support/daemon-process.js';
import { hashOf, publishBatch, sealedLog } from './support/evidence-batches.js';

const users = [
  { user: 'publisher', password: 'p' },
  { user: 'verifier', password: 'v', permissions: evidenceVerifierPermissions() },
  { user: 'reader', password: 'r', permissions: evidenceReaderPermissions() },
];
const env = { PASSWORD_P: 'p', PASSWORD_V: 'v', PASSWORD_R: 'r' };

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
}, 60_000);
afterAll(async () => {
  await publisher?.close();
  await cluster?.stop();
  await removeTempDirs();
});

async function code(promise: Promise<unknown>) {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    return toFleetError(error).code;
  }
}

test('the verifier verifies with its permissions; the reader reads; neither publishes evidence', async () => {
  const lines = sealedLog('ci-9', 3);
  await publishBatch(publisher, 'ci-9', lines, 1, 3);
  const dir = tempDir();
  const receiptKey = join(dir, 'receipt.pem');
  await writeFile(
    receiptKey,
    generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
    { mode: 0o600 },
  );
  // The child reads the password from the variable --password-env names (cli() passes this environment on).
  process.env.CAVRA_TEST_VERIFIER_PASSWORD = 'v';
  const run = await cli([
    'evidence',
    'verifier',
    '--nats',
    cluster.servers.join(','),
    '--user',
    'verifier',
    '--password-env',
    'CAVRA_TEST_VERIFIER_PASSWORD',
    '--receipt-key',
    receiptKey,
    '--once',
  ]);
  expect([run.code, run.stdout, run.stderr.includes('"level":"error"')]).toEqual([
    0,
    'verified 1 batches (3 records), 0 already verified, 0 alerts, 0 waiting for missing records\n',
    false,
  ]);
  const heads = await publisher.kvm.open('cavra_evidence_heads');
  expect((await heads.get('ci-9'))?.json()).toMatchObject({ seq: 3, hash: hashOf(lines[2] as string) });

  const reader = await connectFleet({
    servers: cluster.servers,
    user: 'reader',
    password_env: 'PASSWORD_R',
    env,
  });
  const verifier = await connectFleet({
    servers: cluster.servers,
    user: 'verifier',
    password_env: 'PASSWORD_V',
    env,
  });
  try {
    const read = [];
    for await (const record of readEvidence(reader, { daemonId: 'ci-9' }))
      read.push([record.seq, record.verified]);
    expect(read).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    // The verifier reads single messages of a daemon's subject (whether records missing before a batch are stored).
    const stored = await verifier.jsm.streams.getMessage(EVIDENCE_STREAM, {
      seq: 1,
      next_by_subj: evidenceSubject('ci-9'),
    } as never);
    expect(stored?.subject).toBe(evidenceSubject('ci-9'));
    expect(
      await Promise.all([
        code(publishBatch(reader, 'ci-9', lines, 1, 1)),
        code(publishBatch(verifier, 'ci-9', lines, 1, 1)),
        code(reader.js.publish(evidenceSubject('ci-9'), 'x')),
        code((async () => (await reader.kvm.open('cavra_evidence_heads')).put('ci-9', '{}'))()),
      ]),
    ).toEqual(['permission_denied', 'permission_denied', 'permission_denied', 'permission_denied']);
  } finally {
    await reader.close();
    await verifier.close();
  }
}, 60_000);

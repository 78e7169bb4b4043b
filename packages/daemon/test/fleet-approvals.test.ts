// A real daemon (its own process) with `approvals: { store: fleet }` on a real 3-node NATS cluster: an evaluate waits
// for the outcome an approver on another connection writes through the fleet store, and is answered `allow`.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApproverKey, signReview, verifyReview } from '@cavra/approvals';
import { createClient } from '@cavra/daemon-client';
import { connectFleet, type Fleet, initChannelTrust, openFleetApprovalStore } from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

let cluster: NatsCluster;
let approverFleet: Fleet;
let trustRoot: string;
const bob = {
  id: 'bob@example.com',
  key: undefined as unknown as Awaited<ReturnType<typeof generateApproverKey>>,
};

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  approverFleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
  trustRoot = (await initChannelTrust({ channel: 'team', keysDir: join(tempDir(), 'keys') })).rootFile;
  bob.key = await generateApproverKey();
}, 180_000);

afterAll(async () => {
  await approverFleet?.close().catch(() => undefined);
  await cluster?.stop();
});

/** An enrolled fleet daemon deciding with the baseline (its bootstrap pack), approvals in the fleet store. */
async function startFleetDaemon(servers: readonly string[]) {
  const dir = tempDir();
  await writeFile(join(dir, 'bob.pub.pem'), bob.key.publicKeyPem);
  await writeFile(
    join(dir, 'boot.yaml'),
    'metadata: {id: boot, version: 1.0.0, inherits: cavra-ai-agent-baseline}\n',
  );
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(
    configFile,
    [
      'socket_path: run/d.sock',
      'evidence_log: evidence.jsonl',
      'fleet:',
      `  servers: [${servers.join(', ')}]`,
      '  channel: team',
      `  trust_root: ${trustRoot}`,
      '  bootstrap_pack: boot.yaml',
      'approvals:',
      '  store: fleet',
      '  wait_ms: 50000',
      '  groups:',
      '    Repository Owners:',
      `      approvers: [{ id: ${bob.id}, public_key: bob.pub.pem }]`,
      '',
    ].join('\n'),
  );
  expect((await cli(['enroll', '--config', configFile], dir)).code).toBe(0);
  const socketPath = join(dir, 'run', 'd.sock');
  await DaemonProcess.start(configFile, socketPath);
  return { socketPath, evidence: join(dir, 'evidence.jsonl') };
}

const PUBLISH = {
  ...REQUEST,
  action_type: 'execute_command',
  target: 'npm publish',
  requested_operation: 'execute',
  policy_pack: '',
};

it('an evaluate waits for the outcome reviewed through the fleet store and is answered allow', async () => {
  const daemon = await startFleetDaemon(cluster.servers);
  const client = createClient({ socketPath: daemon.socketPath, timeoutMs: 60_000 });
  const approver = await openFleetApprovalStore({ fleet: approverFleet });
  try {
    const answer = client.evaluate(PUBLISH);
    const pending = await expect
      .poll(async () => (await approver.list({ status: 'pending' }))[0], { timeout: 60_000, interval: 50 })
      .toBeDefined()
      .then(async () => (await approver.list({ status: 'pending' }))[0]);
    const requestId = pending?.request.request_id as string;
    expect(pending?.request.requester).toEqual({
      actor: REQUEST.actor,
      agent_id: REQUEST.agent_id,
      session_id: REQUEST.session_id,
    });
    const jws = await signReview(
      { request_id: requestId, verdict: 'approve', reviewer: bob.id, scope: 'once' },
      bob.key.privateKeyPem,
    );
    const review = await verifyReview(jws, {
      approvers: { 'Repository Owners': [{ id: bob.id, publicKey: bob.key.publicKeyPem }] },
      seenJti: (jti) => approver.seenJti(jti),
    });
    await approver.review(requestId, review, new Date());
    const decided = await answer;
    expect([decided.decision, decided.rule_id]).toEqual(['allow', 'approval.granted']);
    expect(decided.evidence_refs).toContain(`cavra-approval://${requestId}`);
    // The daemon recorded the review made elsewhere, the outcome and the grant its answer used.
    const events = (await readFile(daemon.evidence, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).event?.type)
      .filter((type) => type?.startsWith('approval_')); // the follower's bundle_refused: no bundle on the channel
    expect(events).toEqual([
      'approval_requested',
      'approval_reviewed',
      'approval_outcome',
      'approval_grant_used',
    ]);
    expect((await approver.get(requestId))?.outcome?.grant?.consumed_by).toBe(decided.decision_id);
  } finally {
    await client.close();
    await approver.close();
  }
}, 120_000);

it('a forged approved state written to the bucket is block approval.unverifiable; a valid review then allows', async () => {
  const daemon = await startFleetDaemon(cluster.servers);
  const client = createClient({ socketPath: daemon.socketPath, timeoutMs: 60_000 });
  // What a holder of a daemon's NATS credentials can do: the store applies any review object it is given.
  const forger = await openFleetApprovalStore({ fleet: approverFleet });
  const mallory = await generateApproverKey();
  const pendingId = async (except?: string) => {
    let id: string | undefined;
    await expect
      .poll(
        async () => {
          const pending = await forger.list({ status: 'pending' });
          id = pending.map((state) => state.request.request_id).find((found) => found !== except);
          return id;
        },
        { timeout: 60_000, interval: 50 },
      )
      .toBeDefined();
    return id as string;
  };
  try {
    const first = client.evaluate(PUBLISH);
    const forgedId = await pendingId();
    // Signed by a key no group lists, claiming to be bob, who is.
    const jws = await signReview(
      { request_id: forgedId, verdict: 'approve', reviewer: bob.id, scope: 'ttl:8h' },
      mallory.privateKeyPem,
    );
    const claims = JSON.parse(Buffer.from(jws.split('.')[1] as string, 'base64url').toString('utf8'));
    const forged = await forger.review(
      forgedId,
      { ...claims, groups: ['Repository Owners'], method: 'key', kid: 'forged', jws },
      new Date(),
    );
    expect(forged.outcome?.status).toBe('approved');
    const blocked = await first;
    expect([blocked.decision, blocked.rule_id, blocked.reason]).toEqual([
      'block',
      'approval.unverifiable',
      `approval request ${forgedId} cannot be verified: review 1 does not verify (unknown_approver); nothing was approved`,
    ]);

    // The forged state's grant (ttl:8h, in the bucket's grant index) is not used: the same action is asked again.
    const second = client.evaluate(PUBLISH);
    const requestId = await pendingId(forgedId);
    const valid = await signReview(
      { request_id: requestId, verdict: 'approve', reviewer: bob.id, scope: 'once' },
      bob.key.privateKeyPem,
    );
    // As `cavra approval approve --nats` does: verified with the daemon config's keys, then written.
    const review = await verifyReview(valid, {
      approvers: { 'Repository Owners': [{ id: bob.id, publicKey: bob.key.publicKeyPem }] },
      seenJti: (jti) => forger.seenJti(jti),
    });
    await forger.review(requestId, review, new Date());
    const allowed = await second;
    expect([allowed.decision, allowed.rule_id]).toEqual(['allow', 'approval.granted']);

    const events = (await readFile(daemon.evidence, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).event)
      .filter((event) => event?.type?.startsWith('approval_'));
    expect(events.map((event) => [event.type, event.request_id ?? event.request.request_id])).toEqual([
      ['approval_requested', forgedId],
      ['approval_unverifiable', forgedId],
      ['approval_unverifiable', forgedId],
      ['approval_requested', requestId],
      ['approval_reviewed', requestId],
      ['approval_outcome', requestId],
      ['approval_grant_used', requestId],
    ]);
    expect(events[1].problem).toBe('review 1 does not verify (unknown_approver)');
  } finally {
    await client.close();
    await forger.close();
  }
}, 120_000);

it('a fleet store that cannot be reached answers block approval.unavailable', async () => {
  const daemon = await startFleetDaemon(['nats://127.0.0.1:9']);
  const client = createClient({ socketPath: daemon.socketPath, timeoutMs: 60_000 });
  try {
    const decided = await client.evaluate(PUBLISH);
    expect([decided.decision, decided.rule_id]).toEqual(['block', 'approval.unavailable']);
  } finally {
    await client.close();
  }
}, 120_000);

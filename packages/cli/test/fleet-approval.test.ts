// `cavra approval ... --nats` on the fleet's approval store of a real 3-node NATS cluster: no daemon in between; and
// a real requesting fleet daemon whose held evaluate the CLI's review answers.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { conformanceRequest } from '@cavra/approvals/conformance';
import { createClient } from '@cavra/daemon-client';
import { connectFleet, type Fleet, initChannelTrust, openFleetApprovalStore } from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { APPROVER, publishRequest } from '../bench/approval-round-trip.js';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';
import { consoleSession, startConsoleProcess, stopConsoles } from './support/console-process.js';

let cluster: NatsCluster;
let fleet: Fleet;
let dir: string;
let nats: string;

beforeAll(async () => {
  cluster = await startNatsCluster({ nodes: 3 });
  fleet = await connectFleet({ servers: cluster.servers, createBuckets: true });
  nats = cluster.servers.join(',');
  dir = tempDir();
  for (const name of ['bob', 'alice'])
    expect((await cavra(['approval', 'keygen', '--out', `${name}.pem`], dir)).code).toBe(0);
  // The fleet's approvers list, as the requesting daemons have it (alice is also the requester below).
  await writeFile(
    join(dir, 'approvers.yaml'),
    [
      'evidence_log: unused.jsonl',
      'approvals:',
      '  groups:',
      '    Repository Owners:',
      '      approvers:',
      '        - { id: bob@example.com, public_key: bob.pem.pub.pem }',
      '        - { id: alice@example.com, public_key: alice.pem.pub.pem }',
      '',
    ].join('\n'),
  );
}, 120_000);

afterAll(async () => {
  await stopConsoles();
  await fleet?.close();
  await cluster?.stop();
  await removeTempDirs();
});

/** A pending request of alice's, created now in the fleet store (as a requesting daemon does). */
async function pendingRequest(id: string) {
  const store = await openFleetApprovalStore({ fleet });
  try {
    const created = conformanceRequest(id);
    const now = Date.now();
    const request = {
      ...created,
      created_at: new Date(now).toISOString(),
      expires_at: new Date(now + 15 * 60_000).toISOString(),
    };
    expect(await store.create(request)).toBe('created');
    return request;
  } finally {
    await store.close();
  }
}

const reviewer = (name: string) => ['--key', `${name}.pem`, '--as', `${name}@example.com`];

it('lists, shows and approves a fleet request; a self-review and a second outcome are refused', async () => {
  await pendingRequest('req-cli-1');
  const listed = await cavra(['approval', 'list', '--status', 'pending', '--nats', nats, '--json'], dir);
  expect(listed.code).toBe(0);
  expect(
    JSON.parse(listed.stdout).approvals.map(
      (state: { request: { request_id: string } }) => state.request.request_id,
    ),
  ).toEqual(['req-cli-1']);
  const shown = await cavra(['approval', 'show', 'req-cli-1', '--nats', nats, '--json'], dir);
  expect(JSON.parse(shown.stdout).approval.request.request_id).toBe('req-cli-1');

  const self = await cavra(
    ['approval', 'approve', 'req-cli-1', ...reviewer('alice'), '--nats', nats, '--config', 'approvers.yaml'],
    dir,
  );
  expect([self.code, self.stderr]).toEqual([
    1,
    'cavra: approval approve: the requester cannot review their own request\n',
  ]);
  const approved = await cavra(
    [
      'approval',
      'approve',
      'req-cli-1',
      ...reviewer('bob'),
      '--scope',
      'session',
      '--nats',
      nats,
      '--config',
      'approvers.yaml',
      '--json',
    ],
    dir,
  );
  expect(approved.code).toBe(0);
  expect(JSON.parse(approved.stdout).approval.outcome).toMatchObject({
    status: 'approved',
    by: ['bob@example.com'],
    scope: 'session',
  });
  const again = await cavra(
    [
      'approval',
      'deny',
      'req-cli-1',
      '--reason',
      'late',
      ...reviewer('bob'),
      '--nats',
      nats,
      '--config',
      'approvers.yaml',
    ],
    dir,
  );
  expect([again.code, again.stderr]).toEqual([
    1,
    'cavra: approval deny: the approval request is already decided\n',
  ]);
}, 120_000);

it('refuses what it cannot check: no --config, --socket with --nats, an unknown request', async () => {
  const noConfig = await cavra(['approval', 'approve', 'req-x', ...reviewer('bob'), '--nats', nats], dir);
  expect(noConfig.code).toBe(2);
  expect(noConfig.stderr).toContain('--config');
  const both = await cavra(['approval', 'list', '--nats', nats, '--socket', 'd.sock'], dir);
  expect([both.code, both.stderr.split('\n')[0]]).toEqual([
    2,
    'cavra: approval list: --socket and --nats name two stores: give one',
  ]);
  const oidc = await cavra(
    [
      'approval',
      'approve',
      'req-x',
      '--id-token',
      'token.jwt',
      '--key',
      'bob.pem',
      '--nats',
      nats,
      '--config',
      'approvers.yaml',
    ],
    dir,
  );
  expect([oidc.code, oidc.stderr]).toEqual([
    2,
    'cavra: approval: --nats takes approver-key reviews only (--key FILE --as ID): a requesting daemon cannot verify an --id-token review again\n',
  ]);
  const unknown = await cavra(['approval', 'show', 'req-nope', '--nats', nats], dir);
  expect([unknown.code, unknown.stderr]).toEqual([1, 'cavra: approval show: no approval request req-nope\n']);
  const unknownReview = await cavra(
    ['approval', 'approve', 'req-nope', ...reviewer('bob'), '--nats', nats, '--config', 'approvers.yaml'],
    dir,
  );
  expect([unknownReview.code, unknownReview.stderr]).toEqual([
    1,
    'cavra: approval approve: no approval request has this id\n',
  ]);
}, 120_000);

it('a requesting fleet daemon re-verifies the review cavra approval approve --nats wrote, and allows', async () => {
  const home = tempDir();
  expect((await cavra(['approval', 'keygen', '--out', 'alice.pem', '--as', APPROVER], home)).code).toBe(0);
  const { rootFile } = await initChannelTrust({ channel: 'team', keysDir: join(home, 'keys') });
  await writeFile(
    join(home, 'boot.yaml'),
    'metadata: {id: boot, version: 1.0.0, inherits: cavra-ai-agent-baseline}\n',
  );
  await writeFile(
    join(home, 'cavra-daemon.yaml'),
    [
      'socket_path: run/d.sock',
      'evidence_log: evidence.jsonl',
      'fleet:',
      `  servers: [${cluster.servers.join(', ')}]`,
      '  channel: team',
      `  trust_root: ${rootFile}`,
      '  bootstrap_pack: boot.yaml',
      'approvals:',
      '  store: fleet',
      '  wait_ms: 50000',
      '  groups:',
      '    Repository Owners:',
      `      approvers: [{ id: ${APPROVER}, public_key: alice.pem.pub.pem }]`,
      '',
    ].join('\n'),
  );
  expect(await run(home, [DAEMON, 'enroll', '--config', 'cavra-daemon.yaml'])).toBe(0);
  const daemon = spawn(process.execPath, [DAEMON, 'start', '--foreground', '--config', 'cavra-daemon.yaml'], {
    cwd: home,
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const client = createClient({ socketPath: join(home, 'run', 'd.sock'), timeoutMs: 60_000 });
  try {
    await expect
      .poll(async () => (await client.health().catch(() => undefined))?.pid, {
        timeout: 60_000,
        interval: 50,
      })
      .toBe(daemon.pid);
    // A fleet daemon decides with its bundle (here its bootstrap pack), whatever pack the request names.
    const held = client.evaluate({ ...publishRequest(1), policy_pack: '' });
    held.catch(() => undefined); // awaited below; a failure before that is the test's
    let id: string | undefined;
    await expect
      .poll(
        async () => {
          const listed = await cavra(
            ['approval', 'list', '--status', 'pending', '--nats', nats, '--json'],
            home,
          );
          id = JSON.parse(listed.stdout).approvals.find(
            (state: { request: { action: { target: string } } }) =>
              state.request.action.target === 'npm publish --tag t1',
          )?.request.request_id;
          return id;
        },
        { timeout: 60_000, interval: 100 },
      )
      .toBeDefined();
    const approved = await cavra(
      [
        'approval',
        'approve',
        id as string,
        '--key',
        'alice.pem',
        '--as',
        APPROVER,
        '--nats',
        nats,
        '--config',
        'cavra-daemon.yaml',
      ],
      home,
    );
    expect([approved.code, approved.stderr]).toEqual([0, '']);
    const decided = await held;
    expect([decided.decision, decided.rule_id]).toEqual(['allow', 'approval.granted']);
  } finally {
    await client.close();
    daemon.kill('SIGTERM');
    await exited;
  }
}, 120_000);

const DAEMON = join(
  dirname(createRequire(import.meta.url).resolve('@cavra/daemon/package.json')),
  'dist',
  'cli.js',
);

function run(cwd: string, args: readonly string[]): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: 'ignore' });
    child.once('exit', (code) => resolve(code));
  });
}

it('cavra console --nats --config (approvals store fleet): the inbox reads the fleet store, reviews are verified and written there', async () => {
  const { rootFile } = await initChannelTrust({ channel: 'team', keysDir: join(dir, 'console-keys') });
  await writeFile(
    join(dir, 'fleet-daemon.yaml'),
    [
      'socket_path: run/unused.sock',
      'evidence_log: fleet-evidence.jsonl',
      'fleet:',
      `  servers: [${cluster.servers.join(', ')}]`,
      '  channel: team',
      `  trust_root: ${rootFile}`,
      'approvals:',
      '  store: fleet',
      '  groups:',
      '    Repository Owners:',
      '      approvers:',
      '        - { id: bob@example.com, public_key: bob.pem.pub.pem }',
      '        - { id: alice@example.com, public_key: alice.pem.pub.pem }',
      '',
    ].join('\n'),
  );
  // No evidence log here (an approver's machine does not hold the requester's): the request shows without history.
  await pendingRequest('req-console-1');
  const bob = await startConsoleProcess(
    ['--config', 'fleet-daemon.yaml', '--nats', nats, ...reviewer('bob')],
    dir,
  );
  expect(bob.output().split('\n')[2]).toBe("  approvals: the fleet's approval store");
  const { get, post } = await consoleSession(bob.url);
  expect(await get('/api/me')).toMatchObject({
    approver: { id: 'bob@example.com', groups: ['Repository Owners'] },
    can_sign: true,
    views: { approvals: true, fleet: true },
  });
  const inbox = (await get('/api/approvals')) as { approvals: { request: { request_id: string } }[] };
  expect(inbox.approvals.map((state) => state.request.request_id)).toContain('req-console-1');
  const shown = (await get('/api/approvals/req-console-1')) as {
    approval: { request: { request_id: string } };
  };
  expect(shown).toMatchObject({
    approval: { request: { request_id: 'req-console-1' } },
    session_history: [],
    session_history_unavailable: `the evidence log ${join(dir, 'fleet-evidence.jsonl')} does not exist on this machine`,
  });
  expect(await get('/api/evidence')).toMatchObject({ error: { code: 'evidence_missing' } });
  expect(await get('/api/approvals/req-none')).toMatchObject({ error: { code: 'unknown_approval' } });

  // The requester's own console: its review is verified before the write and refused, the request stays pending.
  const alice = await startConsoleProcess(
    ['--config', 'fleet-daemon.yaml', '--nats', nats, ...reviewer('alice')],
    dir,
  );
  const [selfStatus, selfReview] = await (await consoleSession(alice.url)).post(
    '/api/approvals/req-console-1/review',
    {
      verdict: 'approve',
    },
  );
  expect([selfStatus, selfReview.error.code, selfReview.error.reason]).toEqual([
    409,
    'approval_refused',
    'self_review',
  ]);

  const [status, reviewed] = await post('/api/approvals/req-console-1/review', {
    verdict: 'approve',
    scope: 'session',
  });
  expect([
    status,
    reviewed.approval.outcome.status,
    reviewed.approval.outcome.by,
    reviewed.approval.outcome.scope,
  ]).toEqual([200, 'approved', ['bob@example.com'], 'session']);
  const store = await openFleetApprovalStore({ fleet });
  try {
    expect((await store.get('req-console-1'))?.outcome).toMatchObject({
      status: 'approved',
      by: ['bob@example.com'],
    });
  } finally {
    await store.close();
  }
  const [late, again] = await post('/api/approvals/req-console-1/review', {
    verdict: 'deny',
    reason: 'late',
  });
  expect([late, again.error.code, again.error.reason]).toEqual([409, 'approval_refused', 'already_decided']);
  await bob.stop();
  await alice.stop();
}, 120_000);

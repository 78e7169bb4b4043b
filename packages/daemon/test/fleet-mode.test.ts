import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type HealthReport } from '@cavra/daemon-client';
import {
  connectFleet,
  EVIDENCE_RECEIPT_SCHEMA,
  EVIDENCE_STREAM,
  evidenceSubject,
  type Fleet,
  initChannelTrust,
  openEvidenceBucket,
  publishBundle,
  signEvidenceReceipt,
} from '@cavra/fleet';
import { type NatsCluster, startNatsCluster } from '@cavra/nats-cluster';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enrollDaemon, resolveDaemonConfig, startDaemon } from '../src/index.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { CLI, cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

const CHANNEL = 'team';
// A closed loopback port: a fleet daemon that cannot reach NATS.
const NOWHERE = 'nats://127.0.0.1:9';

const TEAM_PACK = (
  blocked: string,
) => `metadata: {id: team, version: 1.0.0, inherits: cavra-ai-agent-baseline}
commands:
  block: ["${blocked} *"]
`;

const COMMAND = (command: string) => ({
  ...REQUEST,
  action_type: 'execute_command',
  target: command,
  requested_operation: 'execute',
  policy_pack: '',
});

interface Setup {
  readonly dir: string;
  readonly configFile: string;
  readonly socketPath: string;
  readonly evidence: string;
}

async function setup(fleet: string, extra = ''): Promise<Setup> {
  const dir = tempDir();
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(
    configFile,
    `socket_path: run/d.sock\nevidence_log: evidence.jsonl\n${extra}${fleet ? `fleet:\n${fleet}` : ''}`,
  );
  return { dir, configFile, socketPath: join(dir, 'run', 'd.sock'), evidence: join(dir, 'evidence.jsonl') };
}

function fleetSection(servers: readonly string[], trustRoot: string, more = '', channel = CHANNEL): string {
  return `  servers: [${servers.join(', ')}]\n  channel: ${channel}\n  trust_root: ${trustRoot}\n  poll_interval: 1s\n${more}`;
}

async function enroll(at: Setup): Promise<string> {
  const enrolled = await cli(['enroll', '--config', at.configFile], at.dir);
  expect(enrolled.code).toBe(0);
  return enrolled.stdout.trim();
}

// Generous deadlines: under CI's load a daemon that rotates segments while shipping has taken more than 5 s to answer;
// a deadline here guards against a hang, it is not a latency check.
async function health(at: Setup): Promise<HealthReport> {
  const client = createClient({ socketPath: at.socketPath, timeoutMs: 30_000 });
  try {
    return await client.health();
  } finally {
    await client.close();
  }
}

async function decide(at: Setup, command: string) {
  const client = createClient({ socketPath: at.socketPath, timeoutMs: 30_000 });
  try {
    return await client.evaluate(COMMAND(command));
  } finally {
    await client.close();
  }
}

async function records(at: Setup): Promise<Record<string, unknown>[]> {
  return (await readFile(at.evidence, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

// Up to a minute: under load (the Node 24 run of CI) a new revision once took more than 15 s to reach a daemon.
async function until<T>(what: string, probe: () => Promise<T | undefined>, attempts = 1200): Promise<T> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const events = async (at: Setup, type: string) =>
  (await records(at)).filter((record) => (record.event as { type?: string } | undefined)?.type === type);

describe('fleet identity: cavra-daemon enroll', () => {
  it('writes a random id once (mode 600), prints it, keeps it, and every record and health report names it', async () => {
    const at = await setup('');
    const first = await cli(['enroll', '--config', at.configFile], at.dir);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^[0-9a-f]{32}\n$/);
    expect(first.stderr).toBe(`enrolled: daemon id kept in ${at.evidence}.daemon-id\n`);
    const id = first.stdout.trim();
    expect(((await stat(`${at.evidence}.daemon-id`)).mode & 0o777).toString(8)).toBe('600');
    expect(await readFile(`${at.evidence}.daemon-id`, 'utf8')).toBe(`${id}\n`);
    expect(await cli(['enroll', '--config', at.configFile], at.dir)).toEqual({
      code: 0,
      stdout: `${id}\n`,
      stderr: `already enrolled (${at.evidence}.daemon-id); the id is kept\n`,
    });
    const other = await setup('');
    expect(await enroll(other)).not.toBe(id);

    await DaemonProcess.start(at.configFile, at.socketPath);
    expect((await health(at)).daemon_id).toBe(id);
    expect((await health(at)).fleet).toBeUndefined();
    await decide(at, 'ls');
    expect((await records(at)).map((record) => record.daemon_id)).toEqual([id]);
  });

  it('refuses an id file others can write, and a fleet daemon that was never enrolled', async () => {
    const at = await setup(fleetSection([NOWHERE], 'root.json'));
    const refused = await DaemonProcess.start(at.configFile);
    expect(await refused.exited).toBe(1);
    expect(refused.logs().find((line) => line.msg === 'failed to start')?.error).toBe(
      `fleet: this daemon has no daemon id; run cavra-daemon enroll --config ${at.configFile} once, then start it`,
    );
    await writeFile(`${at.evidence}.daemon-id`, `${'a'.repeat(32)}\n`, { mode: 0o666 });
    const { chmod } = await import('node:fs/promises');
    await chmod(`${at.evidence}.daemon-id`, 0o666);
    const open = await cli(['enroll', '--config', at.configFile], at.dir);
    expect(open.code).toBe(1);
    expect(open.stderr).toContain('is writable by group or others (mode 666)');
  });
});

describe('fleet mode without NATS', () => {
  it('a daemon without fleet: never loads @cavra/fleet or a NATS client; one with it loads them only to follow', async () => {
    const forbid = fileURLToPath(new URL('../../../tooling/forbid-imports.mjs', import.meta.url));
    const run = (at: Setup) => {
      const child = spawn(
        process.execPath,
        ['--import', forbid, CLI, 'start', '--foreground', '--config', at.configFile],
        {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, CAVRA_FORBIDDEN_IMPORTS: '@cavra/fleet,@nats-io' },
        },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      return { child, stderr: () => stderr };
    };
    const plain = await setup('');
    const single = run(plain);
    try {
      await until('the plain daemon', () => health(plain));
      expect((await decide(plain, 'ls')).policy_id).toBe('cavra-ai-agent-baseline');
    } finally {
      single.child.kill('SIGKILL');
    }
    const fleet = await setup(fleetSection([NOWHERE], 'root.json'));
    await enroll(fleet);
    const follower = run(fleet);
    try {
      await until('the fleet daemon', () => health(fleet));
      // It decides (a block: no bundle) from disk, and its follower could not load the NATS code it needs.
      expect((await decide(fleet, 'ls')).rule_id).toBe('fleet.no_bundle');
      await until('the follower failure', async () =>
        follower.stderr().includes('forbidden import: @cavra/fleet') ? true : undefined,
      );
    } finally {
      follower.child.kill('SIGKILL');
    }
  });

  it('a fresh fleet daemon blocks every request, recorded, with fleet.no_bundle', async () => {
    const at = await setup(fleetSection([NOWHERE], 'root.json'));
    const id = await enroll(at);
    await DaemonProcess.start(at.configFile, at.socketPath);
    const decision = await decide(at, 'ls');
    expect([decision.decision, decision.policy_id, decision.rule_id, decision.reason]).toEqual([
      'block',
      'cavra-fleet',
      'fleet.no_bundle',
      'fleet mode has no policy to decide with: no bundle of its channel was ever activated',
    ]);
    const [record] = await records(at);
    expect(record?.daemon_id).toBe(id);
    expect(record?.bundle).toBeUndefined();
    expect((record?.decision as { rule_id?: string } | undefined)?.rule_id).toBe('fleet.no_bundle');
    const report = await health(at);
    expect(report.policy_digests).toEqual({});
    expect(report.fleet).toMatchObject({
      channel: CHANNEL,
      state: 'none',
      revision: null,
      blocking: true,
      connected: false,
      stale_action: 'warn',
    });
  });

  it('decides with bootstrap_pack until the first bundle', async () => {
    const at = await setup(fleetSection([NOWHERE], 'root.json', '  bootstrap_pack: boot.yaml\n'));
    await writeFile(join(at.dir, 'boot.yaml'), TEAM_PACK('cargo publish'));
    await enroll(at);
    await DaemonProcess.start(at.configFile, at.socketPath);
    const blocked = await decide(at, 'cargo publish --dry-run');
    expect([blocked.decision, blocked.policy_id]).toEqual(['block', 'team']);
    expect((await decide(at, 'ls')).policy_id).toBe('team');
    expect((await health(at)).fleet).toMatchObject({ state: 'bootstrap', blocking: false, revision: null });
  });

  it('ship_mode: sync without NATS: the decision is recorded but not answered; stop drains for drain_timeout and exits 1 naming the count', async () => {
    const at = await setup(
      fleetSection([NOWHERE], 'root.json', '  evidence:\n    ship_mode: sync\n    drain_timeout: 1s\n'),
    );
    await enroll(at);
    await DaemonProcess.start(at.configFile, at.socketPath);
    const refused = await decide(at, 'ls').then(
      () => 'answered',
      (error: Error) => error.message,
    );
    expect(refused).toContain(
      'the decision was recorded but not acknowledged by the fleet stream in time (ship_mode: sync)',
    );
    expect((await records(at)).map((record) => record.seq)).toEqual([1]);
    expect((await health(at)).fleet?.evidence_shipping).toEqual({
      connected: false,
      shipped_seq: 0,
      pending: null,
      last_error: null,
      lost_acks_repaired: 0,
      conflicts: 0,
      resends: 0,
      cursor_problem: null,
      ship_mode: 'sync',
    });
    const stopped = await cli(['stop', '--config', at.configFile], at.dir);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(
      new RegExp(
        `^cavra-daemon stopped \\(pid \\d+\\) but 1 evidence record was not shipped to the fleet stream within drain_timeout 1s; they stay in ${at.evidence.replace(/[.]/g, '\\.')} and ship when a daemon runs on it again\n$`,
      ),
    );
  });

  it('start --foreground stopped by SIGTERM with records not shipped exits 1 naming the count', async () => {
    const at = await setup(fleetSection([NOWHERE], 'root.json', '  evidence:\n    drain_timeout: 1s\n'));
    await enroll(at);
    const daemon = await DaemonProcess.start(at.configFile, at.socketPath);
    await decide(at, 'ls');
    await decide(at, 'ls');
    expect(await daemon.stop('SIGTERM')).toBe(1);
    expect(daemon.logs().filter((line) => line.level === 'error')).toEqual([
      {
        level: 'error',
        msg: 'fleet: evidence records not shipped at stop',
        unshipped: 2,
        drain_timeout: '1s',
      },
      {
        level: 'error',
        msg: 'stopped with evidence records not shipped',
        unshipped: 2,
        drain_timeout: '1s',
        evidence_log: at.evidence,
      },
    ]);
  });

  it('refuses policy_packs beside fleet:, naming bootstrap_pack', async () => {
    const at = await setup(fleetSection([NOWHERE], 'root.json'), 'policy_packs: [cavra-developer]\n');
    const started = await cli(['start', '--config', at.configFile], at.dir);
    expect(started.code).toBe(1);
    expect(started.stderr).toContain(
      "/policy_packs: a fleet daemon decides with its channel's signed bundles (TUF signs them): remove it, or name a pack for the time before the first bundle with fleet.bootstrap_pack",
    );
  });
});

describe('fleet mode on a real 3-node NATS cluster', () => {
  let cluster: NatsCluster;
  let publisher: Fleet;
  let keysDir: string;
  let trustRoot: string;
  let packDir: string;

  beforeAll(async () => {
    cluster = await startNatsCluster({ nodes: 3 });
    publisher = await connectFleet({ servers: cluster.servers, createBuckets: true });
    const keys = tempDir();
    keysDir = join(keys, 'keys');
    trustRoot = (await initChannelTrust({ channel: CHANNEL, keysDir })).rootFile;
    packDir = join(keys, 'packs');
    await mkdir(packDir);
  }, 180_000);

  afterAll(async () => {
    await publisher?.close().catch(() => undefined);
    await cluster?.stop();
  });

  const push = async (blocked: string) => {
    await writeFile(join(packDir, 'team.yaml'), TEAM_PACK(blocked));
    return publishBundle({
      fleet: publisher,
      channel: CHANNEL,
      packFiles: [join(packDir, 'team.yaml')],
      keysDir,
    });
  };

  /** Waits for the daemon to be on `revision`; with `daemon`, a timeout names its fleet state and fleet logs. */
  const revisionOf = async (at: Setup, revision: number, daemon?: DaemonProcess) => {
    try {
      return await until(`revision ${revision}`, async () => {
        const report = await health(at);
        return report.fleet?.revision === revision ? report : undefined;
      });
    } catch (error) {
      if (!daemon) throw error;
      const fleet = await health(at).then(
        (report) => JSON.stringify(report.fleet),
        (failure: Error) => failure.message,
      );
      const logs = daemon.stderr.split('\n').filter((line) => line.includes('"fleet: '));
      throw new Error(
        `${(error as Error).message}; health: ${fleet}; fleet logs:\n${logs.slice(-30).join('\n')}`,
      );
    }
  };

  /** The batches the stream holds on a daemon's subject, in order: their Cavra-* seqs and raw payloads. */
  const shippedBatches = async (daemonId: string) => {
    const found: { first: number; last: number; data: string }[] = [];
    const { state } = await publisher.jsm.streams.info(EVIDENCE_STREAM);
    for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
      const message = await publisher.jsm.streams.getMessage(EVIDENCE_STREAM, { seq });
      if (message?.subject !== evidenceSubject(daemonId)) continue;
      found.push({
        first: Number(message.header.get('Cavra-First-Seq')),
        last: Number(message.header.get('Cavra-Last-Seq')),
        data: new TextDecoder().decode(message.data),
      });
    }
    return found;
  };

  it('ships every record once, in order, byte for byte; ship_mode: sync answers after the ack; stop drains and says so', async () => {
    const at = await setup(
      fleetSection(
        cluster.servers,
        trustRoot,
        '  evidence:\n    ship_mode: sync\n    batch_max_records: 4\n',
      ),
    );
    const id = await enroll(at);
    await DaemonProcess.start(at.configFile, at.socketPath);
    for (let i = 0; i < 10; i++) {
      const decision = await decide(at, `echo ${i}`);
      // Answered only once acknowledged: the stream already holds its record.
      const seq = Number(String(decision.evidence_refs.at(-1)).split('/').at(-1));
      expect((await shippedBatches(id)).at(-1)?.last).toBeGreaterThanOrEqual(seq);
    }
    const report = await until('everything shipped', async () => {
      const now = await health(at);
      return now.fleet?.evidence_shipping?.pending === 0 ? now : undefined;
    });
    expect(report.fleet?.evidence_shipping).toMatchObject({
      connected: true,
      shipped_seq: report.evidence.records,
      last_error: null,
      lost_acks_repaired: 0,
      ship_mode: 'sync',
    });
    const stopped = await cli(['stop', '--config', at.configFile], at.dir);
    expect(stopped.stdout).toMatch(/^cavra-daemon stopped \(pid \d+\); its evidence is shipped\n$/);
    expect(stopped.code).toBe(0);
    // A restart continues after the stream's last batch (found in the log by its seq), without a duplicate.
    await DaemonProcess.start(at.configFile, at.socketPath);
    await decide(at, 'echo again');
    expect((await cli(['stop', '--config', at.configFile], at.dir)).code).toBe(0);
    const batches = await shippedBatches(id);
    // Records 1..N once each, in order, and the payloads are the log's bytes.
    expect(batches.map(({ first }, index) => first === (batches[index - 1]?.last ?? 0) + 1)).not.toContain(
      false,
    );
    expect(batches.every(({ first, last }) => last - first < 4)).toBe(true);
    expect(batches.map(({ data }) => data).join('')).toBe(await readFile(at.evidence, 'utf8'));
  }, 180_000);

  it('ships a segmented log across its segments, and again after a kill -9', async () => {
    const at = await setup(
      fleetSection(
        cluster.servers,
        trustRoot,
        '  evidence:\n    batch_max_records: 7\n    spool_max_bytes: 65536\n    segment_max_bytes: 4096\n',
      ),
    );
    const id = await enroll(at);
    const first = await DaemonProcess.start(at.configFile, at.socketPath);
    const burst = (from: number) =>
      Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          (async () => {
            for (let k = 0; k < 5; k++) await decide(at, `echo ${from + w * 10 + k}`);
          })(),
        ),
      );
    await burst(0);
    first.child.kill('SIGKILL');
    await first.exited;
    await DaemonProcess.start(at.configFile, at.socketPath);
    await burst(100);
    await until('everything shipped', async () => {
      const now = await health(at);
      return now.fleet?.evidence_shipping?.pending === 0 && now.evidence.records >= 80 ? now : undefined;
    });
    expect((await cli(['stop', '--config', at.configFile], at.dir)).code).toBe(0);
    const segments = (await readdir(at.dir)).filter((name) => name.startsWith('evidence.jsonl.seg-')).sort();
    expect(segments.length).toBeGreaterThan(5);
    const logText = (
      await Promise.all(
        [...segments.map((name) => join(at.dir, name)), at.evidence].map((p) => readFile(p, 'utf8')),
      )
    ).join('');
    const batches = await shippedBatches(id);
    expect(batches.map(({ first }, index) => first === (batches[index - 1]?.last ?? 0) + 1)).not.toContain(
      false,
    );
    expect(batches.map(({ data }) => data).join('')).toBe(logText);
  }, 180_000);

  it("prunes the closed segments a receipt covers once it is older than prune_delay (the daemon's clock an hour ahead)", async () => {
    const dir = tempDir();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    await writeFile(join(dir, 'verifier.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    const raw = {
      socket_path: 'run/d.sock',
      evidence_log: 'evidence.jsonl',
      fleet: {
        servers: cluster.servers,
        channel: CHANNEL,
        trust_root: trustRoot,
        evidence: {
          ship: false,
          segment_max_bytes: 4096,
          spool_max_bytes: 65536,
          receipt_public_key: 'verifier.pub',
        },
      },
    };
    const config = resolveDaemonConfig(raw, { baseDir: dir });
    const { daemonId: id } = await enrollDaemon(config.evidenceLog);
    const at = { dir, socketPath: config.socketPath, evidence: config.evidenceLog, configFile: '' };
    const hourAhead = () => new Date(Date.now() + 3_600_000);
    let daemon = await startDaemon(config, { clock: hourAhead });
    for (let i = 0; i < 40; i++) await decide(at, `echo ${i}`);
    await daemon.close();
    const closedFirsts = async () =>
      (await readdir(dir))
        .filter((name) => name.startsWith('evidence.jsonl.seg-'))
        .map((name) => Number(name.slice(-16)))
        .sort((a, b) => a - b);
    const before = await closedFirsts();
    expect(before.length).toBeGreaterThan(4);
    // Covered: the segments before the one holding record 20 (the verifier's receipt for seq 20, signed now).
    const lines = (
      await Promise.all(
        before.map((first) =>
          readFile(`${config.evidenceLog}.seg-${String(first).padStart(16, '0')}`, 'utf8'),
        ),
      )
    )
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; hash: string });
    const receipt = await signEvidenceReceipt(
      {
        schema: EVIDENCE_RECEIPT_SCHEMA,
        daemon_id: id,
        epoch: (lines[0]?.hash ?? '').slice(0, 16),
        seq: 20,
        hash: lines[19]?.hash as string,
        stream_seq: 7,
        verified_at: new Date().toISOString(),
      },
      privateKey,
    );
    await (await openEvidenceBucket(publisher, 'receipts')).put(id, receipt);
    const kept = before.filter((_first, index) => (before[index + 1] ?? Number.POSITIVE_INFINITY) - 1 > 20);
    expect([kept.length > 0, kept.length < before.length]).toEqual([true, true]);
    daemon = await startDaemon(config, { clock: hourAhead });
    await until('the covered segments pruned', async () =>
      JSON.stringify(await closedFirsts()) === JSON.stringify(kept) ? true : undefined,
    );
    await daemon.close();
    const pruned = JSON.parse(await readFile(`${config.evidenceLog}.pruned`, 'utf8'));
    expect(pruned.seq).toBe((kept[0] as number) - 1);
    const verified = await cli(['evidence', 'verify', config.evidenceLog], dir);
    expect(verified.stdout.split('\n')[0]).toMatch(/: \d+ records, chain intact, unsigned$/);
    expect(verified.code).toBe(0);
  }, 180_000);

  it('an expired timestamp turns the bundle stale, recorded; past max_staleness with stale_action: block every request is a recorded block; a new bundle lifts it', async () => {
    const channel = 'stale';
    const keys = join(tempDir(), 'keys');
    const root = (await initChannelTrust({ channel, keysDir: keys })).rootFile;
    const at = await setup(
      fleetSection(cluster.servers, root, '  max_staleness: 1s\n  stale_action: block\n', channel),
    );
    await enroll(at);
    const daemon = await DaemonProcess.start(at.configFile, at.socketPath);
    await writeFile(join(packDir, 'short.yaml'), TEAM_PACK('cargo publish'));
    const publish = (timestampDays: number) =>
      publishBundle({
        fleet: publisher,
        channel,
        packFiles: [join(packDir, 'short.yaml')],
        keysDir: keys,
        expiryDays: { timestamp: timestampDays },
      });
    // A timestamp valid for 30 seconds: long enough for a loaded machine to fetch it (3 s was not, in CI), short
    // enough to wait out.
    await publish(30 / 86_400);
    await revisionOf(at, 1, daemon);
    const stale = await until('stale', async () => {
      const report = await health(at);
      return report.fleet?.state === 'stale' ? report : undefined;
    });
    expect(stale.fleet).toMatchObject({ revision: 1, stale_action: 'block' });
    const blocked = await until('the stale block', async () => {
      const decision = await decide(at, 'ls');
      return decision.rule_id === 'fleet.stale_bundle' ? decision : undefined;
    });
    expect([blocked.decision, blocked.policy_id]).toEqual(['block', 'cavra-fleet']);
    expect(blocked.reason).toMatch(
      /^the active bundle \(channel stale, revision 1\) expired at \S+ and has not been renewed within max_staleness 1s \(stale_action: block\)$/,
    );
    expect((await health(at)).fleet?.blocking).toBe(true);
    // The poll met the expired timestamp: refused as such, recorded.
    const refused = await until('the expired refusal', async () => {
      const found = (await events(at, 'bundle_refused')).find(
        (record) => (record.event as { code: string }).code === 'expired',
      );
      return found;
    });
    expect(refused.event).toMatchObject({ channel, active_revision: 1 });
    await publish(7);
    await revisionOf(at, 2, daemon);
    expect((await decide(at, 'ls')).policy_id).toBe('team');
    expect((await health(at)).fleet).toMatchObject({ state: 'active', blocking: false });
  }, 180_000);

  it('push → active; a tampered bundle is refused and recorded while the daemon keeps deciding; cluster down → a restart decides with the last good bundle, a fresh daemon blocks', async () => {
    const at = await setup(fleetSection(cluster.servers, trustRoot));
    const id = await enroll(at);
    const daemon = await DaemonProcess.start(at.configFile, at.socketPath);
    const first = await push('cargo publish');
    expect(first.revision).toBe(1);
    const active = await revisionOf(at, 1);
    expect(active.fleet).toMatchObject({
      channel: CHANNEL,
      state: 'active',
      revision: 1,
      manifest_digest: first.digest,
      blocking: false,
      connected: true,
      last_error: null,
    });
    const blocked = await decide(at, 'cargo publish --dry-run');
    expect([blocked.decision, blocked.policy_id]).toEqual(['block', 'team']);
    const [activated] = await events(at, 'bundle_activated');
    expect(activated?.event).toMatchObject({
      type: 'bundle_activated',
      channel: CHANNEL,
      revision: 1,
      manifest_digest: first.digest,
      previous_revision: null,
    });
    expect(Object.keys((activated?.event as { key_ids?: object } | undefined)?.key_ids ?? {}).sort()).toEqual(
      ['root', 'snapshot', 'targets', 'timestamp'],
    );
    expect(activated?.daemon_id).toBe(id);
    const decided = (await records(at)).at(-1);
    expect(decided?.bundle).toEqual({ channel: CHANNEL, revision: 1 });

    // A changed byte in the signed timestamp: refused, recorded, and revision 1 keeps deciding.
    const name = `${CHANNEL}/metadata/timestamp.json`;
    const original = Buffer.from((await publisher.bundles.getBlob(name)) as Uint8Array);
    const bytes = Buffer.from(original);
    const at0 = bytes.indexOf('"version"');
    bytes[at0 + 1] = 'V'.charCodeAt(0);
    await publisher.bundles.putBlob({ name }, bytes);
    await publisher.bundleHeads.put(CHANNEL, JSON.stringify({ revision: 2, target: 'bundle-2.json' }));
    // (A daemon started before the channel's first push has a refusal on record already: unknown_channel.)
    const early = (await events(at, 'bundle_refused')).map(
      (record) => (record.event as { code: string }).code,
    );
    expect(early.every((code) => code === 'unknown_channel')).toBe(true);
    const refused = await until('a refusal', async () =>
      (await events(at, 'bundle_refused')).find(
        (record) => (record.event as { active_revision: number | null }).active_revision === 1,
      ),
    );
    // `revision` is the head's when the refusal was met: the 1 s poll may meet the changed byte before the new head.
    const { revision: offered, code, ...rest } = refused.event as { revision: number; code: string };
    expect([1, 2]).toContain(offered);
    expect(code).toBe('verification_failed'); // a renamed key: the metadata no longer reads as TUF's
    expect(rest).toMatchObject({
      type: 'bundle_refused',
      channel: CHANNEL,
      manifest_digest: null,
      active_revision: 1,
    });
    expect((await health(at)).fleet).toMatchObject({ state: 'active', revision: 1 });
    expect((await decide(at, 'cargo publish --dry-run')).policy_id).toBe('team');
    expect((await records(at)).at(-1)?.bundle).toEqual({ channel: CHANNEL, revision: 1 });

    // The publisher signs again: revision 2 replaces 1.
    await publisher.bundles.putBlob({ name }, original);
    // (revision 3: the head put above named 2, and a publisher goes past the head.)
    const second = await push('npm publish');
    expect(second.revision).toBe(3);
    await revisionOf(at, 3);
    expect((await decide(at, 'npm publish')).decision).toBe('block');
    expect((await decide(at, 'cargo publish --dry-run')).decision).not.toBe('block');
    expect((await events(at, 'bundle_activated')).map((record) => record.event)).toMatchObject([
      { revision: 1, previous_revision: null },
      { revision: 3, previous_revision: 1 },
    ]);

    // The whole cluster down: the restarted daemon decides with revision 3 from disk; a fresh one blocks.
    await daemon.stop();
    for (const index of [0, 1, 2]) await cluster.kill(index);
    await DaemonProcess.start(at.configFile, at.socketPath);
    expect((await health(at)).fleet).toMatchObject({ state: 'active', revision: 3, connected: false });
    expect((await decide(at, 'npm publish')).policy_id).toBe('team');
    expect((await records(at)).at(-1)?.bundle).toEqual({ channel: CHANNEL, revision: 3 });
    const fresh = await setup(fleetSection(cluster.servers, trustRoot));
    await enroll(fresh);
    await DaemonProcess.start(fresh.configFile, fresh.socketPath);
    expect((await decide(fresh, 'ls')).rule_id).toBe('fleet.no_bundle');
  }, 180_000);
});

describe('fleet mode: a NATS server that stops answering (SIGSTOP)', () => {
  let cluster: NatsCluster;
  let publisher: Fleet;
  let keysDir: string;
  let trustRoot: string;
  let packFile: string;
  let stopped = false;
  const signal = (name: 'SIGSTOP' | 'SIGCONT') => {
    process.kill(cluster.nodes[0]?.pid as number, name);
    stopped = name === 'SIGSTOP';
  };

  beforeAll(async () => {
    cluster = await startNatsCluster({ nodes: 1 });
    publisher = await connectFleet({ servers: cluster.servers, createBuckets: true, replicas: 1 });
    const dir = tempDir();
    keysDir = join(dir, 'keys');
    trustRoot = (await initChannelTrust({ channel: CHANNEL, keysDir })).rootFile;
    packFile = join(dir, 'team.yaml');
  }, 180_000);

  afterAll(async () => {
    if (stopped) signal('SIGCONT');
    await publisher?.close().catch(() => undefined);
    await cluster?.stop();
  });

  const push = async (blocked: string) => {
    await writeFile(packFile, TEAM_PACK(blocked));
    return publishBundle({ fleet: publisher, channel: CHANNEL, packFiles: [packFile], keysDir });
  };

  it('a fetch that hangs is abandoned at fetch_timeout (health says so, nothing is refused), and the follower comes back once the server does', async () => {
    const at = await setup(fleetSection(cluster.servers, trustRoot, '  fetch_timeout: 2s\n'));
    await enroll(at);
    await push('cargo publish');
    const daemon = await DaemonProcess.start(at.configFile, at.socketPath);
    await until('revision 1', async () => ((await health(at)).fleet?.revision === 1 ? true : undefined));
    signal('SIGSTOP');
    try {
      // The 1 s poll's fetch waits on the stopped server: abandoned after 2 s, then retried with backoff.
      const report = await until('the abandoned fetch', async () => {
        const fleet = (await health(at)).fleet;
        return fleet?.last_error?.startsWith('fetch_timeout:') ? fleet : undefined;
      });
      expect(report).toMatchObject({
        revision: 1,
        state: 'active',
        connected: false,
        last_error: 'fetch_timeout: the fetch took longer than fetch_timeout 2s',
      });
      // Still deciding with revision 1, from memory, while NATS hangs.
      const decision = await decide(at, 'cargo publish --dry-run');
      expect([decision.decision, decision.policy_id]).toEqual(['block', 'team']);
      expect(daemon.logs().some((line) => line.code === 'fetch_timeout')).toBe(true);
    } finally {
      signal('SIGCONT');
    }
    await push('npm publish');
    const after = await until('revision 2', async () => {
      const fleet = (await health(at)).fleet;
      return fleet?.revision === 2 && fleet.last_error === null ? fleet : undefined;
    });
    expect(after).toMatchObject({ state: 'active', connected: true });
    expect((await events(at, 'bundle_refused')).length).toBe(0);
    expect(
      (await events(at, 'bundle_activated')).map((record) => (record.event as { revision: number }).revision),
    ).toEqual([1, 2]);
  }, 180_000);
});

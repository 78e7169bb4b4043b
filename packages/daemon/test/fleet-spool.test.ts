import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type HealthReport } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { spoolHeadroom } from '../src/fleet-spool.js';
import { removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

// A closed loopback port: a fleet daemon that cannot reach NATS, so nothing is shipped or pruned.
const NOWHERE = 'nats://127.0.0.1:9';
const SPOOL_MAX = 65_536;
const SEGMENT_MAX = 16_384;

interface Setup {
  readonly dir: string;
  readonly configFile: string;
  readonly socketPath: string;
  readonly evidence: string;
}

async function setup(onSpoolFull: 'block' | 'warn'): Promise<Setup> {
  const dir = tempDir();
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(
    join(dir, 'boot.yaml'),
    'metadata: {id: team, version: 1.0.0, extends: cavra-ai-agent-baseline}\ncommands:\n  allow: ["ls *"]\n',
  );
  await writeFile(
    configFile,
    [
      'socket_path: run/d.sock',
      'evidence_log: evidence.jsonl',
      'fleet:',
      `  servers: [${NOWHERE}]`,
      '  channel: team',
      '  trust_root: root.json',
      '  bootstrap_pack: boot.yaml',
      '  evidence:',
      '    ship: false', // nothing could be shipped anyway: stop would wait drain_timeout for NATS
      `    spool_max_bytes: ${SPOOL_MAX}`,
      `    segment_max_bytes: ${SEGMENT_MAX}`,
      `    on_spool_full: ${onSpoolFull}`,
      '',
    ].join('\n'),
  );
  const at = {
    dir,
    configFile,
    socketPath: join(dir, 'run', 'd.sock'),
    evidence: join(dir, 'evidence.jsonl'),
  };
  expect((await cli(['enroll', '--config', configFile], dir)).code).toBe(0);
  return at;
}

async function withClient<T>(at: Setup, use: (client: ReturnType<typeof createClient>) => Promise<T>) {
  const client = createClient({ socketPath: at.socketPath, timeoutMs: 10_000 });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

const decide = (at: Setup, n: number): ReturnType<ReturnType<typeof createClient>['evaluate']> =>
  withClient(at, (client) =>
    client.evaluate({ ...REQUEST, action_type: 'execute_command', target: `ls ${n}`, policy_pack: '' }),
  );
const health = (at: Setup): Promise<HealthReport> => withClient(at, (client) => client.health());

/**
 * The log's files (closed segments, then the active one) and their bytes together. A running daemon renames the
 * active file into a segment when it closes one, so a listing may name a file gone by its `stat`: list again then.
 */
async function spoolFiles(at: Setup): Promise<{ names: string[]; bytes: number }> {
  for (;;) {
    const names = (await readdir(at.dir))
      .filter((name) => /^evidence\.jsonl(\.seg-\d{16})?$/.test(name))
      .sort();
    const sizes = await Promise.all(
      names.map((name) =>
        stat(join(at.dir, name)).then(
          (found) => found.size,
          (error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return undefined;
            throw error;
          },
        ),
      ),
    );
    if (sizes.every((size) => size !== undefined))
      return { names, bytes: sizes.reduce<number>((sum, size) => sum + (size as number), 0) };
  }
}

async function lastRecord(at: Setup): Promise<Record<string, unknown>> {
  const lines = (await readFile(at.evidence, 'utf8')).trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string);
}

describe('the evidence spool of a fleet daemon (NATS unreachable: nothing is shipped or pruned)', () => {
  it('warns from 80 %, blocks (recorded) at 100 %, refuses past the headroom, and verifies as one chain', async () => {
    const at = await setup('block');
    const daemon = await DaemonProcess.start(at.configFile, at.socketPath);
    let n = 0;
    while ((await health(at)).fleet?.spool?.level === 'ok') await decide(at, ++n);
    // The first decision at or past 80 % is recorded with the warning.
    const warned = await decide(at, ++n);
    expect(warned.decision).toBe('allow');
    expect((await lastRecord(at)).contract_warnings).toEqual([
      { code: 'fleet_spool_high', path: 'fleet.evidence.spool_max_bytes' },
    ]);
    expect((await health(at)).fleet?.spool).toMatchObject({ level: 'warning', max_bytes: SPOOL_MAX });
    while ((await health(at)).fleet?.spool?.level === 'warning') await decide(at, ++n);
    const blocked = await decide(at, ++n);
    expect([blocked.decision, blocked.policy_id, blocked.rule_id]).toEqual([
      'block',
      'cavra-fleet',
      'fleet.spool_full',
    ]);
    expect((await lastRecord(at)).decision).toEqual(blocked);
    // Past the headroom nothing more can be recorded: the request fails (the client fails closed), never allowed.
    let refused: unknown;
    for (let more = 0; more < 1000 && !refused; more++)
      refused = await decide(at, ++n).then(
        () => undefined,
        (e) => e,
      );
    expect((refused as { code?: string }).code).toBe('daemon_error');
    // The answer can come before its log line reaches the test through the daemon's stderr.
    await daemon.logged('request failed');
    const failed = daemon.logs().find((line) => line.msg === 'request failed');
    expect(String(failed?.error)).toMatch(
      /^evidence spool .* is full: \d+ bytes of 131072 \(spool_max_bytes and its headroom\)/,
    );
    const files = await spoolFiles(at);
    expect(files.bytes).toBeLessThanOrEqual(SPOOL_MAX + spoolHeadroom(SPOOL_MAX));
    expect(files.names.length).toBeGreaterThan(4);
    expect(daemon.logs().map((line) => line.msg)).toEqual(
      expect.arrayContaining(['fleet: the evidence spool is past 80 %', 'fleet: the evidence spool is full']),
    );
    daemon.child.kill('SIGKILL');
    await daemon.exited;
    const verified = await cli(['evidence', 'verify', at.evidence], at.dir);
    expect(verified.stdout.split('\n')[0]).toMatch(
      /^.*evidence\.jsonl: \d+ records, chain intact, unsigned$/,
    );
    expect(verified.code).toBe(0);
    // It starts again on the full spool, and still blocks.
    await DaemonProcess.start(at.configFile, at.socketPath);
    expect((await health(at)).fleet?.spool?.level).toBe('full');
  });

  it('with on_spool_full: warn goes on deciding past the limit (the disk is then not bounded)', async () => {
    const at = await setup('warn');
    await DaemonProcess.start(at.configFile, at.socketPath);
    let n = 0;
    while ((await health(at)).fleet?.spool?.level !== 'full') await decide(at, ++n);
    const past = await decide(at, ++n);
    expect(past.decision).toBe('allow');
    expect((await lastRecord(at)).contract_warnings).toEqual([
      { code: 'fleet_spool_high', path: 'fleet.evidence.spool_max_bytes' },
    ]);
    expect((await health(at)).fleet?.spool).toMatchObject({ level: 'full', on_spool_full: 'warn' });
  });

  it('loses no acknowledged record when killed -9 while writing and closing segments', async () => {
    const at = await setup('warn');
    const daemon = await DaemonProcess.start(at.configFile, at.socketPath);
    const answered = new Set<string>();
    const stop = { now: false };
    const writer = async (w: number) => {
      for (let k = 0; !stop.now; k++) {
        const decision = await decide(at, w * 100_000 + k).catch(() => undefined);
        if (!decision) return;
        answered.add(decision.decision_id);
      }
    };
    const writers = Array.from({ length: 8 }, (_, w) => writer(w));
    while ((await spoolFiles(at)).names.length < 4) await new Promise((resolve) => setTimeout(resolve, 20));
    daemon.child.kill('SIGKILL');
    stop.now = true;
    await Promise.all(writers);
    await daemon.exited;
    const restarted = await DaemonProcess.start(at.configFile, at.socketPath);
    await decide(at, -1);
    await restarted.stop();
    const verified = await cli(['evidence', 'verify', at.evidence], at.dir);
    expect(verified.code).toBe(0);
    const recorded = new Set<string>();
    for (const name of (await spoolFiles(at)).names) {
      for (const line of (await readFile(join(at.dir, name), 'utf8')).split('\n')) {
        if (line) recorded.add(String(JSON.parse(line).decision?.decision_id));
      }
    }
    const lost = [...answered].filter((id) => !recorded.has(id));
    expect([answered.size > 0, lost]).toEqual([true, []]);
  });
});

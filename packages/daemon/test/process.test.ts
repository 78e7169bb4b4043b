import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, DaemonClientError } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { verifyEvidenceLog } from '../src/index.js';
import { PACKAGE_VERSION, removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

async function setup(extra = '') {
  const dir = tempDir();
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(configFile, `socket_path: run/d.sock\nevidence_log: evidence.jsonl\n${extra}`);
  return {
    dir,
    configFile,
    socketPath: join(dir, 'run', 'd.sock'),
    pidFile: join(dir, 'run', 'daemon.pid'),
    evidence: join(dir, 'evidence.jsonl'),
  };
}

describe('cavra-daemon start, status, reload, stop', () => {
  it('runs in the background with a pid file, refuses a second start, and stops cleanly', async () => {
    const { dir, configFile, socketPath, pidFile } = await setup();
    const run = (...args: string[]) => cli([...args, '--config', configFile], dir);
    const started = await run('start');
    expect(started).toMatchObject({ code: 0, stderr: '' });
    const pid = Number(/\(pid (\d+)\)/.exec(started.stdout)?.[1]);
    expect(started.stdout).toBe(`cavra-daemon ${PACKAGE_VERSION} started (pid ${pid}) on ${socketPath}\n`);
    expect(await readFile(pidFile, 'utf8')).toBe(`${pid}\n`);
    expect(await run('start')).toEqual({
      code: 1,
      stdout: '',
      stderr: `cavra-daemon is already running (pid ${pid})\n`,
    });
    const status = await run('status');
    expect([status.code, JSON.parse(status.stdout).pid, JSON.parse(status.stdout).mode]).toEqual([
      0,
      pid,
      'enforce',
    ]);
    const digest = JSON.parse(status.stdout).policy_digest;
    expect(await run('reload')).toEqual({
      code: 0,
      stdout: `reload applied (pid ${pid}): cavra-ai-agent-baseline ${digest}\n`,
      stderr: '',
    });
    expect(await run('stop')).toEqual({ code: 0, stdout: `cavra-daemon stopped (pid ${pid})\n`, stderr: '' });
    expect(existsSync(pidFile)).toBe(false);
    expect(existsSync(socketPath)).toBe(false);
    const [down, again, unknown] = await Promise.all([run('status'), run('stop'), cli(['frobnicate'])]);
    expect([down.code, down.stderr]).toEqual([
      1,
      `cavra-daemon is not answering on ${socketPath}: cannot reach the CAVRA daemon at ${socketPath} (ENOENT)\n`,
    ]);
    expect(again).toEqual({ code: 0, stdout: 'cavra-daemon is not running\n', stderr: '' });
    expect([unknown.code, unknown.stderr.split('\n')[0]]).toEqual([
      2,
      'cavra-daemon: unknown command "frobnicate"',
    ]);
    // The background daemon logged to daemon.log beside the pid file, as JSON lines.
    const logged = (await readFile(join(dir, 'run', 'daemon.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).msg);
    expect(logged).toEqual([
      'listening',
      'runner authentication is optional: requests without runner_auth are evaluated as unauthenticated local agents (recorded as such)',
      'reloaded',
      'runner authentication is optional: requests without runner_auth are evaluated as unauthenticated local agents (recorded as such)',
      'stopping',
      'stopped',
    ]);
  });
});

describe('cavra-daemon evidence verify', () => {
  it('detects an edited, a removed and a reordered record, a torn tail, and records cut off the end of an anchored log', async () => {
    const { dir, configFile, socketPath, evidence } = await setup();
    const daemon = await DaemonProcess.start(configFile, socketPath);
    const client = createClient({ socketPath });
    for (const target of ['.env', 'README.md', 'src/a.ts', 'id_rsa'])
      await client.evaluate({ ...REQUEST, target });
    const anchor = (await client.health()).evidence.last_hash;
    await client.close();
    expect(await daemon.stop()).toBe(0);

    const lines = (await readFile(evidence, 'utf8')).split('\n').slice(0, -1) as [
      string,
      string,
      string,
      string,
    ];
    const hashes = lines.map((line) => JSON.parse(line).hash as string);
    expect(hashes[3]).toBe(anchor);
    const variants: Record<string, string> = {
      intact: `${lines.join('\n')}\n`,
      edited: `${[lines[0], lines[1].replace('"decision":"allow"', '"decision":"block"'), lines[2], lines[3]].join('\n')}\n`,
      removed: `${[lines[0], lines[2], lines[3]].join('\n')}\n`,
      reordered: `${[lines[0], lines[2], lines[1], lines[3]].join('\n')}\n`,
      torn: `${lines.join('\n')}\n${lines[3].slice(0, 40)}`,
      truncated: `${lines.slice(0, 3).join('\n')}\n`,
    };
    await Promise.all(
      Object.entries(variants).map(([name, text]) => writeFile(join(dir, `${name}.jsonl`), text)),
    );
    const verify = (name: string, ...options: string[]) =>
      cli(['evidence', 'verify', join(dir, `${name}.jsonl`), ...options]);
    const results = await Promise.all([
      verify('intact'),
      verify('edited'),
      verify('removed'),
      verify('reordered'),
      verify('torn'),
      verify('truncated'),
      verify('truncated', '--anchor', anchor),
      verify('intact', '--anchor', anchor),
      verify('missing'),
      verify('intact', '--anchor', 'abc'),
    ]);
    const out = (name: string, head: string, last: string, ...rest: string[]) =>
      [`${join(dir, `${name}.jsonl`)}: ${head}`, `last hash ${last}`, ...rest, ''].join('\n');
    expect(results.map(({ code, stdout, stderr }) => [code, stdout || stderr.split('\n')[0]])).toEqual([
      [0, out('intact', '4 records, chain intact, unsigned', anchor)],
      [
        1,
        out(
          'edited',
          '4 records, 1 problem',
          anchor,
          'line 2: hash_mismatch: record content does not match its hash (edited)',
        ),
      ],
      [
        1,
        out(
          'removed',
          '3 records, 2 problems',
          anchor,
          'line 2: broken_chain: prev is not the hash of the record before it (removed or reordered)',
          'line 2: sequence_gap: seq is 3, expected 2',
        ),
      ],
      [
        1,
        out(
          'reordered',
          '4 records, 6 problems',
          anchor,
          'line 2: broken_chain: prev is not the hash of the record before it (removed or reordered)',
          'line 2: sequence_gap: seq is 3, expected 2',
          'line 3: broken_chain: prev is not the hash of the record before it (removed or reordered)',
          'line 3: sequence_gap: seq is 2, expected 4',
          'line 4: broken_chain: prev is not the hash of the record before it (removed or reordered)',
          'line 4: sequence_gap: seq is 4, expected 3',
        ),
      ],
      [
        0,
        out(
          'torn',
          '4 records, chain intact, unsigned',
          anchor,
          'a torn last line (a write interrupted by a crash, never acknowledged) was ignored',
        ),
      ],
      // Without an anchor, records cut off the end cannot be told from records never written.
      [0, out('truncated', '3 records, chain intact, unsigned', hashes[2] as string)],
      [
        1,
        out(
          'truncated',
          '3 records, 1 problem',
          hashes[2] as string,
          `line 4: anchor_missing: no record has the anchored hash ${anchor}: records were removed from the end (or the anchor is from another log)`,
        ),
      ],
      [0, out('intact', '4 records, chain intact, unsigned', anchor)],
      [1, `cannot read evidence log ${join(dir, 'missing.jsonl')}: no such file or directory (ENOENT)`],
      [
        2,
        'cavra-daemon: --anchor must be a SHA-256 hash: 64 lowercase hex digits (or a receipt file, with --anchor-key)',
      ],
    ]);
  });
});

describe('an evidence log that cannot grow', () => {
  it('answers internal for every decision it cannot record in full, never a decision, and keeps the chain intact', async () => {
    const { configFile, socketPath, evidence } = await setup();
    const daemon = await DaemonProcess.start(configFile, socketPath, {}, 8); // 4096 bytes, some 4 records
    const client = createClient({ socketPath });
    const answers: string[] = [];
    for (let i = 0; i < 8; i++) {
      answers.push(
        await client.evaluate({ ...REQUEST, session_id: `s${i}` }).then(
          (decision) => decision.decision,
          (error: DaemonClientError) => `${error.daemonCode}: ${error.message}`,
        ),
      );
    }
    const recorded = answers.filter((answer) => answer === 'block').length;
    expect(recorded).toBeGreaterThan(0);
    expect(answers).toEqual([
      ...Array(recorded).fill('block'),
      ...Array(8 - recorded).fill(
        'internal: the daemon refused the request: internal: internal error; the request was not decided',
      ),
    ]);
    expect((await client.health()).evidence.records).toBe(recorded);
    await client.close();
    expect(await daemon.stop()).toBe(0);
    const verification = await verifyEvidenceLog(evidence);
    expect([verification.ok, verification.records, verification.tornTail]).toEqual([true, recorded, false]);
  });
});

describe('a daemon killed with SIGKILL', () => {
  it('loses nothing acknowledged during writes, and a restarted daemon resumes the chain', async () => {
    const { configFile, socketPath, evidence } = await setup();
    const daemon = await DaemonProcess.start(configFile, socketPath);
    const acknowledged: string[] = [];
    const clients = Array.from({ length: 8 }, () => createClient({ socketPath, timeoutMs: 2000 }));
    let stop = false;
    const load = clients.map(async (client, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const decision = await client.evaluate({ ...REQUEST, session_id: `c${c}-${i}` });
          acknowledged.push(decision.decision_id);
        } catch (error) {
          if (error instanceof DaemonClientError) return;
          throw error;
        }
      }
    });
    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    await daemon.stop('SIGKILL');
    stop = true;
    await Promise.all(load);
    await Promise.all(clients.map((client) => client.close()));

    const verification = await verifyEvidenceLog(evidence);
    expect(verification.ok).toBe(true);
    const recorded = new Set(
      (await readFile(evidence, 'utf8'))
        .split('\n')
        .slice(0, verification.records)
        .map((line) => JSON.parse(line).decision.decision_id),
    );
    expect(acknowledged.filter((id) => !recorded.has(id))).toEqual([]);
    expect(verification.records).toBeGreaterThanOrEqual(acknowledged.length);

    // A restarted daemon replaces the stale socket, cuts a torn tail, resumes the chain.
    const again = await DaemonProcess.start(configFile, socketPath);
    const client = createClient({ socketPath });
    expect((await client.evaluate(REQUEST)).decision).toBe('block');
    await client.close();
    expect(await again.stop()).toBe(0);
    const after = await verifyEvidenceLog(evidence);
    expect([after.ok, after.records, after.tornTail]).toEqual([true, verification.records + 1, false]);
  });
});

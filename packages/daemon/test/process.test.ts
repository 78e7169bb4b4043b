import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient, DaemonClientError } from '@cavra/daemon-client';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyEvidenceLog } from '../src/index.js';
import { tempDir } from './support/daemon-fixture.js';
import { REQUEST } from './support/raw-client.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
});

async function setup(extra = '') {
  const dir = tempDir();
  const configFile = join(dir, 'cavra-daemon.yaml');
  await writeFile(configFile, `socket_path: run/d.sock\nevidence_log: evidence.jsonl\n${extra}`);
  return { dir, configFile, socketPath: join(dir, 'run', 'd.sock'), evidence: join(dir, 'evidence.jsonl') };
}

/** Starts `cavra-daemon start --foreground` and resolves once it answers. */
async function foreground(configFile: string, socketPath: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'start', '--foreground', '--config', configFile], {
    stdio: 'ignore',
  });
  children.push(child);
  const client = createClient({ socketPath, timeoutMs: 500 });
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await client.health();
        return child;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    throw new Error('daemon did not start');
  } finally {
    await client.close();
  }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('cavra-daemon processes', () => {
  it('start, status, reload, stop and evidence verify from the command line', async () => {
    const { dir, configFile, evidence } = await setup();
    const cli = (...args: string[]) =>
      run(process.execPath, [CLI, ...args, '--config', configFile], { cwd: dir });
    expect((await cli('start')).stdout).toMatch(/^cavra-daemon 0\.1\.0 started \(pid \d+\) on .*d\.sock\n$/);
    const status = JSON.parse((await cli('status')).stdout);
    expect([status.version, status.mode, status.counts.requests]).toEqual(['0.1.0', 'enforce', 0]);
    expect((await cli('reload')).stdout).toMatch(/^reload requested \(pid \d+\)\n$/);
    expect((await cli('stop')).stdout).toMatch(/^cavra-daemon stopped \(pid \d+\)\n$/);
    await expect(cli('status')).rejects.toMatchObject({ code: 1 });
    expect((await cli('stop')).stdout).toBe('cavra-daemon is not running\n');
    await writeFile(evidence, '');
    expect((await run(process.execPath, [CLI, 'evidence', 'verify', evidence])).stdout).toBe(
      `${evidence}: 0 records, chain intact\nlast hash ${'0'.repeat(64)}\n`,
    );
    await expect(run(process.execPath, [CLI, 'frobnicate'])).rejects.toMatchObject({ code: 2 });
  });

  it('loses nothing acknowledged when killed with SIGKILL during writes', async () => {
    const { configFile, socketPath, evidence } = await setup();
    const child = await foreground(configFile, socketPath);
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
    const died = exited(child);
    child.kill('SIGKILL');
    await died;
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

    // A restarted daemon resumes the chain after the crash, and clients that retry get through.
    const again = await foreground(configFile, socketPath);
    const client = createClient({ socketPath });
    expect((await client.evaluate(REQUEST)).decision).toBe('block');
    await client.close();
    const done = exited(again);
    again.kill('SIGTERM');
    expect(await done).toBe(0);
    const after = await verifyEvidenceLog(evidence);
    expect([after.ok, after.records, after.tornTail]).toEqual([true, verification.records + 1, false]);
  });

  it('finishes in-flight requests on SIGTERM and reloads on SIGHUP', async () => {
    const { configFile, socketPath, evidence } = await setup();
    const child = await foreground(configFile, socketPath);
    const client = createClient({ socketPath });
    expect((await client.evaluate({ ...REQUEST, target: 'README.md' })).decision).toBe('allow');
    await writeFile(configFile, 'socket_path: run/d.sock\nevidence_log: evidence.jsonl\nmode: strict\n');
    child.kill('SIGHUP');
    let mode = '';
    for (let attempt = 0; attempt < 50 && mode !== 'strict'; attempt++) {
      mode = (await client.health()).mode;
      if (mode !== 'strict') await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await client.evaluate({ ...REQUEST, target: 'README.md' })).decision).toBe('require_approval');
    const pending = Array.from({ length: 20 }, (_, i) =>
      client.evaluate({ ...REQUEST, session_id: `last-${i}` }),
    );
    const done = exited(child);
    child.kill('SIGTERM');
    const settled = await Promise.allSettled(pending);
    expect(await done).toBe(0);
    // Each request was either answered or, if the daemon had not read it yet, refused as unavailable: never lost
    // half-way. Every answered one is in the evidence log.
    const answered = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.decision_id] : []));
    const refused = settled.flatMap((s) =>
      s.status === 'rejected' ? [(s.reason as DaemonClientError).code] : [],
    );
    expect([...new Set(refused)].filter((code) => code !== 'daemon_unavailable')).toEqual([]);
    const lines = (await readFile(evidence, 'utf8')).trim().split('\n');
    const recorded = new Set(lines.map((line) => JSON.parse(line).decision.decision_id));
    expect(answered.filter((id) => !recorded.has(id))).toEqual([]);
    await client.close();
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { APPROVER, publishRequest, startApprovalDaemon } from '../bench/approval-round-trip.js';
import { cavra, removeTempDirs, tempDir } from './support/cavra.js';
import { consoleSession, startConsoleProcess, stopConsoles } from './support/console-process.js';

afterAll(removeTempDirs);
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await stopConsoles();
  for (const stop of stops.splice(0)) await stop();
});

describe('cavra console', () => {
  it('serves the daemon of --config: signs reviews as --as, replays a pack as cavra policy replay does', async () => {
    const daemon = await startApprovalDaemon({ waitMs: 0 });
    stops.push(() => daemon.stop());
    const asked = await daemon.client.evaluate(publishRequest(1));
    const id = (asked.evidence_refs.find((ref) => ref.startsWith('cavra-approval://')) as string).slice(17);
    await daemon.client.evaluate({ ...publishRequest(2), target: 'npm test' });

    const started = await startConsoleProcess(
      ['--config', 'cavra-daemon.yaml', '--key', 'alice.pem', '--as', APPROVER],
      daemon.dir,
    );
    const { origin } = new URL(started.url);
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);
    expect(started.output().split('\n').slice(1)).toEqual([
      '  (the token in that URL signs in once; keep it to yourself)',
      `  approvals: ${join(daemon.dir, 'run', 'd.sock')}`,
      `  evidence:  ${join(daemon.dir, 'evidence.jsonl')}`,
      '  fleet:     none (no --nats)',
      `  reviews:   signed as ${APPROVER}`,
      'Ctrl-C stops it.',
      '',
    ]);
    const { csrf, get, post } = await consoleSession(started.url);
    expect(await get('/api/me')).toEqual({
      approver: { id: APPROVER, groups: ['Repository Owners'] },
      csrf_token: csrf,
      can_sign: true,
      views: { approvals: true, evidence: true, replay: true, fleet: false },
    });

    const [status, reviewed] = await post(`/api/approvals/${id}/review`, {
      verdict: 'approve',
      scope: 'session',
    });
    expect([status, reviewed.approval.outcome.status, reviewed.approval.outcome.by]).toEqual([
      200,
      'approved',
      [APPROVER],
    ]);
    const retried = await daemon.client.evaluate(publishRequest(1));
    expect([retried.decision, retried.rule_id]).toEqual(['allow', 'approval.granted']);
    const [badScope, refusal] = await post(`/api/approvals/${id}/review`, {
      verdict: 'approve',
      scope: 'forever',
    });
    expect([badScope, refusal]).toEqual([
      400,
      {
        error: {
          code: 'invalid_review',
          message: '--scope must be once, session or ttl:<duration> (e.g. ttl:30m), not "forever"',
        },
      },
    ]);

    // A pack that blocks npm publish outright: the console's replay is `cavra policy replay`'s.
    await writeFile(
      join(daemon.dir, 'strict.yaml'),
      'metadata: {id: strict, version: 1.0.0}\ncommands:\n  allow: ["npm test"]\n  block: ["npm publish *"]\n',
    );
    const [replayed, replay] = await post('/api/replay', { pack: join(daemon.dir, 'strict.yaml') });
    const cli = await cavra(
      ['policy', 'replay', '--pack', 'strict.yaml', '--evidence', 'evidence.jsonl', '--json'],
      daemon.dir,
    );
    const report = JSON.parse(cli.stdout);
    expect(replayed).toBe(200);
    expect([
      replay.replayed,
      replay.changed.map((change: { seq: number }) => change.seq),
      replay.skipped,
    ]).toEqual([
      report.replayed,
      report.changed.map((change: { seq: number }) => change.seq),
      report.skipped,
    ]);
    expect(replay.changed[0]).toMatchObject({
      actionType: 'execute_command',
      target: 'npm publish --tag t1',
      replayed: { decision: 'block' },
    });
    const [missing, noPack] = await post('/api/replay', { pack: join(daemon.dir, 'none.yaml') });
    expect([missing, noPack.error.code]).toEqual([400, 'replay_failed']);

    const stopped = await started.stop();
    expect([stopped.code, stopped.stdout.endsWith('cavra console: stopped (SIGTERM)\n')]).toEqual([0, true]);
  });

  it('refuses --listen without TLS, --as without --key, a bad port (usage, exit 2), and a port in use (exit 1)', async () => {
    const dir = tempDir();
    const usage = async (args: string[]) => {
      const run = await cavra(['console', ...args], dir);
      return [run.code, run.stderr.split('\n')[0]];
    };
    expect(await usage(['--listen', '0.0.0.0'])).toEqual([
      2,
      'cavra: console: --listen needs --tls-cert and --tls-key (without TLS the console listens on 127.0.0.1 only)',
    ]);
    expect(await usage(['--as', 'alice@example.com'])).toEqual([2, 'cavra: console: --as needs --key']);
    expect(await usage(['--port', '70000'])).toEqual([
      2,
      'cavra: console: --port must be a port number from 0 to 65535',
    ]);
    const taken = await startConsoleProcess([], dir);
    const port = new URL(taken.url).port;
    const inUse = await cavra(['console', '--port', port], dir);
    expect([inUse.code, inUse.stderr]).toEqual([
      1,
      `cavra: console: cannot listen: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`,
    ]);
    expect(await usage(['--config', 'a.yaml', '--socket', 'b.sock'])).toEqual([
      2,
      'cavra: console: --config or --socket, not both',
    ]);
  });

  it('--receipt-key: needs --nats, must be an Ed25519 public key, and is named at start', async () => {
    const dir = tempDir();
    const usage = async (args: string[]) => {
      const run = await cavra(['console', ...args], dir);
      return [run.code, run.stderr.split('\n')[0]];
    };
    await writeFile(join(dir, 'junk.pem'), 'not a key\n');
    await writeFile(
      join(dir, 'verifier.pub.pem'),
      generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }),
    );
    expect(await usage(['--receipt-key', 'verifier.pub.pem'])).toEqual([
      2,
      "cavra: console: --receipt-key needs --nats (the receipts are in the fleet's NATS)",
    ]);
    expect(await usage(['--nats', 'nats://127.0.0.1:1', '--receipt-key', 'junk.pem'])).toEqual([
      4,
      'cavra: console: --receipt-key junk.pem: not an Ed25519 public key in PEM form',
    ]);
    const started = await startConsoleProcess(
      ['--nats', 'nats://127.0.0.1:1', '--receipt-key', 'verifier.pub.pem'],
      dir,
    );
    expect(started.output().split('\n').slice(4, 6)).toEqual([
      '  fleet:     nats://127.0.0.1:1',
      '  receipts:  checked with verifier.pub.pem',
    ]);
    expect((await started.stop()).code).toBe(0);
  });
});

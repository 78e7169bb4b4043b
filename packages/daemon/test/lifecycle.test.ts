import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signRunnerClaims } from '@cavra/auth';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { createClient, DaemonClientError, withRunnerAuth } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PACKAGE_VERSION, removeTempDirs, tempDir } from './support/daemon-fixture.js';
import { cli, DaemonProcess, killDaemons } from './support/daemon-process.js';
import { IDENTITY, OidcIssuer } from './support/oidc-issuer.js';
import { evaluate, RawClient, REQUEST } from './support/raw-client.js';

afterEach(killDaemons);
afterAll(removeTempDirs);

const SECRET_A = 'reload-test-secret-a-0123456789abcdef';
const SECRET_B = 'reload-test-secret-b-0123456789abcdef';

async function failure(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DaemonClientError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a DaemonClientError');
}

describe('socket ownership between daemon processes', () => {
  it('never takes a live daemon’s socket, replaces the stale one a SIGKILLed daemon left, and the client reconnects', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'run', 'd.sock');
    const first = join(dir, 'first.yaml');
    const second = join(dir, 'second.yaml');
    await writeFile(first, 'socket_path: run/d.sock\nevidence_log: first.jsonl\npid_file: first.pid\n');
    await writeFile(second, 'socket_path: run/d.sock\nevidence_log: second.jsonl\npid_file: second.pid\n');
    const live = await DaemonProcess.start(first, socketPath);
    const client = createClient({ socketPath });
    expect((await client.evaluate(REQUEST)).rule_id).toBe('filesystem.read.block');

    const intruder = await DaemonProcess.start(second);
    expect(await intruder.exited).toBe(1);
    expect(intruder.logs()).toEqual([
      { level: 'error', msg: 'failed to start', error: `a daemon is already listening on ${socketPath}` },
    ]);
    expect(await cli(['start', '--config', second])).toEqual({
      code: 1,
      stdout: '',
      stderr: `a daemon (pid ${live.pid}) is already listening on ${socketPath}\n`,
    });
    expect((await client.health()).pid).toBe(live.pid);

    expect(await live.stop('SIGKILL')).toBe(null);
    expect(existsSync(socketPath)).toBe(true); // stale: nobody listens behind it
    const [code, message] = await failure(client.evaluate(REQUEST));
    expect(code).toBe('daemon_unavailable');
    expect([
      'the daemon closed the connection before answering',
      `cannot reach the CAVRA daemon at ${socketPath} (ECONNREFUSED)`,
    ]).toContain(message);

    const successor = await DaemonProcess.start(second, socketPath);
    expect((await client.evaluate(REQUEST)).rule_id).toBe('filesystem.read.block'); // same client, new connection
    expect((await client.health()).pid).toBe(successor.pid);
    await client.close();
    expect(await successor.stop()).toBe(0);
  });
});

describe('idle timeout', () => {
  it('closes a pooled client connection between two calls, and the next call reconnects by itself', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'run', 'd.sock');
    const configFile = join(dir, 'cavra-daemon.yaml');
    await writeFile(
      configFile,
      'socket_path: run/d.sock\nevidence_log: e.jsonl\nlimits:\n  idle_timeout_ms: 100\n',
    );
    const daemon = await DaemonProcess.start(configFile, socketPath);
    const client = createClient({ socketPath });
    expect((await client.evaluate(REQUEST)).rule_id).toBe('filesystem.read.block');
    // This process is busy while the daemon closes the idle connection, so it writes the next call before it
    // reads the close: the worst moment for the idle timeout to strike.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
    expect((await client.evaluate(REQUEST)).rule_id).toBe('filesystem.read.block');
    expect((await client.health()).counts).toMatchObject({ requests: 2, errors: 0, connections: 1 });
    await client.close();
    expect(await daemon.stop()).toBe(0);
  });
});

describe('SIGHUP', () => {
  it('reloads packs and keys under load without dropping a connection, logging JSON to stderr without secrets', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'run', 'd.sock');
    const configFile = join(dir, 'cavra-daemon.yaml');
    await writeFile(join(dir, 'key-a'), SECRET_A, { mode: 0o600 });
    await writeFile(join(dir, 'key-b'), SECRET_B, { mode: 0o600 });
    await writeFile(
      join(dir, 'team.yaml'),
      'metadata: {id: team, version: "1", inherits: cavra-ai-agent-baseline}\n',
    );
    const config = (key: string) =>
      `socket_path: run/d.sock\nevidence_log: evidence.jsonl\npolicy_packs: [team.yaml]\n` +
      `runner_auth:\n  required: true\n  hmac: {keys: [{key_id: ${key}, secret_file: ${key}}]}\n`;
    await writeFile(configFile, config('key-a'));
    const daemon = await DaemonProcess.start(configFile, socketPath);
    const before = createClient({ socketPath });
    const oldDigest = (await before.health()).policy_digests.team;

    const connection = await RawClient.connect(socketPath);
    const signatures: string[] = [];
    const signed = (n: number, keyId: string, secret: string) => {
      const request = signRunnerClaims(
        { ...REQUEST, target: 'README.md', session_id: `load-${n}`, policy_pack: 'team' },
        { keyId, secret },
      );
      signatures.push(request.runner_auth?.signature as string);
      return EvaluateRequestCodec.toJSON(request);
    };
    const answers: string[] = [];
    let reloaded = false;
    // One persistent connection keeps asking with the old key until the reload has shown in its answers.
    const load = (async () => {
      for (let n = 0; n < 2000 && !(reloaded && answers.at(-1) !== 'team:filesystem.read.allow'); n++) {
        connection.send(evaluate(`n${n}`, signed(n, 'key-a', SECRET_A)));
        const answer = await connection.next();
        answers.push(
          answer?.type === 'decision' ? `${answer.decision.policy_id}:${answer.decision.rule_id}` : 'lost',
        );
      }
    })();
    while (answers.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    await writeFile(
      join(dir, 'team.yaml'),
      'metadata: {id: team, version: "2", inherits: cavra-ai-agent-baseline}\n',
    );
    await writeFile(configFile, config('key-b'));
    daemon.child.kill('SIGHUP');
    let newDigest = oldDigest;
    while (newDigest === oldDigest) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      newDigest = (await before.health()).policy_digests.team;
    }
    reloaded = true;
    await load;

    // Old key, then (from one request on, never back) the new policy and keyring: not one answer lost.
    const switched = answers.indexOf('cavra-runner-auth:runner_auth.invalid');
    expect(switched).toBeGreaterThanOrEqual(20);
    expect(answers.slice(0, switched)).toEqual(Array(switched).fill('team:filesystem.read.allow'));
    expect(new Set(answers.slice(switched))).toEqual(new Set(['cavra-runner-auth:runner_auth.invalid']));
    connection.send(evaluate('new-key', signed(-1, 'key-b', SECRET_B)));
    const fresh = await connection.next();
    expect([fresh?.decision.policy_id, fresh?.decision.reason]).toEqual([
      'team',
      expect.stringContaining('README.md'),
    ]);
    expect(connection.closed).toBe(false);
    const runner = withRunnerAuth(
      before,
      { hmac: { keyId: 'key-b', secret: SECRET_B } },
      { identity: IDENTITY },
    );
    expect((await runner.evaluate({ ...REQUEST, target: 'README.md', policy_pack: 'team' })).policy_id).toBe(
      'team',
    );
    await before.close();
    connection.socket.end();
    expect(await daemon.stop()).toBe(0);

    expect(daemon.logs()).toEqual([
      {
        level: 'info',
        msg: 'listening',
        socket: socketPath,
        version: PACKAGE_VERSION,
        pid: daemon.pid,
        policy_digests: { team: oldDigest },
        runner_auth: 'required',
        runner_auth_methods: ['hmac'],
      },
      {
        level: 'info',
        msg: 'reloaded',
        policy_digests: { team: newDigest },
        runner_auth: 'required',
        runner_auth_methods: ['hmac'],
      },
      { level: 'info', msg: 'stopping', signal: 'SIGTERM' },
      { level: 'info', msg: 'stopped', requests: answers.length + 2 },
    ]);
    const evidence = await readFile(join(dir, 'evidence.jsonl'), 'utf8');
    for (const text of [daemon.stderr, evidence]) {
      expect(text).not.toContain(SECRET_A);
      expect(text).not.toContain(SECRET_B);
      expect(signatures.filter((signature) => text.includes(signature))).toEqual([]);
    }
  });
});

describe('SIGTERM', () => {
  it('finishes the request in flight before exiting, and takes no new connection meanwhile', async () => {
    const issuer = await new OidcIssuer().start();
    const dir = tempDir();
    const socketPath = join(dir, 'run', 'd.sock');
    const configFile = join(dir, 'cavra-daemon.yaml');
    await writeFile(
      configFile,
      `socket_path: run/d.sock\nevidence_log: evidence.jsonl\nrunner_auth: ${JSON.stringify({ required: true, oidc: issuer.config })}\n`,
    );
    const daemon = await DaemonProcess.start(configFile, socketPath);
    // A CI job: its token and identity come from the environment, as in GitHub Actions.
    const client = withRunnerAuth(createClient({ socketPath }), {
      oidc: { audience: 'cavra', fromEnvironment: true, env: issuer.ciEnvironment },
    });
    issuer.hold(); // the daemon waits on the issuer's JWKS: the request stays in flight
    const arrived = issuer.nextRequest();
    const inFlight = client.evaluate(REQUEST);
    await arrived;
    daemon.child.kill('SIGTERM');
    await daemon.logged('stopping'); // from here on the daemon takes no new connection
    const late = createClient({ socketPath });
    expect(await failure(late.evaluate(REQUEST))).toEqual([
      'daemon_unavailable',
      `cannot reach the CAVRA daemon at ${socketPath} (ENOENT)`,
    ]);
    issuer.release();
    const decision = await inFlight;
    expect([decision.decision, decision.rule_id]).toEqual(['block', 'filesystem.read.block']);
    expect(issuer.tokensIssued).toBe(1);
    expect(await daemon.exited).toBe(0);
    await Promise.all([client.close(), late.close(), issuer.stop()]);

    const verified = await cli(['evidence', 'verify', join(dir, 'evidence.jsonl')]);
    expect([verified.code, verified.stdout.split('\n')[0]]).toEqual([
      0,
      `${join(dir, 'evidence.jsonl')}: 1 record, chain intact, unsigned`,
    ]);
    const record = JSON.parse(await readFile(join(dir, 'evidence.jsonl'), 'utf8'));
    expect([record.decision.decision_id, record.authentication, record.runner.algorithm]).toEqual([
      decision.decision_id,
      'runner',
      'OIDC-JWT',
    ]);
    expect([record.runner.identity, record.runner.verifiedFields]).toEqual([
      {
        provider: 'github-actions',
        repository: 'acme/app',
        workflow: 'Release Governance',
        runId: '123456',
        runAttempt: '',
        ref: 'refs/heads/main',
        sha: 'abc123',
        actor: '',
        job: '',
        runnerName: '',
      },
      ['provider', 'repository', 'workflow', 'runId', 'ref', 'sha'],
    ]);
    // No token in the logs or the evidence: not the job's (each ends in its own signature), not the request token.
    for (const text of [daemon.stderr, JSON.stringify(record)]) {
      expect(text).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
      expect(text).not.toContain('job-request-token');
    }
  });
});

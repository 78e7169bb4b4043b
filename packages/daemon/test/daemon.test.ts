import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, statSync, writeSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { attachOidcToken, signRunnerClaims } from '@cavra/auth';
import { EvaluateRequestCodec } from '@cavra/contracts';
import { createClient, DaemonClientError } from '@cavra/daemon-client';
import { loadShellParser } from '@cavra/runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  evidenceLogId,
  loadDaemonConfig,
  parseEvidenceRef,
  resolveDaemonConfig,
  startDaemon,
  verifyEvidenceLog,
} from '../src/index.js';
import {
  FIXED_NOW,
  PACKAGE_VERSION,
  removeTempDirs,
  type Started,
  startTestDaemon,
  tempDir,
} from './support/daemon-fixture.js';
import { IDENTITY, OidcIssuer } from './support/oidc-issuer.js';
import { evaluate, type Frame, RawClient, REQUEST } from './support/raw-client.js';

const SECRET = 'test-only-secret-0123456789abcdef-not-for-production';
const READ_TIMEOUT = {
  v: 1,
  id: null,
  type: 'error',
  error: { code: 'read_timeout', message: 'frame not completed within 200 ms' },
};
/** A connection that has spoken v1 (a health frame): frames it cannot read are answered with v1 error frames. */
async function speakingV1(socketPath: string): Promise<RawClient> {
  const client = await RawClient.connect(socketPath);
  client.send({ v: 1, id: 'hello', type: 'health' });
  await client.next();
  return client;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function failure(promise: Promise<unknown>): Promise<[string, string | undefined, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DaemonClientError) return [error.code, error.daemonCode, error.message];
    throw error;
  }
  throw new Error('expected a DaemonClientError');
}
const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) await started.daemon.close();
});
afterAll(removeTempDirs);

async function start(raw: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  const started = await startTestDaemon(raw, env);
  running.push(started);
  return started;
}

const BLOCKED_ENV = {
  decision_id: 'id-1',
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'read_file',
  target: '.env',
  requested_operation: 'read',
  policy_pack: 'cavra-ai-agent-baseline',
  policy_id: 'cavra-ai-agent-baseline',
  rule_id: 'filesystem.read.block',
  decision: 'block',
  severity: 'high',
  reason: "reading '.env' is blocked by pattern '.env' (filesystem.block_read[0])",
  approver_group: '',
  timestamp: '2026-11-25T10:00:00.000Z',
  correlation_id: 'trace-1',
};

describe('the daemon over its Unix socket', () => {
  it('answers a v1 evaluate frame with the full decision and records it before answering', async () => {
    const { daemon, config } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    client.send({ ...evaluate('r1'), correlation_id: 'trace-1' });
    const response = await client.next();
    const logId = createHash('sha256').update(config.evidenceLog).digest('hex').slice(0, 16);
    expect(response).toEqual({
      v: 1,
      id: 'r1',
      type: 'decision',
      decision: {
        ...BLOCKED_ENV,
        evidence_refs: [
          'evidence://session-1/id-1',
          'policy:cavra-ai-agent-baseline/2.1.0',
          expect.stringMatching(/^policy-digest:sha256:[0-9a-f]{64}$/),
          `cavra-daemon-evidence://${logId}/1`,
        ],
      },
    });
    const verification = await verifyEvidenceLog(config.evidenceLog);
    expect([verification.ok, verification.records]).toEqual([true, 1]);
    // The reference resolves to the record, and the record holds the decision exactly as it was answered.
    const [line] = (await readFile(config.evidenceLog, 'utf8')).split('\n');
    const record = JSON.parse(line as string);
    expect([record.seq, record.decision]).toEqual([1, response?.decision]);
    expect(parseEvidenceRef(response?.decision.evidence_refs[3])).toEqual({ logId, seq: 1 });
    expect(evidenceLogId(config.evidenceLog)).toBe(logId);
    expect(statSync(daemon.socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(daemon.socketPath)).mode & 0o777).toBe(0o700);
    expect(statSync(config.evidenceLog).mode & 0o777).toBe(0o600);
  });

  it('serves the compatibility form: one bare request, half-close, a bare answer, then close', async () => {
    const { daemon } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    client.send(REQUEST);
    client.socket.end();
    const response = await client.next();
    expect([response?.decision, response?.rule_id, response?.v]).toEqual([
      'block',
      'filesystem.read.block',
      undefined,
    ]);
    expect(await client.next()).toBeUndefined();
  });

  it('pipelines many requests on one connection and answers each id', async () => {
    const { daemon } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    const ids = Array.from({ length: 50 }, (_, i) => `p${i}`);
    client.send(
      ids.map((id) => JSON.stringify(evaluate(id, { ...REQUEST, target: `src/file-${id}.ts` }))).join('\n') +
        '\n',
    );
    const answers = await Promise.all(ids.map(() => client.next()));
    expect(answers.map((a) => a?.id).sort()).toEqual([...ids].sort());
    expect(new Set(answers.map((a) => a?.decision.decision))).toEqual(new Set(['allow']));
    expect(daemon.health().counts.requests).toBe(50);
  });

  it('serves concurrent clients', async () => {
    const { daemon, config } = await start();
    const clients = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(daemon.socketPath)));
    for (const [i, client] of clients.entries()) client.send(evaluate(`c${i}`));
    const answers = await Promise.all(clients.map((client) => client.next()));
    expect(answers.map((a) => a?.decision.decision)).toEqual(Array(20).fill('block'));
    expect((await verifyEvidenceLog(config.evidenceLog)).records).toBe(20);
  });

  it.each([
    ['garbage', 'hello daemon\n', { code: 'invalid_json', message: 'frame is not valid JSON' }, null],
    [
      'truncated JSON',
      '{"v":1,"id":"t1","type":"eval\n',
      { code: 'invalid_json', message: 'frame is not valid JSON' },
      null,
    ],
    [
      'a wrong type',
      '{"v":1,"id":"w1","type":"evaluate","request":{"session_id":7}}\n',
      {
        code: 'invalid_request',
        message: 'invalid EvaluateRequest: session_id: expected a string, got number',
        issues: [{ path: 'session_id', code: 'wrong_type', message: 'expected a string, got number' }],
      },
      'w1',
    ],
    [
      'an unknown field (strict contract)',
      '{"v":1,"id":"u1","type":"evaluate","request":{"sesion_id":"x"}}\n',
      {
        code: 'invalid_request',
        message: 'invalid EvaluateRequest: sesion_id: EvaluateRequest has no field "sesion_id"',
        issues: [
          { path: 'sesion_id', code: 'unknown_field', message: 'EvaluateRequest has no field "sesion_id"' },
        ],
      },
      'u1',
    ],
    [
      'an unknown pack',
      `${JSON.stringify(evaluate('k1', { ...REQUEST, policy_pack: 'nope' }))}\n`,
      {
        code: 'unknown_policy_pack',
        message: "policy pack 'nope' is not loaded",
      },
      'k1',
    ],
  ])('answers %s with a structured error and keeps serving', async (_name, text, error, id) => {
    const { daemon } = await start();
    const client = await speakingV1(daemon.socketPath);
    client.send(text);
    expect(await client.next()).toEqual({ v: 1, id, type: 'error', error });
    client.send(evaluate('after'));
    expect((await client.next())?.decision.decision).toBe('block');
  });

  it('decides an unknown action type require_approval, as upstream does', async () => {
    const { daemon } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('a1', { ...REQUEST, action_type: 'format_disk' }));
    const { policy_id, rule_id, decision, severity, reason } = (await client.next())?.decision ?? {};
    expect({ policy_id, rule_id, decision, severity, reason }).toEqual({
      policy_id: 'cavra-ai-agent-baseline',
      rule_id: 'runtime.default.require_approval',
      decision: 'require_approval',
      severity: 'medium',
      reason: "no rule knows action type 'format_disk': review required",
    });
  });

  it('refuses an oversize frame, closes that connection only, and a duplicate in-flight id', async () => {
    const { daemon } = await start({ limits: { max_frame_bytes: 4096 } });
    const other = await RawClient.connect(daemon.socketPath);
    const client = await speakingV1(daemon.socketPath);
    client.send(`{"v":1,"id":"big","type":"evaluate","request":{"target":"${'x'.repeat(8000)}"}}\n`);
    expect(await client.next()).toEqual({
      v: 1,
      id: null,
      type: 'error',
      error: { code: 'frame_too_large', message: 'frame exceeds 4096 bytes' },
    });
    expect(await client.next()).toBeUndefined();
    other.send(`${JSON.stringify(evaluate('d1'))}\n${JSON.stringify(evaluate('d1'))}\n`);
    const answers = [await other.next(), await other.next()];
    expect(answers.map((a) => a?.type).sort()).toEqual(['decision', 'error']);
    expect(answers.find((a) => a?.type === 'error')?.error).toEqual({
      code: 'invalid_frame',
      message: 'id is already in flight on this connection',
    });
  });

  it('survives clients killed mid-frame', async () => {
    const { daemon } = await start();
    for (let i = 0; i < 10; i++) {
      const client = await RawClient.connect(daemon.socketPath);
      client.send('{"v":1,"id":"half","type":"evaluate","request":{"sess');
      client.socket.destroy();
    }
    const client = await RawClient.connect(daemon.socketPath);
    client.send({ v: 1, id: 'h', type: 'health' });
    const health = await client.next();
    expect([health?.type, health?.health.counts.requests]).toEqual(['health', 0]);
  });

  it('closes idle connections silently and partial frames that never finish with read_timeout', async () => {
    const { daemon } = await start({ limits: { idle_timeout_ms: 200, read_timeout_ms: 200 } });
    const idle = await RawClient.connect(daemon.socketPath);
    const partial = await speakingV1(daemon.socketPath);
    partial.send('{"v":1,');
    expect(await idle.next()).toBeUndefined();
    expect(await partial.next()).toEqual(READ_TIMEOUT);
    expect(await partial.next()).toBeUndefined();
  });

  it('times a frame from its first byte: a trickle of bytes does not extend the read timeout', async () => {
    const { daemon } = await start({ limits: { idle_timeout_ms: 10_000, read_timeout_ms: 200 } });
    const client = await speakingV1(daemon.socketPath);
    const text = `${JSON.stringify(evaluate('slow'))}\n`;
    let sent = 0;
    while (sent < text.length && !client.closed) {
      client.send(text[sent++]);
      await sleep(20);
    }
    expect(sent).toBeLessThan(text.length);
    expect(await client.next()).toEqual(READ_TIMEOUT);
    expect(await client.next()).toBeUndefined();
    expect(daemon.health().counts.requests).toBe(0);
  });

  it('reads a frame cut short by a half-close as the last frame: truncated JSON is invalid_json, then it closes', async () => {
    const { daemon } = await start();
    const client = await speakingV1(daemon.socketPath);
    client.send('{"v":1,"id":"t1","type":"evaluate","request":');
    client.socket.end();
    expect(await client.next()).toEqual({
      v: 1,
      id: null,
      type: 'error',
      error: { code: 'invalid_json', message: 'frame is not valid JSON' },
    });
    expect(await client.next()).toBeUndefined();
  });

  it('turns connections beyond the limit away with overloaded and cuts them, serving the others', async () => {
    const { daemon } = await start({ limits: { max_connections: 2 } });
    const first = await RawClient.connect(daemon.socketPath);
    const second = await RawClient.connect(daemon.socketPath);
    const third = await RawClient.connect(daemon.socketPath);
    // One line for both kinds of client: a v1 error frame, and a block for a bare (upstream) client.
    expect(await third.next()).toEqual({
      v: 1,
      id: null,
      type: 'error',
      error: { code: 'overloaded', message: 'too many connections' },
      decision: 'block',
      rule_id: 'daemon.overloaded',
      severity: 'high',
      reason: 'too many connections',
      policy_id: 'cavra-daemon',
    });
    expect(await third.next()).toBeUndefined(); // cut by the daemon, though this client never closed
    const client = createClient({ socketPath: daemon.socketPath });
    expect(await failure(client.evaluate(REQUEST))).toEqual([
      'daemon_error',
      'overloaded',
      'the daemon refused the connection: overloaded: too many connections',
    ]);
    first.send(evaluate('f1'));
    expect((await first.next())?.decision.rule_id).toBe('filesystem.read.block');
    second.socket.destroy();
    while (daemon.health().counts.connections > 1) await sleep(10);
    expect((await client.evaluate(REQUEST)).rule_id).toBe('filesystem.read.block'); // a fresh connection
    await client.close();
  });

  it('stops reading a connection while max_in_flight requests are pending or its answers go unread, and loses none', async () => {
    const { daemon, config } = await start({ limits: { max_in_flight_per_connection: 16 } });
    const client = await RawClient.connect(daemon.socketPath);
    client.socket.pause(); // a client that does not read its answers
    const total = 1500;
    const frames = Array.from({ length: total }, (_, i) =>
      JSON.stringify(evaluate(`b${i}`, { ...REQUEST, target: `src/f${i}.ts` })),
    );
    client.send(`${frames.join('\n')}\n`);
    let before = -1;
    let now = daemon.health().counts.requests;
    while (now !== before) {
      before = now;
      await sleep(100);
      now = daemon.health().counts.requests;
    }
    expect(now).toBeGreaterThan(0);
    expect(now).toBeLessThan(total); // the daemon stopped reading instead of buffering answers without bound
    client.socket.resume();
    const answers = await Promise.all(frames.map(() => client.next()));
    expect(answers.map((answer) => answer?.type)).toEqual(Array(total).fill('decision'));
    expect(new Set(answers.map((answer) => answer?.id)).size).toBe(total);
    expect(daemon.health().counts).toMatchObject({ requests: total, errors: 0, decisions: { allow: total } });
    expect((await verifyEvidenceLog(config.evidenceLog)).records).toBe(total);
  });

  it('with strict_contract off, evaluates a request with unknown fields and records what it tolerated', async () => {
    const { daemon, config } = await start({ strict_contract: false });
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('l1', { ...REQUEST, agent_name: 'x', 'bad key!': 'y' }));
    expect((await client.next())?.decision.rule_id).toBe('filesystem.read.block');
    const record = JSON.parse(await readFile(config.evidenceLog, 'utf8'));
    expect(record.contract_warnings).toEqual([
      { code: 'unknown_field', path: 'agent_name' },
      { code: 'unknown_field', path: '<not an identifier>' },
    ]);
    expect((await verifyEvidenceLog(config.evidenceLog)).ok).toBe(true);
  });

  it('answers health with version, digest, uptime and counts', async () => {
    const { daemon } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('e1'));
    await client.next();
    // The daemon loads the shell grammar while it serves; once loaded, health says so.
    await loadShellParser();
    client.send({ v: 1, id: 'h1', type: 'health' });
    const { health } = (await client.next()) as { health: Frame };
    expect(health).toEqual({
      version: PACKAGE_VERSION,
      pid: process.pid,
      runner_auth: { required: false, methods: [] },
      policy_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      policy_digests: { 'cavra-ai-agent-baseline': health.policy_digest },
      mode: 'enforce',
      shell_parser: 'ready',
      uptime_ms: expect.any(Number),
      counts: { requests: 1, decisions: { block: 1 }, errors: 0, connections: 1 },
      evidence: { records: 1, last_hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
  });
});

describe('socket ownership', () => {
  it('replaces a stale socket from a dead daemon but never steals a live one', async () => {
    const dir = tempDir();
    const socketPath = join(dir, 'run', 'd.sock');
    const stale = createServer();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dirname(socketPath), { mode: 0o700 });
    await new Promise<void>((resolve) => stale.listen(socketPath, resolve));
    const config = resolveDaemonConfig(
      { evidence_log: 'ev.jsonl', socket_path: 'run/d.sock' },
      { baseDir: dir },
    );
    await expect(startDaemon(config)).rejects.toThrow(`a daemon is already listening on ${socketPath}`);
    // A server that dies without unlinking leaves a stale socket file behind.
    const dead = (stale as unknown as { _handle: { close(): void } })._handle;
    dead.close();
    const daemon = await startDaemon(config);
    running.push({ daemon, config, dir });
    const client = await RawClient.connect(socketPath);
    client.send({ v: 1, id: 'h', type: 'health' });
    expect((await client.next())?.type).toBe('health');
  });

  it('refuses a socket directory others can write to, and leaves an existing safe one as it is', async () => {
    const dir = tempDir();
    const { chmodSync, mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'open'));
    chmodSync(join(dir, 'open'), 0o777);
    const open = resolveDaemonConfig(
      { evidence_log: 'ev.jsonl', socket_path: 'open/d.sock' },
      { baseDir: dir },
    );
    await expect(startDaemon(open)).rejects.toThrow(
      `socket directory ${join(dir, 'open')} must be owned by this user and not writable by others`,
    );
    mkdirSync(join(dir, 'shared'));
    chmodSync(join(dir, 'shared'), 0o755);
    const config = resolveDaemonConfig(
      { evidence_log: 'ev.jsonl', socket_path: 'shared/d.sock' },
      { baseDir: dir },
    );
    const daemon = await startDaemon(config);
    running.push({ daemon, config, dir });
    expect(statSync(join(dir, 'shared')).mode & 0o777).toBe(0o755);
    expect(statSync(config.socketPath).mode & 0o777).toBe(0o600);
  });

  it('refuses a second daemon on the same evidence log, even on another socket', async () => {
    const { config, dir } = await start();
    const other = resolveDaemonConfig(
      { evidence_log: 'evidence.jsonl', socket_path: 'other/d.sock' },
      { baseDir: dir },
    );
    await expect(startDaemon(other)).rejects.toThrow(
      `${config.evidenceLog} is being written by process ${process.pid} (lock file ${config.evidenceLog}.lock)`,
    );
  });

  it('refuses to delete a path that is not a socket, and an overlong path', async () => {
    const dir = tempDir();
    await writeFile(join(dir, 'd.sock'), 'not a socket');
    const config = resolveDaemonConfig({ evidence_log: 'ev.jsonl', socket_path: 'd.sock' }, { baseDir: dir });
    await expect(startDaemon(config)).rejects.toThrow(`${join(dir, 'd.sock')} exists and is not a socket`);
    const long = resolveDaemonConfig(
      { evidence_log: 'ev.jsonl', socket_path: `${'x'.repeat(120)}.sock` },
      { baseDir: dir },
    );
    await expect(startDaemon(long)).rejects.toThrow('socket path is longer than 100 bytes');
  });
});

describe('runner authentication at the daemon', () => {
  const HMAC = {
    runner_auth: { required: true, hmac: { keys: [{ key_id: 'ci-runner', secret_env: 'CAVRA_KEY' }] } },
  };
  const auth = (code: string, reason: string) => ({
    policy_id: 'cavra-runner-auth',
    rule_id: 'runner_auth.invalid',
    decision: 'block',
    severity: 'critical',
    reason: `runner authentication failed: ${code}: ${reason}`,
  });
  const pick = (decision: Record<string, unknown>) => ({
    policy_id: decision.policy_id,
    rule_id: decision.rule_id,
    decision: decision.decision,
    severity: decision.severity,
    reason: decision.reason,
  });

  it('blocks unauthenticated requests when required, accepts signed ones and records the runner', async () => {
    const { daemon, config } = await start(HMAC, { CAVRA_KEY: SECRET });
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('n1'));
    expect(pick((await client.next())?.decision)).toEqual(
      auth('missing_auth', 'this daemon requires runner authentication'),
    );

    const signed = signRunnerClaims(REQUEST, {
      keyId: 'ci-runner',
      secret: SECRET,
      now: new Date('2026-11-25T09:59:00Z'),
      identity: { provider: 'github-actions', repository: 'acme/app' },
    });
    const { EvaluateRequestCodec } = await import('@cavra/contracts');
    const json = EvaluateRequestCodec.toJSON(signed);
    client.send(evaluate('s1', json));
    expect(pick((await client.next())?.decision)).toEqual({
      policy_id: 'cavra-ai-agent-baseline',
      rule_id: 'filesystem.read.block',
      decision: 'block',
      severity: 'high',
      reason: "reading '.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    });
    client.send(evaluate('s2', json));
    expect(pick((await client.next())?.decision)).toEqual(
      auth('replayed', 'this signature was already used'),
    );
    client.send(evaluate('s3', { ...json, target: 'README.md' }));
    expect(pick((await client.next())?.decision)).toEqual(
      auth('bad_signature', 'signature does not match the signed request fields'),
    );

    const records = (await readFile(config.evidenceLog, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(
      records.map((record) => [record.authentication, record.runner?.identity?.repository ?? null]),
    ).toEqual([
      ['rejected', null],
      ['runner', 'acme/app'],
      ['rejected', null],
      ['rejected', null],
    ]);
    const log = await readFile(config.evidenceLog, 'utf8');
    expect(log).not.toContain(signed.runner_auth?.signature as string);
    expect(log).not.toContain(SECRET);
  });

  it('evaluates local agents without runner_auth when not required, records them as such, but still verifies runner_auth when present', async () => {
    const { daemon, config } = await start({ runner_auth: { required: false } });
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('l1'));
    expect((await client.next())?.decision.rule_id).toBe('filesystem.read.block');
    client.send(
      evaluate('l2', { ...REQUEST, runner_auth: { algorithm: 'HMAC-SHA256', key_id: 'k', signature: 'x' } }),
    );
    expect(pick((await client.next())?.decision)).toEqual(
      auth('unsupported_algorithm', 'runner authentication is not configured on this daemon'),
    );
    const records = (await readFile(config.evidenceLog, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(records.map((record) => [record.authentication, record.runner])).toEqual([
      ['unauthenticated_local_agent', null],
      ['rejected', null],
    ]);
  });
});

describe('reload', () => {
  it('swaps the policy without dropping connections, and keeps the old one when the new config is bad', async () => {
    const dir = tempDir();
    const configFile = join(dir, 'cavra-daemon.yaml');
    await writeFile(
      join(dir, 'strict.yaml'),
      'metadata: {id: team, version: "1", inherits: cavra-ai-agent-baseline}\n',
    );
    await writeFile(configFile, 'evidence_log: ev.jsonl\nsocket_path: run/d.sock\n');
    const { jsonLogger, loadDaemonConfig } = await import('../src/index.js');
    const { PassThrough } = await import('node:stream');
    const stream = new PassThrough();
    let logText = '';
    stream.on('data', (chunk) => {
      logText += chunk;
    });
    const logs = () =>
      logText
        .trim()
        .split('\n')
        .map((line) => {
          const { time, ...rest } = JSON.parse(line);
          expect(Number.isNaN(Date.parse(time))).toBe(false);
          return rest;
        });
    const config = await loadDaemonConfig(configFile);
    const daemon = await startDaemon(config, { logger: jsonLogger(stream) });
    running.push({ daemon, config, dir });
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('before', { ...REQUEST, target: 'README.md' }));
    expect((await client.next())?.decision.decision).toBe('allow');

    await writeFile(
      configFile,
      'evidence_log: ev.jsonl\nsocket_path: run/d.sock\nmode: strict\npolicy_packs: [strict.yaml]\n',
    );
    const inFlight = Array.from({ length: 20 }, (_, i) => {
      client.send(evaluate(`load-${i}`, { ...REQUEST, target: 'README.md' }));
      return client.next();
    });
    await daemon.reload();
    await Promise.all(inFlight);
    client.send(evaluate('after', { ...REQUEST, target: 'README.md', policy_pack: 'team' }));
    expect((await client.next())?.decision.decision).toBe('require_approval');
    expect(daemon.health().policy_digests).toEqual({ team: expect.stringMatching(/^sha256:/) });

    await writeFile(configFile, 'evidence_log: ev.jsonl\nmode: nonsense\n');
    await expect(daemon.reload()).rejects.toThrow(
      '/mode: must be one of: audit_only, enforce, strict, break_glass',
    );
    client.send(evaluate('still', { ...REQUEST, target: 'README.md', policy_pack: 'team' }));
    expect((await client.next())?.decision.decision).toBe('require_approval');

    // Whether runner auth is required is reloaded too; settings of the running socket wait for a restart.
    await writeFile(
      configFile,
      'evidence_log: ev.jsonl\nsocket_path: run/d.sock\nrunner_auth: {required: true}\nlimits: {max_connections: 8}\n',
    );
    await daemon.reload();
    expect(daemon.health().runner_auth).toEqual({ required: true, methods: [] });
    client.send(evaluate('unsigned', { ...REQUEST, target: 'README.md' }));
    expect((await client.next())?.decision.reason).toBe(
      'runner authentication failed: missing_auth: this daemon requires runner authentication',
    );
    expect(client.closed).toBe(false);

    const optional = {
      level: 'warn',
      msg: 'runner authentication is optional: requests without runner_auth are evaluated as unauthenticated local agents (recorded as such)',
    };
    expect(logs()).toEqual([
      {
        level: 'info',
        msg: 'listening',
        socket: config.socketPath,
        version: PACKAGE_VERSION,
        pid: process.pid,
        policy_digests: { 'cavra-ai-agent-baseline': expect.stringMatching(/^sha256:/) },
        runner_auth: 'optional',
        runner_auth_methods: [],
      },
      optional,
      {
        level: 'info',
        msg: 'reloaded',
        policy_digests: { team: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
        runner_auth: 'optional',
        runner_auth_methods: [],
      },
      optional,
      {
        level: 'error',
        msg: 'reload failed; keeping the current policy and keys',
        error: expect.stringContaining('/mode: must be one of: audit_only, enforce, strict, break_glass'),
      },
      {
        level: 'info',
        msg: 'reloaded',
        policy_digests: { 'cavra-ai-agent-baseline': daemon.health().policy_digest },
        runner_auth: 'required',
        runner_auth_methods: [],
      },
      { level: 'warn', msg: 'these settings take effect only after a restart', keys: ['limits'] },
    ]);
  });
});

describe('concurrent reloads', () => {
  it('apply in the order they were asked for: the config read last is the one in force', async () => {
    const dir = tempDir();
    const configFile = join(dir, 'cavra-daemon.yaml');
    const base = 'evidence_log: ev.jsonl\nsocket_path: run/d.sock\n';
    execFileSync('mkfifo', [join(dir, 'slow.yaml')]); // reading this pack waits until the test writes it
    await writeFile(configFile, base);
    const config = await loadDaemonConfig(configFile);
    const daemon = await startDaemon(config);
    running.push({ daemon, config, dir });
    await writeFile(configFile, `${base}policy_packs: [slow.yaml]\n`);
    const first = daemon.reload();
    let writer: number | undefined;
    while (writer === undefined) {
      try {
        writer = openSync(join(dir, 'slow.yaml'), constants.O_WRONLY | constants.O_NONBLOCK);
      } catch {
        await sleep(5); // the first reload is not reading the pack yet
      }
    }
    await writeFile(configFile, `${base}mode: audit_only\n`);
    const second = daemon.reload();
    await sleep(50);
    writeSync(writer, 'metadata: {id: slow, version: "1", inherits: cavra-ai-agent-baseline}\n');
    closeSync(writer);
    await Promise.all([first, second]);
    expect([daemon.health().mode, Object.keys(daemon.health().policy_digests)]).toEqual([
      'audit_only',
      ['cavra-ai-agent-baseline'],
    ]);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, refuses frames read meanwhile with shutting_down, then closes', async () => {
    const issuer = await new OidcIssuer().start();
    const started = await start({ runner_auth: { required: true, oidc: issuer.config } });
    const { daemon, config } = started;
    const client = await RawClient.connect(daemon.socketPath);
    const token = await issuer.token(FIXED_NOW);
    const request = EvaluateRequestCodec.toJSON(attachOidcToken(REQUEST, token, IDENTITY));
    issuer.hold(); // the request waits on the JWKS: in flight for as long as the test needs
    const arrived = issuer.nextRequest();
    client.send(evaluate('held', request));
    await arrived;
    const closed = daemon.close();
    client.send(evaluate('late'));
    expect(await client.next()).toEqual({
      v: 1,
      id: 'late',
      type: 'error',
      error: { code: 'shutting_down', message: 'the daemon is shutting down; the request was not decided' },
    });
    expect(await RawClient.connect(daemon.socketPath).catch((error) => error.code)).toBe('ENOENT');
    issuer.release();
    const held = await client.next();
    expect([held?.id, held?.decision.decision, held?.decision.rule_id]).toEqual([
      'held',
      'block',
      'filesystem.read.block',
    ]);
    expect(await client.next()).toBeUndefined();
    await closed;
    await issuer.stop();
    const log = await readFile(config.evidenceLog, 'utf8');
    const [record, ...more] = log
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(more).toEqual([]);
    expect([record.authentication, record.runner.algorithm, record.runner.identity.repository]).toEqual([
      'runner',
      'OIDC-JWT',
      'acme/app',
    ]);
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[2]); // nor the token's signature alone
  });
});

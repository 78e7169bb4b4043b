import { statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { signRunnerClaims } from '@cavra/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDaemonConfig, startDaemon, verifyEvidenceLog } from '../src/index.js';
import { type Started, startTestDaemon, tempDir } from './support/daemon-fixture.js';
import { evaluate, type Frame, RawClient, REQUEST } from './support/raw-client.js';

const SECRET = 'test-only-secret-0123456789abcdef-not-for-production';
const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) await started.daemon.close();
});

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
  rule_id: 'filesystem.block_read[0]',
  decision: 'block',
  severity: 'high',
  reason: "reading '.env' is blocked by pattern '**/.env'",
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
    expect(response).toEqual({
      v: 1,
      id: 'r1',
      type: 'decision',
      decision: {
        ...BLOCKED_ENV,
        evidence_refs: [
          'policy:cavra-ai-agent-baseline/1.0.0',
          expect.stringMatching(/^policy-digest:sha256:[0-9a-f]{64}$/),
        ],
      },
    });
    const verification = await verifyEvidenceLog(config.evidenceLog);
    expect([verification.ok, verification.records]).toEqual([true, 1]);
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
      'filesystem.block_read[0]',
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
      'an unknown action',
      `${JSON.stringify(evaluate('a1', { ...REQUEST, action_type: 'format_disk' }))}\n`,
      {
        code: 'unknown_action_type',
        message:
          "no evaluator for action type 'format_disk' (known: read_file, write_file, execute_command, git_push, mcp_tool_call, release_governance_record)",
      },
      'a1',
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
    const client = await RawClient.connect(daemon.socketPath);
    client.send(text);
    expect(await client.next()).toEqual({ v: 1, id, type: 'error', error });
    client.send(evaluate('after'));
    expect((await client.next())?.decision.decision).toBe('block');
  });

  it('refuses an oversize frame, closes that connection only, and a duplicate in-flight id', async () => {
    const { daemon } = await start({ limits: { max_frame_bytes: 4096 } });
    const other = await RawClient.connect(daemon.socketPath);
    const client = await RawClient.connect(daemon.socketPath);
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

  it('closes idle connections and partial frames that never finish', async () => {
    const { daemon } = await start({ limits: { idle_timeout_ms: 200, read_timeout_ms: 200 } });
    const idle = await RawClient.connect(daemon.socketPath);
    const partial = await RawClient.connect(daemon.socketPath);
    partial.send('{"v":1,');
    expect(await idle.next()).toBeUndefined();
    expect(await partial.next()).toBeUndefined();
  });

  it('turns connections beyond the limit away with overloaded', async () => {
    const { daemon } = await start({ limits: { max_connections: 2 } });
    await RawClient.connect(daemon.socketPath);
    await RawClient.connect(daemon.socketPath);
    const third = await RawClient.connect(daemon.socketPath);
    expect(await third.next()).toEqual({
      v: 1,
      id: null,
      type: 'error',
      error: { code: 'overloaded', message: 'too many connections' },
    });
  });

  it('answers health with version, digest, uptime and counts', async () => {
    const { daemon } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    client.send(evaluate('e1'));
    await client.next();
    client.send({ v: 1, id: 'h1', type: 'health' });
    const { health } = (await client.next()) as { health: Frame };
    expect(health).toEqual({
      version: '0.1.0',
      policy_digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      policy_digests: { 'cavra-ai-agent-baseline': health.policy_digest },
      mode: 'enforce',
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
    rule_id: `runner-auth.${code}`,
    decision: 'block',
    severity: 'high',
    reason,
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
      rule_id: 'filesystem.block_read[0]',
      decision: 'block',
      severity: 'high',
      reason: "reading '.env' is blocked by pattern '**/.env'",
    });
    client.send(evaluate('s2', json));
    expect(pick((await client.next())?.decision)).toEqual(
      auth('replayed', 'this signature was already used'),
    );
    client.send(evaluate('s3', { ...json, target: 'README.md' }));
    expect(pick((await client.next())?.decision)).toEqual(
      auth('bad_signature', 'signature does not match the signed request fields'),
    );

    const { readFile } = await import('node:fs/promises');
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
    expect((await client.next())?.decision.rule_id).toBe('filesystem.block_read[0]');
    client.send(
      evaluate('l2', { ...REQUEST, runner_auth: { algorithm: 'HMAC-SHA256', key_id: 'k', signature: 'x' } }),
    );
    expect(pick((await client.next())?.decision)).toEqual(
      auth('unsupported_algorithm', 'runner authentication is not configured on this daemon'),
    );
    const { readFile } = await import('node:fs/promises');
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
    const { loadDaemonConfig } = await import('../src/index.js');
    const config = await loadDaemonConfig(configFile);
    const daemon = await startDaemon(config);
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
    await expect(daemon.reload()).rejects.toThrow('/mode: must be equal to one of the allowed values');
    client.send(evaluate('still', { ...REQUEST, target: 'README.md', policy_pack: 'team' }));
    expect((await client.next())?.decision.decision).toBe('require_approval');
  });
});

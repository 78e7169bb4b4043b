import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { evidenceLogId, verifyEvidenceLog } from '../src/index.js';
import { removeTempDirs, type Started, startTestDaemon } from './support/daemon-fixture.js';
import { evaluate, RawClient, REQUEST } from './support/raw-client.js';

const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) await started.daemon.close();
});
afterAll(removeTempDirs);

async function start(raw: Record<string, unknown> = {}) {
  const started = await startTestDaemon(raw);
  running.push(started);
  return started;
}

/** Sends raw bytes, half-closes, and returns every line the daemon wrote before it closed. */
async function oneShot(socketPath: string, bytes: Buffer | string): Promise<Record<string, unknown>[]> {
  const client = await RawClient.connect(socketPath);
  client.socket.end(bytes);
  const answers: Record<string, unknown>[] = [];
  for (let answer = await client.next(); answer !== undefined; answer = await client.next())
    answers.push(answer);
  return answers;
}

async function records(path: string) {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const DAEMON_BLOCK = { policy_id: 'cavra-daemon', decision: 'block', severity: 'high', approver_group: '' };

describe('the bare form: every answer is a DecisionResponse', () => {
  it('decides a bare request ended by a half-close without a newline (printf | nc -U), then closes', async () => {
    const { daemon, config } = await start();
    const [answer, ...rest] = await oneShot(daemon.socketPath, JSON.stringify(REQUEST));
    expect(rest).toEqual([]);
    expect([answer?.decision, answer?.rule_id, answer?.target, answer?.v]).toEqual([
      'block',
      'filesystem.read.block',
      '.env',
      undefined,
    ]);
    expect(answer?.evidence_refs).toContain(`cavra-daemon-evidence://${evidenceLogId(config.evidenceLog)}/1`);
  });

  it('answers a request that breaks the contract with a recorded daemon.invalid_request block naming the fields', async () => {
    const { daemon, config } = await start();
    const [answer] = await oneShot(
      daemon.socketPath,
      `${JSON.stringify({ ...REQUEST, agent_id: 7, sesion_id: 'x', 'ghp_secret-looking key': 1 })}\n`,
    );
    expect(answer).toEqual({
      ...DAEMON_BLOCK,
      decision_id: 'id-1',
      // Only the fields that are valid on their own are echoed; agent_id was a number.
      session_id: 'session-1',
      agent_id: '',
      actor: 'developer@example.com',
      action_type: 'read_file',
      target: '.env',
      requested_operation: 'read',
      policy_pack: 'cavra-ai-agent-baseline',
      rule_id: 'daemon.invalid_request',
      reason:
        'the request breaks the EvaluateRequest contract: agent_id (wrong_type); sesion_id (unknown_field); <not an identifier> (unknown_field)',
      evidence_refs: [`cavra-daemon-evidence://${evidenceLogId(config.evidenceLog)}/1`],
      timestamp: '2026-11-25T10:00:00.000Z',
      correlation_id: 'id-2',
    });
    const [record] = await records(config.evidenceLog);
    expect([record.authentication, record.runner, record.decision]).toEqual(['not_checked', null, answer]);
    expect(JSON.stringify(record)).not.toContain('ghp_secret');
  });

  it('answers an unknown pack with daemon.unknown_policy_pack, echoing the request', async () => {
    const { daemon } = await start();
    const [answer] = await oneShot(
      daemon.socketPath,
      `${JSON.stringify({ ...REQUEST, policy_pack: 'nope' })}\n`,
    );
    expect([answer?.decision, answer?.rule_id, answer?.reason, answer?.policy_pack, answer?.target]).toEqual([
      'block',
      'daemon.unknown_policy_pack',
      "policy pack 'nope' is not loaded",
      'nope',
      '.env',
    ]);
  });

  it.each([
    ['garbage', Buffer.from('hello daemon'), 'daemon.invalid_json', 'frame is not valid JSON'],
    ['a JSON array', Buffer.from('[1,2]'), 'daemon.invalid_frame', 'frame must be a JSON object'],
    [
      'bytes that are not UTF-8',
      Buffer.concat([Buffer.from('{"session_id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
      'daemon.invalid_encoding',
      'frame is not valid UTF-8',
    ],
    [
      'a lone surrogate',
      Buffer.from('{"session_id":"s","target":"\\ud800.env","action_type":"read_file"}'),
      'daemon.invalid_encoding',
      'frame holds a lone UTF-16 surrogate (\\ud800-\\udfff escape)',
    ],
  ])(
    'answers %s on a fresh connection with a recorded block, never an error object',
    async (_name, bytes, rule, reason) => {
      const { daemon, config } = await start();
      const [answer] = await oneShot(daemon.socketPath, bytes);
      expect({ ...answer, decision_id: undefined, correlation_id: undefined, timestamp: undefined }).toEqual({
        ...DAEMON_BLOCK,
        decision_id: undefined,
        session_id: '',
        agent_id: '',
        actor: '',
        action_type: '',
        target: '',
        requested_operation: '',
        policy_pack: '',
        rule_id: rule,
        reason,
        evidence_refs: [`cavra-daemon-evidence://${evidenceLogId(config.evidenceLog)}/1`],
        timestamp: undefined,
        correlation_id: undefined,
      });
      expect((await verifyEvidenceLog(config.evidenceLog)).records).toBe(1);
    },
  );

  it('refuses invalid UTF-8 and lone surrogates in v1 frames with invalid_encoding, keeping the connection', async () => {
    const { daemon } = await start();
    const client = await RawClient.connect(daemon.socketPath);
    client.send({ v: 1, id: 'h', type: 'health' });
    await client.next();
    client.socket.write(
      Buffer.concat([
        Buffer.from('{"v":1,"id":"x","type":"'),
        Buffer.from([0xff]),
        Buffer.from('health"}\n'),
      ]),
    );
    expect(await client.next()).toEqual({
      v: 1,
      id: null,
      type: 'error',
      error: { code: 'invalid_encoding', message: 'frame is not valid UTF-8' },
    });
    client.send(
      `${JSON.stringify(evaluate('s1', { ...REQUEST, target: 'x' })).replace('"x"', '"\\udc00x"')}\n`,
    );
    expect(await client.next()).toEqual({
      v: 1,
      id: null,
      type: 'error',
      error: {
        code: 'invalid_encoding',
        message: 'frame holds a lone UTF-16 surrogate (\\ud800-\\udfff escape)',
      },
    });
    // A well-formed pair is a character, not a surrogate: it is read.
    client.send(
      `${JSON.stringify(evaluate('ok', { ...REQUEST, target: 'x' })).replace('"x"', '"\\ud83d\\ude00.md"')}\n`,
    );
    const answer = await client.next();
    expect([answer?.id, answer?.decision.target]).toEqual(['ok', '😀.md']);
  });

  it('answers a failed runner authentication in the bare form as upstream does: runner_auth.invalid, critical', async () => {
    const { daemon } = await start({ runner_auth: { required: true } });
    const [answer] = await oneShot(daemon.socketPath, JSON.stringify(REQUEST));
    expect([answer?.decision, answer?.rule_id, answer?.severity, answer?.reason]).toEqual([
      'block',
      'runner_auth.invalid',
      'critical',
      'runner authentication failed: missing_auth: this daemon requires runner authentication',
    ]);
  });
});

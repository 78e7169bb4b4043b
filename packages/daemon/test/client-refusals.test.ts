import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, DaemonClientError } from '@cavra/daemon-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { evidenceLogId, evidenceRef } from '../src/index.js';
import { removeTempDirs, type Started, startTestDaemon, tempDir } from './support/daemon-fixture.js';
import { evaluate, RawClient, REQUEST } from './support/raw-client.js';

const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) await started.daemon.close();
});
afterAll(removeTempDirs);

/** A daemon whose default pack is the team's own (`team`, inheriting the baseline). */
async function teamDaemon(): Promise<Started> {
  const dir = tempDir();
  const pack = join(dir, 'team.yaml');
  await writeFile(pack, 'metadata: {id: team, version: "1", inherits: cavra-ai-agent-baseline}\n');
  const started = await startTestDaemon({ policy_packs: [pack], default_pack: 'team' });
  running.push(started);
  return started;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read records of any shape, field by field.
type Line = Record<string, any>;

async function records(started: Started): Promise<[Line, ...Line[]]> {
  return (await readFile(started.config.evidenceLog, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line)) as [Line, ...Line[]];
}

async function failure(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DaemonClientError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a DaemonClientError');
}

const { policy_pack: _pack, ...WITHOUT_PACK } = { ...REQUEST, target: 'README.md' };

describe("the daemon's default pack", () => {
  it('decides a request that names no pack, and the client takes its answer', async () => {
    const started = await teamDaemon();
    const client = createClient({ socketPath: started.config.socketPath });
    const decision = await client.evaluate(WITHOUT_PACK);
    await client.close();
    expect([decision.decision, decision.policy_pack, decision.policy_id, decision.rule_id]).toEqual([
      'allow',
      'team',
      'team',
      'filesystem.read.allow',
    ]);
    expect((await records(started)).map((record) => record.decision.decision)).toEqual(['allow']);
  });
});

describe('refusals on record', () => {
  it("records the client's refusal of an answer, linked to the decision, before the call fails", async () => {
    const started = await teamDaemon();
    // A caller that pins the baseline as the daemon's default refuses the team pack's answer.
    const client = createClient({
      socketPath: started.config.socketPath,
      defaultPolicyPack: 'cavra-ai-agent-baseline',
    });
    const message = "the daemon's DecisionResponse does not echo the request's policy_pack";
    expect(await failure(client.evaluate(WITHOUT_PACK))).toEqual(['protocol_error', message]);
    const [decided, refused = {}] = await records(started);
    const logId = evidenceLogId(started.config.evidenceLog);
    expect(decided.decision.decision).toBe('allow');
    expect(refused).toEqual({
      seq: 2,
      prev: decided.hash,
      recorded_at: '2026-11-25T10:00:00.000Z',
      event: {
        type: 'client_refusal',
        decision_id: decided.decision.decision_id,
        decision_ref: evidenceRef(logId, 1),
        code: 'protocol_error',
        message,
      },
      hash: refused.hash,
    });
    expect(decided.decision.evidence_refs.at(-1)).toBe(evidenceRef(logId, 1));
    // The next call opens a new connection and is answered as before.
    expect((await failure(client.evaluate(WITHOUT_PACK)))[0]).toBe('protocol_error');
    expect((await records(started)).map((record) => record.event?.type ?? record.decision.decision)).toEqual([
      'allow',
      'client_refusal',
      'allow',
      'client_refusal',
    ]);
    await client.close();
  });

  it('answers a refusal frame with the records it links, waits for a decision in flight, and refuses what it cannot link', async () => {
    const started = await teamDaemon();
    const connection = await RawClient.connect(started.config.socketPath);
    // The refusal follows its evaluate frame at once: the daemon links it once the decision is recorded.
    connection.send(evaluate('e1', WITHOUT_PACK));
    connection.send({
      v: 1,
      id: 'r1',
      type: 'refusal',
      refusal: { evaluate_id: 'e1', code: 'timeout', message: 'no answer within 5 ms\u0007' },
    });
    const decision = await connection.next();
    const acknowledged = await connection.next();
    const [decided, refused] = await records(started);
    expect(decision?.id).toBe('e1');
    expect(acknowledged).toEqual({
      v: 1,
      id: 'r1',
      type: 'refusal',
      refusal: {
        decision_id: decided?.decision.decision_id,
        decision_ref: decided?.decision.evidence_refs.at(-1),
        evidence_ref: evidenceRef(evidenceLogId(started.config.evidenceLog), 2),
      },
    });
    expect(refused?.event).toEqual({
      type: 'client_refusal',
      decision_id: decided?.decision.decision_id,
      decision_ref: decided?.decision.evidence_refs.at(-1),
      code: 'timeout',
      message: 'no answer within 5 ms?',
    });
    // Another decision id named by the client is kept in the message; the daemon's own links the record.
    connection.send({
      v: 1,
      id: 'r2',
      type: 'refusal',
      refusal: { evaluate_id: 'e1', decision_id: 'dec_other', code: 'protocol_error', message: 'x' },
    });
    expect((await connection.next())?.type).toBe('refusal');
    expect((await records(started))[2]?.event.message).toBe('x (the client named decision dec_other)');

    const refusal = (id: string, body: unknown) => ({ v: 1, id, type: 'refusal', refusal: body });
    const cases: [unknown, string, string][] = [
      [
        { evaluate_id: 'never-sent', code: 'timeout', message: '' },
        'unknown_decision',
        'no decision recorded for the evaluate frame "never-sent" on this connection',
      ],
      [
        { evaluate_id: 'e1', code: 'time out', message: '' },
        'invalid_frame',
        'refusal.code must be a plain identifier',
      ],
      [{ evaluate_id: 'e1', code: 'timeout' }, 'invalid_frame', 'refusal.message must be a string'],
      [
        { evaluate_id: '', code: 'timeout', message: '' },
        'invalid_frame',
        'refusal.evaluate_id must be a string of 1 to 128 characters',
      ],
      [
        { evaluate_id: 'e1', code: 'timeout', message: '', why: 1 },
        'invalid_frame',
        'unknown refusal key "why"',
      ],
      ['no', 'invalid_frame', 'refusal must be a JSON object'],
    ];
    for (const [index, [body, code, message]] of cases.entries()) {
      connection.send(refusal(`bad-${index}`, body));
      expect(await connection.next()).toEqual({
        v: 1,
        id: `bad-${index}`,
        type: 'error',
        error: { code, message },
      });
    }
    // An evaluate answered with an error frame recorded nothing: there is nothing to refuse.
    connection.send(evaluate('e2', { ...WITHOUT_PACK, policy_pack: 'not-loaded' }));
    expect((await connection.next())?.error.code).toBe('unknown_policy_pack');
    connection.send(refusal('r3', { evaluate_id: 'e2', code: 'protocol_error', message: '' }));
    expect((await connection.next())?.error).toEqual({
      code: 'unknown_decision',
      message: 'no decision recorded for the evaluate frame "e2" on this connection',
    });
    connection.socket.end();
    expect((await records(started)).length).toBe(3);
  });
});

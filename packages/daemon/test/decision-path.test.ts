import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { generateApproverKey } from '@cavra/approvals';
import { signRunnerClaims } from '@cavra/auth';
import {
  ContractValidationError,
  DECISIONS,
  DecisionResponseCodec,
  EvaluateRequestCodec,
  fromDecisionResponse,
  type RuntimeDecision,
  SEVERITIES,
  toDecisionResponse,
  toRuntimeRequest,
} from '@cavra/contracts';
import { createEngine, loadBaselinePack, loadDeveloperPack } from '@cavra/runtime';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { decisionJson } from '../src/decision-json.js';
import {
  bodyJson,
  decisionBodyJson,
  type EvidenceBody,
  hashBody,
  recordLine,
} from '../src/evidence-record.js';
import { verifyEvidenceLog } from '../src/index.js';
import { responseLine, SerializedBody } from '../src/protocol.js';
import { removeTempDirs, type Started, startTestDaemon, tempDir } from './support/daemon-fixture.js';
import { REQUEST } from './support/raw-client.js';

afterAll(removeTempDirs);
const running: Started[] = [];
afterEach(async () => {
  for (const started of running.splice(0)) await started.daemon.close();
});

/** Today's (0.3) path from a runtime decision to the answer's JSON: contract validation, protobufjs, JSON. */
const codecJson = (decision: RuntimeDecision) =>
  DecisionResponseCodec.toJSON(toDecisionResponse(decision), { emitDefaults: true });

const BASE: RuntimeDecision = {
  decisionId: 'dec_1',
  sessionId: 'session-1',
  agentId: 'codex-agent',
  actor: 'developer@example.com',
  actionType: 'execute_command',
  target: 'git status && rm -rf /',
  operation: 'execute',
  policyPack: 'cavra-ai-agent-baseline',
  policyId: 'cavra-ai-agent-baseline',
  ruleId: 'commands.block',
  decision: 'block',
  severity: 'high',
  reason: "running 'rm -rf /' is blocked",
  evidenceRefs: ['evidence://session-1/dec_1', 'policy:cavra-ai-agent-baseline'],
  approverGroup: '',
  timestamp: '2026-11-25T10:00:00.000Z',
  correlationId: 'corr_1',
};

describe('the answer built as a plain object', () => {
  const valid: RuntimeDecision[] = [
    BASE,
    ...DECISIONS.map((decision) => ({ ...BASE, decision })),
    ...SEVERITIES.map((severity) => ({ ...BASE, severity })),
    // Every field at its default: the answer still has every key.
    Object.fromEntries(
      Object.entries(BASE).map(([key, value]) => [key, Array.isArray(value) ? [] : '']),
    ) as unknown as RuntimeDecision,
    { ...BASE, target: 'é☃\u2028"\\\n\u0000😀', reason: '<script>', approverGroup: 'Repository Owners' },
    { ...BASE, timestamp: '' },
    {
      ...BASE,
      timestamp: '2026-11-25T10:00:00Z',
      evidenceRefs: Array.from({ length: 64 }, (_, i) => `r${i}`),
    },
    // Sizes the guard does not count take the codec's path, which counts them.
    { ...BASE, target: 'x'.repeat(16384), reason: 'y'.repeat(1024), operation: 'é'.repeat(8192) },
  ].map((decision) => ({
    ...decision,
    decision: decision.decision || 'block',
    severity: decision.severity || 'high',
  }));

  it('equals the codec output, key for key and byte for byte, for every decision and severity', () => {
    for (const decision of valid) {
      expect(decisionJson(decision)).toStrictEqual(codecJson(decision));
      expect(JSON.stringify(decisionJson(decision))).toBe(JSON.stringify(codecJson(decision)));
    }
  });

  const invalid: [string, RuntimeDecision][] = [
    ['an unknown decision', { ...BASE, decision: 'maybe' as never }],
    ['an empty decision', { ...BASE, decision: '' as never }],
    ['an unknown severity', { ...BASE, severity: 'urgent' as never }],
    ['a timestamp with an offset', { ...BASE, timestamp: '2026-11-25T10:00:00+01:00' }],
    ['a reason over 1024 bytes', { ...BASE, reason: 'é'.repeat(513) }],
    ['a target over 16384 bytes', { ...BASE, target: 'x'.repeat(16385) }],
    ['65 evidence refs', { ...BASE, evidenceRefs: Array.from({ length: 65 }, (_, i) => `r${i}`) }],
    ['a number for a string', { ...BASE, ruleId: 7 as never }],
  ];

  it.each(invalid)('refuses %s exactly as the codec does', (_, decision) => {
    const codec = (() => {
      try {
        codecJson(decision);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(codec).toBeInstanceOf(ContractValidationError);
    expect(() => decisionJson(decision)).toThrow(codec as Error);
    try {
      decisionJson(decision);
    } catch (error) {
      expect((error as ContractValidationError).issues).toEqual((codec as ContractValidationError).issues);
    }
  });
});

describe('every corpus through both paths', () => {
  const folder = new URL('../../runtime/test/corpora/', import.meta.url);
  // Every step of every evasion corpus and every benign command, as a command and as a path to read and write.
  const targets = readdirSync(folder)
    .filter((name) => name.endsWith('.json'))
    .flatMap((name) => JSON.parse(readFileSync(new URL(name, folder), 'utf8')) as unknown[])
    .flatMap((entry) =>
      typeof entry === 'string'
        ? [['execute_command', entry]]
        : 'command' in (entry as object)
          ? [['execute_command', (entry as { command: string }).command]]
          : ((entry as { steps: [string, string][] }).steps ?? []),
    );

  it('gives the codec output for every decision of both shipped packs', async () => {
    const engine = createEngine({
      packs: [await loadBaselinePack(), await loadDeveloperPack()],
      clock: () => new Date('2026-11-25T10:00:00.000Z'),
      ids: (kind) => `${kind}_1`,
    });
    let decided = 0;
    for (const pack of ['cavra-ai-agent-baseline', 'cavra-developer']) {
      for (const [actionType, target] of targets) {
        for (const [type, operation] of [
          [actionType, actionType === 'execute_command' ? target : 'apply'],
          ['read_file', 'read'],
          ['write_file', 'write'],
        ]) {
          const decision = engine.evaluate(
            toRuntimeRequest({
              session_id: 'session-1',
              agent_id: 'codex-agent',
              actor: 'developer@example.com',
              action_type: type,
              target,
              requested_operation: operation,
              policy_pack: pack,
            }),
          );
          expect(JSON.stringify(decisionJson(decision))).toBe(JSON.stringify(codecJson(decision)));
          decided += 1;
        }
      }
    }
    expect(decided).toBe(targets.length * 6);
    expect(targets.length).toBeGreaterThan(500);
  });
});

describe('one serialization for the record and the answer', () => {
  const decision = codecJson(BASE);
  const body: EvidenceBody = {
    seq: 12,
    prev: 'a'.repeat(64),
    recorded_at: '2026-11-25T10:00:00.000Z',
    decision,
    authentication: 'runner',
    runner: { provider: 'github-actions', repository: 'acme/app' },
    release_governance: { metadata_kind: 'rollout', approval_state: 'approved' },
    contract_warnings: [{ code: 'unknown_field', path: 'agent_name' }],
  };
  const bodies: EvidenceBody[] = [
    body,
    { ...body, runner: null, release_governance: null, contract_warnings: undefined },
    { ...body, authentication: undefined },
    { ...body, authentication: undefined, runner: undefined, release_governance: undefined } as never,
    { ...body, decision: codecJson({ ...BASE, target: 'é☃\u2028"\\\n😀' }) },
  ];

  it('gives the body text bodyJson gives, so hashes do not change', () => {
    for (const each of bodies) {
      expect(decisionBodyJson(each, JSON.stringify(each.decision))).toBe(bodyJson(each));
    }
  });

  it('sends the text JSON.stringify sends, in both forms and for every response type', () => {
    const serialized = new SerializedBody(decision, JSON.stringify(decision));
    for (const id of [undefined, null, 'f1', 'a "quoted" \\ id é']) {
      for (const type of ['decision', 'approval', 'approval_list', 'recorded', 'error'] as const) {
        expect(responseLine(id, type, serialized)).toBe(responseLine(id, type, decision));
      }
    }
  });
});

const SECRET = 'test-only-secret-0123456789abcdef-not-for-production';

/** Sends each frame on one connection, then returns every answer line as sent. */
async function exchange(socketPath: string, frames: readonly string[]): Promise<string[]> {
  const socket = connect(socketPath);
  socket.setEncoding('utf8');
  let text = '';
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  const closed = new Promise((resolve) => socket.on('close', resolve));
  socket.end(frames.map((frame) => `${frame}\n`).join(''));
  await closed;
  return text.split('\n').filter(Boolean);
}

/**
 * Every answer and every record is what the 0.3 path made of it: each decision equals the codec's output for the
 * decision it states; each answer line is JSON.stringify of what it holds; each record line is recordLine of what it
 * holds (so its hash is today's), its decision the answer's; and the chain verifies.
 */
async function expectAsBefore(log: string, answers: readonly string[]) {
  const decisions: string[] = [];
  for (const line of answers) {
    const frame = JSON.parse(line);
    expect(`${JSON.stringify(frame)}`).toBe(line);
    const decision = 'v' in frame ? frame.decision : frame;
    if (decision === undefined) continue; // an error frame
    expect(JSON.stringify(decision)).toBe(JSON.stringify(codecJson(fromDecisionResponse(decision))));
    decisions.push(JSON.stringify(decision));
  }
  const lines = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  for (const line of lines) {
    const record = JSON.parse(line);
    expect(recordLine(record)).toBe(`${line}\n`);
    expect(hashBody(record)).toBe(record.hash);
  }
  const recorded = lines.map((line) => JSON.parse(line)).filter((record) => record.decision);
  expect(recorded.map((record) => JSON.stringify(record.decision))).toEqual(decisions);
  expect(await verifyEvidenceLog(log)).toMatchObject({ ok: true, records: lines.length });
  return lines.map((line) => JSON.parse(line));
}

const v1 = (id: string, request: unknown) => JSON.stringify({ v: 1, id, type: 'evaluate', request });

describe('every shape of answer through the daemon', () => {
  it('engine decisions, blocks by the daemon and by runner authentication, errors: as the 0.3 path made them', async () => {
    const started = await startTestDaemon(
      {
        strict_contract: false,
        runner_auth: { hmac: { keys: [{ key_id: 'ci-runner', secret_env: 'CAVRA_KEY' }] } },
      },
      { CAVRA_KEY: SECRET },
    );
    running.push(started);
    const signed = EvaluateRequestCodec.toJSON(
      signRunnerClaims(REQUEST, {
        keyId: 'ci-runner',
        secret: SECRET,
        now: new Date('2026-11-25T09:59:00Z'),
        identity: { provider: 'github-actions', repository: 'acme/app' },
      }),
    );
    const requests: unknown[] = [
      REQUEST,
      { ...REQUEST, target: 'src/index.ts' },
      { ...REQUEST, action_type: 'write_file', target: 'package.json', requested_operation: 'write' },
      { ...REQUEST, action_type: 'execute_command', target: 'git status', requested_operation: 'execute' },
      {
        ...REQUEST,
        action_type: 'execute_command',
        target: 'ls && rm -rf /',
        requested_operation: 'execute',
      },
      {
        ...REQUEST,
        action_type: 'execute_command',
        target: "bash -lc 'cat .env'",
        requested_operation: 'execute',
      },
      { ...REQUEST, action_type: 'git_push', target: 'HEAD:refs/heads/main', requested_operation: 'push' },
      { ...REQUEST, action_type: 'format_disk', target: '/dev/sdb', requested_operation: 'format' },
      { ...REQUEST, target: 'é☃\u2028"\\\n😀/.env' },
      { ...REQUEST, agent_name: 'lenient' }, // a contract warning on record
      {
        session_id: 'rg-1',
        release_governance: {
          metadata_kind: 'rollout-promotion-execution',
          approval_state: 'approved',
          approval_id: 'a-1',
        },
      },
      { ...REQUEST, policy_pack: 'no-such-pack' },
      { ...REQUEST, action_type: 7 },
      { ...REQUEST, runner_auth: { algorithm: 'HMAC-SHA256', key_id: 'k', signature: 'x' } },
      signed,
    ];
    const frames = [
      ...requests.map((request, index) => v1(`f${index}`, request)),
      JSON.stringify({ v: 1, id: 'h', type: 'health' }),
    ];
    const v1Answers = await exchange(started.daemon.socketPath, frames);
    const bareAnswers = await exchange(started.daemon.socketPath, [
      ...requests.slice(0, -1).map((request) => JSON.stringify(request)),
      '{"not json',
    ]);
    const records = await expectAsBefore(started.config.evidenceLog, [...v1Answers, ...bareAnswers]);
    const byId = Object.fromEntries(
      v1Answers
        .map((line) => JSON.parse(line))
        .map((frame) => [frame.id, frame.decision?.rule_id ?? frame.error?.code ?? frame.type]),
    );
    expect(frames.map((_, index) => byId[index === requests.length ? 'h' : `f${index}`])).toEqual([
      'filesystem.read.block',
      'filesystem.read.allow',
      'filesystem.write.require_approval',
      'commands.default.require_approval',
      'commands.block',
      'filesystem.read.block',
      'git.protected_branch.block_direct_push',
      'runtime.default.require_approval',
      'request.invalid_target',
      'filesystem.read.block',
      'release_governance.approval.approved',
      'unknown_policy_pack',
      'invalid_request',
      'runner_auth.invalid',
      'filesystem.read.block',
      'health',
    ]);
    // The bare form answers every request with a decision, the daemon's blocks included (in the order decided).
    expect(bareAnswers.map((line) => JSON.parse(line).rule_id).sort()).toEqual(
      [...frames.slice(0, requests.length - 1).map((_, index) => byId[`f${index}`]), 'daemon.invalid_json']
        .map((rule) =>
          rule === 'unknown_policy_pack' || rule === 'invalid_request' ? `daemon.${rule}` : rule,
        )
        .sort(),
    );
    expect(records.map((record) => record.authentication)).toContain('runner');
    expect(records.some((record) => record.contract_warnings && record.release_governance === null)).toBe(
      true,
    );
    expect(records.some((record) => record.release_governance !== null)).toBe(true);
  });

  it('answers of the approvals path: as the 0.3 path made them', async () => {
    const keys = tempDir();
    await writeFile(join(keys, 'alice.pub.pem'), (await generateApproverKey()).publicKeyPem);
    const started = await startTestDaemon({
      approvals: {
        self_approval_at_keyboard: true,
        groups: {
          'Repository Owners': {
            approvers: [{ id: 'alice@example.com', public_key: join(keys, 'alice.pub.pem') }],
          },
        },
      },
    });
    running.push(started);
    const asked = {
      ...REQUEST,
      action_type: 'format_disk',
      target: '/dev/sdb',
      requested_operation: 'format',
    };
    const answers = await exchange(started.daemon.socketPath, [
      v1('a1', asked),
      v1('a2', asked),
      JSON.stringify(asked),
    ]);
    await expectAsBefore(started.config.evidenceLog, answers);
    const frames = answers.map((line) => JSON.parse(line));
    expect(frames.map((frame) => ('v' in frame ? frame.decision : frame))).toMatchObject([
      { decision: 'require_approval', reason: expect.stringContaining('(approval request ') },
      { decision: 'require_approval', reason: expect.stringContaining('(approval request ') },
      { decision: 'require_approval', reason: expect.stringContaining('(approval request ') },
    ]);
  });
});

import type { Decision } from '@cavra/contracts';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ActionEvaluator,
  type CompiledPolicyPack,
  compilePolicyPack,
  createEngine,
  type EvaluationContext,
  loadBaselinePack,
  type ModeSettings,
  newId,
  parsePolicyPack,
  toRuntimeDecision,
} from '../src/index.js';
import { exactEngine, FIXED_NOW, request } from './support/engine.js';

let baseline: CompiledPolicyPack;
beforeAll(async () => {
  baseline = await loadBaselinePack();
});

/** A registered evaluator answering what its request's operation names, recording what the engine hands it. */
function operationEvaluator(seen: EvaluationContext[] = []): ActionEvaluator {
  return {
    actionType: 'release_governance_record',
    evaluate(runtimeRequest, context) {
      seen.push(context);
      const decision = runtimeRequest.operation as Decision;
      return {
        decision,
        policyId: 'release-governance',
        ruleId: `release-governance.${decision}`,
        severity: decision === 'block' ? 'critical' : 'low',
        reason: `release evidence says ${decision}`,
        evidenceRefs: ['release:v0.2.0'],
        approverGroup: decision === 'require_approval' ? 'release-managers' : '',
      };
    },
  };
}

const release = (operation: string) =>
  request('release_governance_record', 'release-connectors', { requested_operation: operation });

describe('registered evaluators', () => {
  it('decide their action type with the engine clock and pack, their refs after the decision ref and before the policy refs', () => {
    const seen: EvaluationContext[] = [];
    const engine = exactEngine([baseline], { evaluators: [operationEvaluator(seen)] });
    expect(engine.evaluate(release('warn'), { correlationId: 'trace-1' })).toEqual({
      sessionId: 'session-1',
      agentId: 'codex-agent',
      actor: 'developer@example.com',
      actionType: 'release_governance_record',
      target: 'release-connectors',
      operation: 'warn',
      policyPack: 'cavra-ai-agent-baseline',
      decisionId: 'id-1',
      policyId: 'release-governance',
      ruleId: 'release-governance.warn',
      decision: 'warn',
      severity: 'low',
      reason: 'release evidence says warn',
      evidenceRefs: [
        'evidence://session-1/id-1',
        'release:v0.2.0',
        'policy:cavra-ai-agent-baseline/2.1.0',
        `policy-digest:${baseline.digest}`,
      ],
      approverGroup: '',
      timestamp: '2026-11-25T10:00:00.000Z',
      correlationId: 'trace-1',
    });
    expect(seen.map((context) => [context.now().toISOString(), context.pack.id])).toEqual([
      [FIXED_NOW.toISOString(), 'cavra-ai-agent-baseline'],
    ]);
  });

  // [mode, evaluator decision, final decision, rule id, reason, approver group]
  const MODE_CASES: readonly (readonly [ModeSettings, Decision, Decision, string, string, string])[] = [
    [{ mode: 'enforce' }, 'warn', 'warn', 'release-governance.warn', 'release evidence says warn', ''],
    [
      { mode: 'audit_only' },
      'warn',
      'audit_only',
      'release-governance.warn',
      'audit only, enforcement would warn: release evidence says warn',
      '',
    ],
    [
      { mode: 'audit_only' },
      'allow_with_attestation',
      'audit_only',
      'release-governance.allow_with_attestation',
      'audit only, enforcement would allow_with_attestation: release evidence says allow_with_attestation',
      '',
    ],
    [
      { mode: 'strict' },
      'warn',
      'require_approval',
      'release-governance.warn',
      'strict mode requires approval for warn: release evidence says warn',
      'Repository Owners',
    ],
    [
      { mode: 'strict' },
      'require_approval',
      'require_approval',
      'release-governance.require_approval',
      'release evidence says require_approval',
      'release-managers',
    ],
    [
      { mode: 'break_glass', breakGlass: { reason: 'INC-9 hotfix' } },
      'warn',
      'allow_with_attestation',
      'mode.break_glass',
      'break glass (INC-9 hotfix); policy would warn by release-governance.warn',
      '',
    ],
    [
      { mode: 'break_glass', breakGlass: { reason: 'INC-9 hotfix' } },
      'block',
      'allow_with_attestation',
      'mode.break_glass',
      'break glass (INC-9 hotfix); policy would block by release-governance.block',
      '',
    ],
  ];

  it.each(MODE_CASES)('%j turns %s into %s', (mode, given, decision, ruleId, reason, approverGroup) => {
    const result = exactEngine([baseline], { mode, evaluators: [operationEvaluator()] }).evaluate(
      release(given),
    );
    expect({
      decision: result.decision,
      ruleId: result.ruleId,
      reason: result.reason,
      approverGroup: result.approverGroup,
    }).toEqual({ decision, ruleId, reason, approverGroup });
  });

  it('fail closed when they return an invalid outcome', () => {
    const broken: ActionEvaluator = {
      actionType: 'release_governance_record',
      evaluate: (runtimeRequest, context) => ({
        ...operationEvaluator().evaluate(runtimeRequest, context),
        decision: 'maybe' as Decision,
      }),
    };
    expect(exactEngine([baseline], { evaluators: [broken] }).evaluate(release('allow'))).toMatchObject({
      decision: 'block',
      policyId: 'cavra-ai-agent-baseline',
      ruleId: 'evaluator.invalid_outcome',
      severity: 'high',
      reason: "the evaluator for 'release_governance_record' returned an invalid outcome",
    });
  });

  it('are refused when they would shadow a built-in or another evaluator', () => {
    expect(() =>
      createEngine({ packs: [baseline], evaluators: [{ ...operationEvaluator(), actionType: 'read_file' }] }),
    ).toThrow("action type 'read_file' already has an evaluator");
    expect(() =>
      createEngine({ packs: [baseline], evaluators: [operationEvaluator(), operationEvaluator()] }),
    ).toThrow("action type 'release_governance_record' already has an evaluator");
  });
});

describe('newId', () => {
  it('draws upstream-form ids, distinct across refills of its random pool', () => {
    const ids = Array.from({ length: 3000 }, (_, index) =>
      newId(index % 2 === 0 ? 'decision' : 'correlation'),
    );
    expect(ids.filter((id) => !/^(?:dec|corr)_[0-9a-f]{12}$/.test(id))).toEqual([]);
    expect(ids.filter((id) => id.startsWith('dec_'))).toHaveLength(1500);
    expect(new Set(ids.map((id) => id.slice(id.indexOf('_') + 1))).size).toBe(3000);
  });
});

describe('engine options', () => {
  it('refuses a pack given twice and a default pack that is not loaded', () => {
    expect(() => createEngine({ packs: [baseline, baseline] })).toThrow(
      "policy pack 'cavra-ai-agent-baseline' is given twice",
    );
    expect(() => createEngine({ packs: [baseline], defaultPackId: 'other' })).toThrow(
      "default policy pack 'other' is not among the packs",
    );
  });

  it('defaults to the baseline when loaded, else has no default pack among several unless one is named', () => {
    const other = compilePolicyPack(parsePolicyPack('metadata: {id: other, version: "1"}'));
    const third = compilePolicyPack(parsePolicyPack('metadata: {id: third, version: "1"}'));
    const unnamed = request('read_file', 'a.ts', { policy_pack: '' });
    expect(exactEngine([other, baseline]).evaluate(unnamed).policyPack).toBe('cavra-ai-agent-baseline');
    expect(() => exactEngine([third, other]).evaluate(unnamed)).toThrow(
      expect.objectContaining({
        code: 'unknown_policy_pack',
        message: 'the request names no policy pack and there is no default pack',
      }),
    );
    const engine = exactEngine([baseline, other], { defaultPackId: 'other' });
    expect([engine.defaultPackId, engine.evaluate(unnamed).policyPack, engine.mode]).toEqual([
      'other',
      'other',
      { mode: 'enforce' },
    ]);
  });
});

describe('toRuntimeDecision', () => {
  const outcome = {
    decision: 'block',
    policyId: 'cavra-runner-auth',
    ruleId: 'runner-auth.expired',
    severity: 'high',
    reason: 'runner claims expired',
    evidenceRefs: ['runner:ci-7'],
    approverGroup: '',
  } as const;

  it('stamps an outcome decided outside the engine, field for field', () => {
    expect(
      toRuntimeDecision(request('read_file', 'a.ts', { policy_pack: '' }), outcome, {
        policyPack: '',
        decisionId: 'd-1',
        timestamp: FIXED_NOW,
        correlationId: 'trace-9',
      }),
    ).toEqual({
      sessionId: 'session-1',
      agentId: 'codex-agent',
      actor: 'developer@example.com',
      actionType: 'read_file',
      target: 'a.ts',
      operation: 'apply',
      policyPack: '',
      decisionId: 'd-1',
      policyId: 'cavra-runner-auth',
      ruleId: 'runner-auth.expired',
      decision: 'block',
      severity: 'high',
      reason: 'runner claims expired',
      evidenceRefs: ['runner:ci-7'],
      approverGroup: '',
      timestamp: '2026-11-25T10:00:00.000Z',
      correlationId: 'trace-9',
    });
  });

  it("appends the stamp's evidence refs after the outcome's", () => {
    const decision = toRuntimeDecision(request('read_file', 'a.ts'), outcome, {
      policyPack: 'cavra-ai-agent-baseline',
      decisionId: 'd-2',
      timestamp: FIXED_NOW,
      correlationId: 'trace-10',
      evidenceRefs: ['policy:cavra-ai-agent-baseline/1.0.0'],
    });
    expect([decision.policyPack, decision.evidenceRefs]).toEqual([
      'cavra-ai-agent-baseline',
      ['runner:ci-7', 'policy:cavra-ai-agent-baseline/1.0.0'],
    ]);
  });
});

import { toDecisionResponse, toRuntimeRequest } from '@cavra/contracts';
import { createEngine, type Engine, loadBaselinePack } from '@cavra/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReleaseGovernanceEvaluator } from '../src/index.js';
import { RELEASE_GOVERNANCE_CONFORMANCE_CASES } from './support/upstream-conformance-cases.js';

let engine: Engine;
beforeAll(async () => {
  engine = createEngine({
    packs: [await loadBaselinePack()],
    evaluators: [createReleaseGovernanceEvaluator()],
    clock: () => new Date('2026-11-30T08:00:00Z'),
  });
});

describe('release governance decides as upstream CAVRA does', () => {
  it.each(RELEASE_GOVERNANCE_CONFORMANCE_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    // Strict, as the daemon reads requests by default: upstream's forms must pass it.
    const response = toDecisionResponse(engine.evaluate(toRuntimeRequest(c.request, { strict: true })));
    expect({
      decision: response.decision,
      rule_id: response.rule_id,
      severity: response.severity,
      approver_group: response.approver_group,
      policy_id: response.policy_id,
    }).toEqual({ ...c.expected, policy_id: 'cavra-ai-agent-baseline' });
  });

  it('has a case for every rule id of upstream cascade', () => {
    expect([...new Set(RELEASE_GOVERNANCE_CONFORMANCE_CASES.map((c) => c.expected.rule_id))].sort()).toEqual(
      [
        'approval.approved',
        'approval.denied',
        'approval.missing',
        'approval.not_required',
        'approval.pending',
        'approval.required',
        'approval.unknown',
        'delivery.failed',
        'record.missing',
        'record.verified',
        'signal.critical',
      ].map((rule) => `release_governance.${rule}`),
    );
  });
});

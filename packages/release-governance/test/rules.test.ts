import { type ReleaseGovernanceEvidence, toDecisionResponse, toRuntimeRequest } from '@cavra/contracts';
import { createEngine, type Engine, loadBaselinePack } from '@cavra/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReleaseGovernanceEvaluator, rollbackAuditExportEvidence } from '../src/index.js';
import { RULE_CASES, release } from './rule-cases.js';

let engine: Engine;
beforeAll(async () => {
  engine = createEngine({
    packs: [await loadBaselinePack()],
    evaluators: [createReleaseGovernanceEvaluator()],
    clock: () => new Date('2026-11-25T10:00:00Z'),
    ids: () => 'id',
  });
});

function decide(evidence: ReleaseGovernanceEvidence | undefined) {
  return engine.evaluate(
    toRuntimeRequest({
      session_id: 'release-1',
      agent_id: 'release-agent',
      actor: 'release.manager@example.com',
      action_type: 'release_governance_record',
      target: 'release-connectors',
      requested_operation: 'verify',
      policy_pack: 'cavra-ai-agent-baseline',
      ...(evidence ? { release_governance: evidence } : {}),
    }),
  );
}

describe('release-governance rules through the engine', () => {
  it.each(RULE_CASES)('%s', (_name, evidence, decision, ruleId, severity, reason) => {
    const result = decide(evidence);
    expect({
      decision: result.decision,
      ruleId: result.ruleId,
      severity: result.severity,
      reason: result.reason,
      policyId: result.policyId,
      approverGroup: result.approverGroup,
    }).toEqual({
      decision,
      ruleId: `release_governance.${ruleId}`,
      severity,
      reason,
      policyId: 'cavra-ai-agent-baseline',
      approverGroup: decision === 'allow' ? '' : 'Release Governance',
    });
    // Every decision must make a valid wire message.
    expect(toDecisionResponse(result).decision).toBe(decision);
  });

  it('asks for review of a release-governance request without evidence, as upstream does', () => {
    expect(decide(undefined)).toMatchObject({
      decision: 'require_approval',
      ruleId: 'release_governance.record.missing',
      severity: 'medium',
      reason: 'release_governance_record request carries no release_governance evidence',
      approverGroup: 'Release Governance',
      evidenceRefs: [
        'evidence://release-1/id',
        expect.stringMatching(/^policy:/),
        expect.stringMatching(/^policy-digest:sha256:/),
      ],
    });
  });

  it('names the configured approver group on every decision that is not an allow', async () => {
    const custom = createEngine({
      packs: [await loadBaselinePack()],
      evaluators: [createReleaseGovernanceEvaluator({ approverGroup: 'change-board' })],
    });
    const group = (name: string) => {
      const [, evidence] = RULE_CASES.find(([caseName]) => caseName === name) ?? [];
      const result = custom.evaluate(
        toRuntimeRequest({ action_type: 'release_governance_record', release_governance: evidence }),
      );
      return [result.decision, result.approverGroup];
    };
    expect(group('pending')).toEqual(['require_approval', 'change-board']);
    expect(group('rejected')).toEqual(['block', 'change-board']);
    expect(group('approved')).toEqual(['allow', '']);
  });

  it('carries the release and the evidence references', () => {
    const result = decide(
      rollbackAuditExportEvidence({
        ...release,
        auditExportStatus: 'exported',
        auditExportRef: 'audit://exports/43',
        rollbackRef: 'rollback://stable/7',
        rollbackTargetVersion: 'v0.1.9',
        evidenceRefs: ['ticket:CHG-7', 'audit://exports/43'],
      }),
    );
    // The decision's own reference first, as upstream's evidence_refs[0].
    expect(result.evidenceRefs.slice(0, 5)).toEqual([
      `evidence://release-1/${result.decisionId}`,
      'release:stable/v0.2.0',
      'audit://exports/43',
      'rollback://stable/7',
      'ticket:CHG-7',
    ]);
  });
});

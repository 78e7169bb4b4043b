import { type ReleaseGovernanceEvidence, toDecisionResponse, toRuntimeRequest } from '@cavra/contracts';
import { createEngine, type Engine, loadBaselinePack } from '@cavra/runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  approvalEvidence,
  artifactIntegrityEvidence,
  connectorDeliveryEvidence,
  createReleaseGovernanceEvaluator,
  inventoryFreshnessEvidence,
  promotionAuditExportEvidence,
  rollbackAuditExportEvidence,
  rolloutVerificationEvidence,
} from '../src/index.js';

const release = { releaseChannel: 'stable', releaseVersion: 'v0.2.0' };
const DIGEST = 'a'.repeat(64);

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

// [case, evidence, decision, rule id, severity, reason]
const CASES: readonly (readonly [string, ReleaseGovernanceEvidence, string, string, string, string])[] = [
  [
    'approved',
    approvalEvidence({ ...release, approvalState: 'approved', approvalId: 'CHG-1042' }),
    'allow',
    'approval.approved',
    'info',
    'release approved (CHG-1042)',
  ],
  [
    'approved without id',
    approvalEvidence({ ...release, approvalState: 'approved' }),
    'require_approval',
    'approval.missing-id',
    'medium',
    'approved without an approval id to trace',
  ],
  [
    'pending',
    approvalEvidence({ ...release, approvalState: 'pending', approvalRequiredCount: 2 }),
    'require_approval',
    'approval.pending',
    'medium',
    'the release approval is not granted yet',
  ],
  [
    'rejected',
    approvalEvidence({ ...release, approvalState: 'rejected' }),
    'block',
    'approval.rejected',
    'high',
    'the release approval was rejected',
  ],
  [
    'failed delivery',
    connectorDeliveryEvidence({
      ...release,
      deliverySuccess: false,
      failedProviders: ['servicenow'],
      failedDeliveryCount: 1,
      blockedCount: 1,
      connectorDeliverySource: 'release_governance_promotion',
    }),
    'block',
    'connector-delivery.failed',
    'high',
    '1 connector deliveries failed (servicenow)',
  ],
  [
    'blocked delivery',
    connectorDeliveryEvidence({ ...release, deliverySuccess: true, blockedCount: 2 }),
    'block',
    'connector-delivery.blocked',
    'high',
    '2 connector deliveries are blocked',
  ],
  [
    'failed handoff',
    connectorDeliveryEvidence({ ...release, deliverySuccess: true, handoffStatus: 'failed' }),
    'block',
    'connector-delivery.handoff-failed',
    'high',
    'the release handoff failed',
  ],
  [
    'unconfirmed delivery',
    connectorDeliveryEvidence({ ...release, deliverySuccess: false }),
    'require_approval',
    'connector-delivery.unconfirmed',
    'medium',
    'connector delivery is not confirmed',
  ],
  [
    'delivered',
    connectorDeliveryEvidence({ ...release, deliverySuccess: true, handoffStatus: 'complete' }),
    'allow',
    'connector-delivery.delivered',
    'info',
    'every connector delivery succeeded',
  ],
  [
    'inventory blocked',
    inventoryFreshnessEvidence({ ...release, alertLevel: 'warning', blockedCount: 3 }),
    'block',
    'inventory.blocked',
    'high',
    '3 inventory items are blocked',
  ],
  [
    'inventory critical',
    inventoryFreshnessEvidence({ ...release, alertLevel: 'critical', criticalCount: 2, breachedCount: 1 }),
    'require_approval',
    'inventory.critical',
    'high',
    'critical inventory: 2 critical, 1 breached, alert level critical',
  ],
  [
    'inventory missing targets',
    inventoryFreshnessEvidence({ ...release, alertLevel: 'none', missingTargetCount: 4 }),
    'require_approval',
    'inventory.missing-targets',
    'medium',
    '4 inventory targets are missing',
  ],
  [
    'inventory drifted',
    inventoryFreshnessEvidence({
      ...release,
      alertLevel: 'none',
      driftStatus: 'drifted',
      driftedEndpointCount: 5,
    }),
    'warn',
    'inventory.drifted',
    'low',
    '5 endpoints drifted',
  ],
  [
    'inventory drift unknown',
    inventoryFreshnessEvidence({ ...release, alertLevel: 'none', driftStatus: 'unknown' }),
    'warn',
    'inventory.drift-unknown',
    'low',
    'inventory drift is unknown',
  ],
  [
    'inventory fresh',
    inventoryFreshnessEvidence({ ...release, alertLevel: 'none', driftStatus: 'in_sync' }),
    'allow',
    'inventory.fresh',
    'info',
    'critical inventory is fresh',
  ],
  [
    'verification failed',
    rolloutVerificationEvidence({
      ...release,
      verificationStatus: 'failed',
      verifiedCount: 3,
      verificationFailedCount: 1,
    }),
    'block',
    'rollout-verification.failed',
    'high',
    '1 rollout evidence checks failed',
  ],
  [
    'verification pending',
    rolloutVerificationEvidence({ ...release, verificationStatus: 'pending' }),
    'require_approval',
    'rollout-verification.unverified',
    'medium',
    'rollout evidence is not verified yet',
  ],
  [
    'verified nothing',
    rolloutVerificationEvidence({ ...release, verificationStatus: 'verified' }),
    'require_approval',
    'rollout-verification.unverified',
    'medium',
    'rollout evidence is not verified yet',
  ],
  [
    'verified',
    rolloutVerificationEvidence({
      ...release,
      verificationStatus: 'verified',
      verifiedCount: 12,
      verificationRef: 'cavra://verify/run-1',
    }),
    'allow',
    'rollout-verification.verified',
    'info',
    '12 rollout evidence checks verified',
  ],
  [
    'digest mismatch',
    artifactIntegrityEvidence({
      ...release,
      artifactDigestAlgorithm: 'sha256',
      artifactDigest: DIGEST,
      integrityStatus: 'mismatch',
      integrityMismatchCount: 1,
    }),
    'block',
    'artifact-integrity.mismatch',
    'critical',
    'the artifact digest does not match the recorded digest',
  ],
  [
    'digest missing',
    artifactIntegrityEvidence({
      ...release,
      artifactDigestAlgorithm: 'sha256',
      artifactDigest: '',
      integrityStatus: 'missing',
    }),
    'block',
    'artifact-integrity.missing',
    'high',
    'no verified artifact digest',
  ],
  [
    'digest verified',
    artifactIntegrityEvidence({
      ...release,
      artifactDigestAlgorithm: 'sha256',
      artifactDigest: DIGEST,
      integrityStatus: 'verified',
    }),
    'allow',
    'artifact-integrity.verified',
    'info',
    'artifact sha256 digest verified',
  ],
  [
    'promotion export missing',
    promotionAuditExportEvidence({ ...release, auditExportStatus: 'missing' }),
    'block',
    'promotion-audit-export.missing',
    'high',
    'promotion needs an exported audit trail',
  ],
  [
    'promotion export without ref',
    promotionAuditExportEvidence({ ...release, auditExportStatus: 'exported' }),
    'block',
    'promotion-audit-export.missing',
    'high',
    'promotion needs an exported audit trail',
  ],
  [
    'promotion export failed',
    promotionAuditExportEvidence({ ...release, auditExportStatus: 'failed' }),
    'block',
    'promotion-audit-export.failed',
    'high',
    'the promotion audit export failed',
  ],
  [
    'promotion exported',
    promotionAuditExportEvidence({
      ...release,
      auditExportStatus: 'exported',
      auditExportRef: 'audit://exports/42',
      auditExportRecordCount: 118,
    }),
    'allow',
    'promotion-audit-export.exported',
    'info',
    'audit trail exported (118 records)',
  ],
  [
    'rollback export missing',
    rollbackAuditExportEvidence({ ...release, auditExportStatus: 'missing' }),
    'block',
    'rollback-audit-export.missing',
    'high',
    'rollback needs an exported audit trail',
  ],
  [
    'rollback export failed',
    rollbackAuditExportEvidence({ ...release, auditExportStatus: 'failed' }),
    'block',
    'rollback-audit-export.failed',
    'high',
    'the rollback audit export failed',
  ],
  [
    'rollback export incomplete',
    rollbackAuditExportEvidence({
      ...release,
      auditExportStatus: 'exported',
      auditExportRef: 'audit://exports/43',
    }),
    'block',
    'rollback-audit-export.incomplete',
    'high',
    'rollback export names no rollback reference or target version',
  ],
  [
    'rollback exported',
    rollbackAuditExportEvidence({
      ...release,
      auditExportStatus: 'exported',
      auditExportRef: 'audit://exports/43',
      rollbackRef: 'rollback://stable/7',
      rollbackTargetVersion: 'v0.1.9',
    }),
    'allow',
    'rollback-audit-export.exported',
    'info',
    'rollback to v0.1.9 exported',
  ],
];

describe('release-governance rules through the engine', () => {
  it.each(CASES)('%s', (_name, evidence, decision, ruleId, severity, reason) => {
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
      ruleId: `release-governance.${ruleId}`,
      severity,
      reason,
      policyId: 'release-governance',
      approverGroup: decision === 'require_approval' ? 'release-managers' : '',
    });
    // Every decision must make a valid wire message.
    expect(toDecisionResponse(result).decision).toBe(decision);
  });

  it('blocks a release-governance request without evidence', () => {
    expect(decide(undefined)).toMatchObject({
      decision: 'block',
      ruleId: 'release-governance.missing-payload',
      reason: 'release_governance_record request carries no release_governance evidence',
      evidenceRefs: expect.arrayContaining([expect.stringMatching(/^policy-digest:sha256:/)]),
    });
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
    expect(result.evidenceRefs.slice(0, 4)).toEqual([
      'release:stable/v0.2.0',
      'audit://exports/43',
      'rollback://stable/7',
      'ticket:CHG-7',
    ]);
  });
});

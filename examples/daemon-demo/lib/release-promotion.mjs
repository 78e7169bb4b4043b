import {
  approvalEvidence,
  artifactIntegrityEvidence,
  connectorDeliveryEvidence,
  inventoryFreshnessEvidence,
  promotionAuditExportEvidence,
  rollbackAuditExportEvidence,
  rolloutVerificationEvidence,
} from '@cavra/release-governance';

// A release agent promoting v1.4.0 to stable: one typed evidence record per governance check.
const release = { releaseChannel: 'stable', releaseVersion: 'v1.4.0' };
const DIGEST = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const EVIDENCE = [
  approvalEvidence({
    ...release,
    approvalState: 'approved',
    approvalId: 'CHG-2048',
    approvalRequiredCount: 2,
  }),
  connectorDeliveryEvidence({
    ...release,
    deliverySuccess: false,
    failedProviders: ['servicenow'],
    failedDeliveryCount: 1,
    connectorDeliverySource: 'release_governance_promotion',
  }),
  inventoryFreshnessEvidence({ ...release, alertLevel: 'critical', criticalCount: 2, breachedCount: 0 }),
  rolloutVerificationEvidence({
    ...release,
    verificationStatus: 'verified',
    verifiedCount: 42,
    verificationRef: 'ci://verify/1842',
  }),
  artifactIntegrityEvidence({
    ...release,
    artifactDigestAlgorithm: 'sha256',
    artifactDigest: DIGEST,
    integrityStatus: 'verified',
  }),
  promotionAuditExportEvidence({
    ...release,
    auditExportStatus: 'exported',
    auditExportRef: 'audit://exports/77',
    auditExportRecordCount: 120,
  }),
  rollbackAuditExportEvidence({
    ...release,
    auditExportStatus: 'exported',
    auditExportRef: 'audit://exports/78',
    auditExportRecordCount: 12,
    rollbackRef: 'rollback://stable/41',
    rollbackTargetVersion: 'v1.3.2',
  }),
];

export const RELEASE_PROMOTION = EVIDENCE.map((evidence) => ({
  session_id: 'demo-release-v1.4.0',
  agent_id: 'release-agent',
  actor: 'release.manager@example.com',
  action_type: 'release_governance_record',
  target: evidence.metadata_kind,
  requested_operation: 'promote',
  policy_pack: 'cavra-ai-agent-baseline',
  release_governance: evidence,
}));

/** A successful rollback drill three days ago: promotions are gated on one within 30 days. */
export function recentDrill(now = new Date()) {
  return {
    environment: 'stable',
    actor: 'sre@example.com',
    completedAt: new Date(now.getTime() - 3 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    from: 'v1.4.0-rc.2',
    to: 'v1.3.2',
    outcome: 'succeeded',
    evidenceRefs: ['drill://stable/9'],
  };
}

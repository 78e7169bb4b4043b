import type { Decision, ReleaseGovernanceKind, ReleaseGovernanceRecord, Severity } from '@cavra/contracts';

/** What one rule concluded about a release-governance record. */
export interface ReleaseFinding {
  readonly decision: Decision;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly reason: string;
}

const finding = (decision: Decision, rule: string, severity: Severity, reason: string): ReleaseFinding => ({
  decision,
  ruleId: `release-governance.${rule}`,
  severity,
  reason,
});

// Reasons are read by people in decision tables and evidence logs: `1 check`, `2 checks`.
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

type KindRule = (record: ReleaseGovernanceRecord) => ReleaseFinding;

/**
 * The rules, per kind, first match wins (the README's table lists them in this order). Conditions only read
 * typed fields, so a decision never depends on free text.
 */
export const RELEASE_GOVERNANCE_RULES: Readonly<Record<ReleaseGovernanceKind, KindRule>> = {
  'release-approval': (r) => {
    if (r.approvalState === 'rejected')
      return finding('block', 'approval.rejected', 'high', 'the release approval was rejected');
    if (r.approvalState === 'approved' && r.approvalId !== '') {
      return finding('allow', 'approval.approved', 'info', `release approved (${r.approvalId})`);
    }
    if (r.approvalState === 'approved') {
      return finding(
        'require_approval',
        'approval.missing-id',
        'medium',
        'approved without an approval id to trace',
      );
    }
    return finding(
      'require_approval',
      'approval.pending',
      'medium',
      'the release approval is not granted yet',
    );
  },
  'release-connector-delivery': (r) => {
    const failures = Math.max(
      r.failedDeliveryCount,
      r.connectorDeliveryFailureCount,
      r.failedProviders.length,
    );
    if (failures > 0) {
      const providers = r.failedProviders.length > 0 ? ` (${r.failedProviders.join(', ')})` : '';
      return finding(
        'block',
        'connector-delivery.failed',
        'high',
        `${count(failures, 'connector delivery', 'connector deliveries')} failed${providers}`,
      );
    }
    if (r.blockedCount > 0) {
      return finding(
        'block',
        'connector-delivery.blocked',
        'high',
        `${count(r.blockedCount, 'connector delivery', 'connector deliveries')} blocked`,
      );
    }
    if (r.handoffStatus === 'failed')
      return finding('block', 'connector-delivery.handoff-failed', 'high', 'the release handoff failed');
    if (!r.deliverySuccess || r.handoffStatus === 'pending') {
      return finding(
        'require_approval',
        'connector-delivery.unconfirmed',
        'medium',
        'connector delivery is not confirmed',
      );
    }
    return finding('allow', 'connector-delivery.delivered', 'info', 'every connector delivery succeeded');
  },
  'release-critical-inventory-freshness': (r) => {
    if (r.blockedCount > 0)
      return finding(
        'block',
        'inventory.blocked',
        'high',
        `${count(r.blockedCount, 'inventory item', 'inventory items')} blocked`,
      );
    if (r.criticalCount > 0 || r.breachedCount > 0 || r.alertLevel === 'critical') {
      return finding(
        'require_approval',
        'inventory.critical',
        'high',
        `critical inventory: ${r.criticalCount} critical, ${r.breachedCount} breached, alert level ${r.alertLevel || 'none'}`,
      );
    }
    if (r.missingTargetCount > 0) {
      return finding(
        'require_approval',
        'inventory.missing-targets',
        'medium',
        `${count(r.missingTargetCount, 'inventory target', 'inventory targets')} missing`,
      );
    }
    if (r.driftStatus === 'drifted' || r.driftedEndpointCount > 0 || r.alertLevel === 'warning') {
      return finding(
        'warn',
        'inventory.drifted',
        'low',
        `inventory drifted: ${count(r.driftedEndpointCount, 'endpoint', 'endpoints')}, drift status ${r.driftStatus || 'unreported'}, alert level ${r.alertLevel || 'none'}`,
      );
    }
    if (r.driftStatus === 'unknown')
      return finding('warn', 'inventory.drift-unknown', 'low', 'inventory drift is unknown');
    return finding('allow', 'inventory.fresh', 'info', 'critical inventory is fresh');
  },
  'release-rollout-evidence-verification': (r) => {
    if (r.verificationStatus === 'failed' || r.verificationFailedCount > 0) {
      return finding(
        'block',
        'rollout-verification.failed',
        'high',
        `rollout evidence verification failed (${count(r.verificationFailedCount, 'check', 'checks')} failed)`,
      );
    }
    if (r.verificationStatus === 'verified' && r.verifiedCount > 0) {
      return finding(
        'allow',
        'rollout-verification.verified',
        'info',
        `${count(r.verifiedCount, 'rollout evidence check', 'rollout evidence checks')} verified`,
      );
    }
    return finding(
      'require_approval',
      'rollout-verification.unverified',
      'medium',
      'rollout evidence is not verified yet',
    );
  },
  'release-rollout-artifact-integrity': (r) => {
    if (r.integrityStatus === 'mismatch' || r.integrityMismatchCount > 0) {
      return finding(
        'block',
        'artifact-integrity.mismatch',
        'critical',
        'the artifact digest does not match the recorded digest',
      );
    }
    if (r.integrityStatus === 'verified' && r.artifactDigest !== '') {
      return finding(
        'allow',
        'artifact-integrity.verified',
        'info',
        `artifact ${r.artifactDigestAlgorithm} digest verified`,
      );
    }
    return finding('block', 'artifact-integrity.missing', 'high', 'no verified artifact digest');
  },
  'release-promotion-audit-export': (r) => {
    if (r.auditExportStatus === 'failed')
      return finding('block', 'promotion-audit-export.failed', 'high', 'the promotion audit export failed');
    if (r.auditExportStatus !== 'exported' || r.auditExportRef === '') {
      return finding(
        'block',
        'promotion-audit-export.missing',
        'high',
        'promotion needs an exported audit trail',
      );
    }
    return finding(
      'allow',
      'promotion-audit-export.exported',
      'info',
      `audit trail exported (${count(r.auditExportRecordCount, 'record', 'records')})`,
    );
  },
  'release-rollback-audit-export': (r) => {
    if (r.auditExportStatus === 'failed')
      return finding('block', 'rollback-audit-export.failed', 'high', 'the rollback audit export failed');
    if (r.auditExportStatus !== 'exported' || r.auditExportRef === '') {
      return finding(
        'block',
        'rollback-audit-export.missing',
        'high',
        'rollback needs an exported audit trail',
      );
    }
    if (r.rollbackRef === '' || r.rollbackTargetVersion === '') {
      return finding(
        'block',
        'rollback-audit-export.incomplete',
        'high',
        'rollback export names no rollback reference or target version',
      );
    }
    return finding(
      'allow',
      'rollback-audit-export.exported',
      'info',
      `rollback to ${r.rollbackTargetVersion} exported`,
    );
  },
};

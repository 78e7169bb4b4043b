import type { ReleaseGovernanceKind, ReleaseGovernanceRecord } from '@cavra/contracts';

// The fields that mean something for each kind; the rest of the record is proto3 defaults.
const KIND_FIELDS: Readonly<Record<ReleaseGovernanceKind, readonly (keyof ReleaseGovernanceRecord)[]>> = {
  'release-approval': ['approvalState', 'approvalId', 'approvalRequiredCount'],
  'release-connector-delivery': [
    'deliverySuccess',
    'failedProviders',
    'failedDeliveryCount',
    'connectorDeliveryFailureCount',
    'blockedCount',
    'handoffStatus',
    'connectorDeliverySource',
  ],
  'release-critical-inventory-freshness': [
    'alertLevel',
    'driftStatus',
    'criticalCount',
    'breachedCount',
    'blockedCount',
    'driftedEndpointCount',
    'missingTargetCount',
  ],
  'release-rollout-evidence-verification': [
    'verificationStatus',
    'verifiedCount',
    'verificationFailedCount',
    'verificationRef',
  ],
  'release-rollout-artifact-integrity': [
    'artifactDigestAlgorithm',
    'artifactDigest',
    'integrityStatus',
    'integrityMismatchCount',
  ],
  'release-promotion-audit-export': ['auditExportStatus', 'auditExportRef', 'auditExportRecordCount'],
  'release-rollback-audit-export': [
    'auditExportStatus',
    'auditExportRef',
    'auditExportRecordCount',
    'rollbackRef',
    'rollbackTargetVersion',
  ],
};

/**
 * The record that goes into evidence: kind, release, references and the typed fields of that kind only.
 * It is built from the already public-safe ReleaseGovernanceRecord (identifiers and references shape-checked,
 * lists bounded), so it carries no free text.
 */
export function publicReleaseRecord(record: ReleaseGovernanceRecord): Readonly<Record<string, unknown>> {
  const out: Record<string, unknown> = {
    metadataKind: record.metadataKind,
    releaseChannel: record.releaseChannel,
    releaseVersion: record.releaseVersion,
  };
  for (const field of KIND_FIELDS[record.metadataKind]) out[field] = record[field];
  out.evidenceRefs = [...record.evidenceRefs];
  return Object.freeze(out);
}

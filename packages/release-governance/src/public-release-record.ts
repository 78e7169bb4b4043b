import {
  fromReleaseGovernanceRecord,
  type ReleaseGovernanceKind,
  type ReleaseGovernanceRecord,
  toReleaseGovernanceRecord,
} from '@cavra/contracts';

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
 * The record that goes into evidence: kind, release, references and the typed fields of that kind only, so it
 * carries no free text. The record is checked against the contract again (identifiers and references
 * shape-checked, statuses in their closed sets, lists of at most 64 items, strings bounded), so the guarantee
 * holds for a record built by hand too; a record that fails throws ContractValidationError naming each field.
 */
export function publicReleaseRecord(record: ReleaseGovernanceRecord): Readonly<Record<string, unknown>> {
  const checked = toReleaseGovernanceRecord(fromReleaseGovernanceRecord(record));
  const out: Record<string, unknown> = {
    metadataKind: checked.metadataKind,
    releaseChannel: checked.releaseChannel,
    releaseVersion: checked.releaseVersion,
  };
  for (const field of KIND_FIELDS[checked.metadataKind]) out[field] = checked[field];
  out.evidenceRefs = [...checked.evidenceRefs];
  return Object.freeze(out);
}

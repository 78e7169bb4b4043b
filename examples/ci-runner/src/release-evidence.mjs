import {
  approvalEvidence,
  artifactIntegrityEvidence,
  connectorDeliveryEvidence,
  inventoryFreshnessEvidence,
  promotionAuditExportEvidence,
  rollbackAuditExportEvidence,
  rolloutVerificationEvidence,
} from '@cavra/release-governance';

/**
 * Turns a release descriptor (see release.json: what your release tooling knows) into the seven typed
 * release-governance records. The builders validate every field, so a bad descriptor fails here, with field names.
 */
export function releaseEvidence(release) {
  const base = { releaseChannel: release.channel, releaseVersion: release.version };
  return [
    approvalEvidence({
      ...base,
      approvalState: release.approval.state,
      approvalId: release.approval.id,
      approvalRequiredCount: release.approval.requiredCount,
    }),
    connectorDeliveryEvidence({
      ...base,
      deliverySuccess: release.delivery.success,
      failedProviders: release.delivery.failedProviders,
      failedDeliveryCount: release.delivery.failedProviders.length,
      connectorDeliverySource: release.delivery.source,
    }),
    inventoryFreshnessEvidence({
      ...base,
      alertLevel: release.inventory.alertLevel,
      driftStatus: release.inventory.driftStatus,
      driftedEndpointCount: release.inventory.driftedEndpointCount,
    }),
    rolloutVerificationEvidence({
      ...base,
      verificationStatus: release.rolloutVerification.status,
      verifiedCount: release.rolloutVerification.verifiedCount,
      verificationRef: release.rolloutVerification.ref,
    }),
    artifactIntegrityEvidence({
      ...base,
      artifactDigestAlgorithm: release.artifact.algorithm,
      artifactDigest: release.artifact.digest,
      integrityStatus: release.artifact.status,
    }),
    promotionAuditExportEvidence({
      ...base,
      auditExportStatus: release.promotionAuditExport.status,
      auditExportRef: release.promotionAuditExport.ref,
      auditExportRecordCount: release.promotionAuditExport.recordCount,
    }),
    rollbackAuditExportEvidence({
      ...base,
      auditExportStatus: release.rollbackAuditExport.status,
      auditExportRef: release.rollbackAuditExport.ref,
      auditExportRecordCount: release.rollbackAuditExport.recordCount,
      rollbackRef: release.rollbackAuditExport.rollbackRef,
      rollbackTargetVersion: release.rollbackAuditExport.targetVersion,
    }),
  ];
}

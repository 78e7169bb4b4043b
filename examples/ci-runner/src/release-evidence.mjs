import {
  approvalEvidence,
  artifactIntegrityEvidence,
  connectorDeliveryEvidence,
  inventoryFreshnessEvidence,
  promotionAuditExportEvidence,
  rollbackAuditExportEvidence,
  rolloutVerificationEvidence,
} from '@cavra/release-governance';

/** A release descriptor that cannot become evidence: every problem, by descriptor section and contract field. */
export class ReleaseDescriptorError extends Error {
  constructor(problems) {
    super(`release descriptor is invalid: ${problems.join('; ')}`);
    this.name = 'ReleaseDescriptorError';
    this.problems = problems;
  }
}

// Descriptor section -> the builder and how its fields map onto the builder's.
const SECTIONS = [
  [
    'approval',
    approvalEvidence,
    (s) => ({ approvalState: s.state, approvalId: s.id, approvalRequiredCount: s.requiredCount }),
  ],
  [
    'delivery',
    connectorDeliveryEvidence,
    (s) => ({
      deliverySuccess: s.success,
      failedProviders: s.failedProviders,
      failedDeliveryCount: Array.isArray(s.failedProviders) ? s.failedProviders.length : undefined,
      connectorDeliverySource: s.source,
    }),
  ],
  [
    'inventory',
    inventoryFreshnessEvidence,
    (s) => ({
      alertLevel: s.alertLevel,
      driftStatus: s.driftStatus,
      driftedEndpointCount: s.driftedEndpointCount,
      criticalCount: s.criticalCount,
      breachedCount: s.breachedCount,
    }),
  ],
  [
    'rolloutVerification',
    rolloutVerificationEvidence,
    (s) => ({ verificationStatus: s.status, verifiedCount: s.verifiedCount, verificationRef: s.ref }),
  ],
  [
    'artifact',
    artifactIntegrityEvidence,
    (s) => ({ artifactDigestAlgorithm: s.algorithm, artifactDigest: s.digest, integrityStatus: s.status }),
  ],
  [
    'promotionAuditExport',
    promotionAuditExportEvidence,
    (s) => ({
      auditExportStatus: s.status,
      auditExportRef: s.ref,
      auditExportRecordCount: s.recordCount,
      rollbackReferenceCount: s.rollbackReferences,
    }),
  ],
  [
    'rollbackAuditExport',
    rollbackAuditExportEvidence,
    (s) => ({
      auditExportStatus: s.status,
      auditExportRef: s.ref,
      auditExportRecordCount: s.recordCount,
      rollbackRef: s.rollbackRef,
      rollbackTargetVersion: s.targetVersion,
    }),
  ],
];

// The release itself is checked once, not once per section.
const RELEASE_FIELDS = { release_channel: 'channel', release_version: 'version' };

/**
 * Turns a release descriptor (see release.json: what your release tooling knows) into the seven typed
 * release-governance records. The builders validate every field; a bad descriptor throws ReleaseDescriptorError
 * naming each problem, e.g. `approval: approval_state: is required: one of approved, pending, denied, ...`.
 */
export function releaseEvidence(release) {
  if (typeof release !== 'object' || release === null || Array.isArray(release)) {
    throw new ReleaseDescriptorError(['must be a JSON object']);
  }
  const problems = new Set();
  const evidence = [];
  for (const [section, build, fields] of SECTIONS) {
    const value = release[section];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.add(`${section}: must be an object`);
      continue;
    }
    try {
      evidence.push(
        build({
          releaseChannel: release.channel,
          releaseVersion: release.version,
          ...fields(value),
        }),
      );
    } catch (error) {
      if (!Array.isArray(error.issues)) throw error;
      for (const { path, message } of error.issues) {
        problems.add(
          RELEASE_FIELDS[path] ? `${RELEASE_FIELDS[path]}: ${message}` : `${section}: ${path}: ${message}`,
        );
      }
    }
  }
  if (problems.size > 0) throw new ReleaseDescriptorError([...problems]);
  return evidence;
}

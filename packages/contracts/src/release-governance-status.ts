/** Closed value sets of the release-governance status fields; the empty string means "not reported". */
export const RELEASE_GOVERNANCE_STATUS_VALUES = {
  approval_state: ['approved', 'pending', 'rejected'],
  alert_level: ['none', 'info', 'warning', 'critical'],
  drift_status: ['in_sync', 'drifted', 'unknown'],
  handoff_status: ['complete', 'pending', 'failed'],
  verification_status: ['verified', 'failed', 'pending'],
  artifact_digest_algorithm: ['sha256', 'sha512'],
  integrity_status: ['verified', 'mismatch', 'missing'],
  audit_export_status: ['exported', 'missing', 'failed'],
} as const;

type StatusValues = typeof RELEASE_GOVERNANCE_STATUS_VALUES;
export type ReleaseGovernanceStatusField = keyof StatusValues;
export type ApprovalState = StatusValues['approval_state'][number];
export type AlertLevel = StatusValues['alert_level'][number];
export type DriftStatus = StatusValues['drift_status'][number];
export type HandoffStatus = StatusValues['handoff_status'][number];
export type VerificationStatus = StatusValues['verification_status'][number];
export type DigestAlgorithm = StatusValues['artifact_digest_algorithm'][number];
export type IntegrityStatus = StatusValues['integrity_status'][number];
export type AuditExportStatus = StatusValues['audit_export_status'][number];

/** Hex length of a digest per algorithm. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

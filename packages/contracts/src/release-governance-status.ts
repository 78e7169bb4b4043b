/**
 * Closed value sets of the release-governance status fields, as read after normalizeStatus: our values and every
 * value upstream CAVRA gives a meaning to. The empty string means "not reported". `approval_state` is open (see
 * APPROVAL_STATES).
 */
export const RELEASE_GOVERNANCE_STATUS_VALUES = {
  alert_level: ['none', 'info', 'warning', 'critical', 'blocked', 'breached'],
  drift_status: ['in_sync', 'drifted', 'non_compliant', 'unknown'],
  handoff_status: ['complete', 'pending', 'failed', 'blocked'],
  verification_status: ['verified', 'failed', 'pending', 'blocked', 'mismatch'],
  artifact_digest_algorithm: ['sha256', 'sha512'],
  integrity_status: ['verified', 'mismatch', 'missing', 'failed', 'tampered'],
  audit_export_status: ['exported', 'missing', 'failed', 'blocked'],
} as const;

/**
 * The approval states with a meaning of their own. Any other plain identifier is accepted too: like upstream, the
 * rules read it as an unknown state that needs review.
 */
export const APPROVAL_STATES = [
  'approved',
  'pending',
  'denied',
  'rejected',
  'expired',
  'cancelled',
  'canceled',
] as const;

type StatusValues = typeof RELEASE_GOVERNANCE_STATUS_VALUES;
export type ReleaseGovernanceStatusField = keyof StatusValues;
export type ApprovalState = (typeof APPROVAL_STATES)[number];
export type AlertLevel = StatusValues['alert_level'][number];
export type DriftStatus = StatusValues['drift_status'][number];
export type HandoffStatus = StatusValues['handoff_status'][number];
export type VerificationStatus = StatusValues['verification_status'][number];
export type DigestAlgorithm = StatusValues['artifact_digest_algorithm'][number];
export type IntegrityStatus = StatusValues['integrity_status'][number];
export type AuditExportStatus = StatusValues['audit_export_status'][number];

/** Hex length of a digest per algorithm. */
export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { sha256: 64, sha512: 128 };

/**
 * How a status value is compared, as upstream does: trimmed, lower-cased, `-` read as `_` (`In-Sync` is
 * `in_sync`).
 */
export function normalizeStatus(value: string): string {
  return value.trim().toLowerCase().replaceAll('-', '_');
}

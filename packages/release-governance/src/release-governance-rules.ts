import {
  type Decision,
  isReleaseGovernanceKind,
  RELEASE_GOVERNANCE_DEFAULT_KIND,
  type ReleaseGovernanceRecord,
  type Severity,
} from '@cavra/contracts';
import {
  APPROVAL_REQUIRED_KINDS,
  AUDIT_EXPORT_KINDS,
  DELIVERY_KINDS,
  EXECUTION_KINDS,
} from './release-governance-kinds.js';

/** What the rules concluded about a release-governance record. */
export interface ReleaseFinding {
  readonly decision: Decision;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly reason: string;
}

const finding = (decision: Decision, rule: string, severity: Severity, reason: string): ReleaseFinding => ({
  decision,
  ruleId: `release_governance.${rule}`,
  severity,
  reason,
});

// Reasons are read by people in decision tables and evidence logs: `1 target`, `2 targets`.
const count = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
const shown = (value: string) => value || 'unreported';

/** The kind a record is decided as: its metadata_kind, else the request's target, else a fixed name. */
export function decidedKind(record: ReleaseGovernanceRecord | undefined, target: string): string {
  return record?.metadataKind || target || RELEASE_GOVERNANCE_DEFAULT_KIND;
}

// Fields only we have. Upstream's daemon reads evidence through its typed message, which has none of them, so
// evidence that reports nothing else is no evidence there; here too, never an allow upstream would not give.
const OUR_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'verifiedCount',
  'verificationRef',
  'artifactDigestAlgorithm',
  'artifactDigest',
  'auditExportRef',
  'auditExportRecordCount',
  'rollbackRef',
  'rollbackTargetVersion',
]);

/**
 * True when there is no evidence to read: no record, or one whose every field upstream knows is unreported (proto3
 * default).
 */
export function isMissingRecord(record: ReleaseGovernanceRecord | undefined): boolean {
  if (!record) return true;
  return Object.entries(record).every(
    ([field, value]) =>
      OUR_ONLY_FIELDS.has(field) ||
      value === '' ||
      value === 0 ||
      value === false ||
      (Array.isArray(value) && value.length === 0),
  );
}

const DENIED_STATES = new Set(['denied', 'rejected', 'expired', 'cancelled', 'canceled']);

// Status values and counts that upstream CAVRA reads as critical signals, by field (values are normalised).
const CRITICAL_VALUES: ReadonlyArray<readonly [keyof ReleaseGovernanceRecord, string, readonly string[]]> = [
  ['alertLevel', 'alert_level', ['critical', 'blocked', 'breached']],
  ['driftStatus', 'drift_status', ['drifted', 'non_compliant']],
  ['handoffStatus', 'handoff_status', ['blocked', 'failed']],
  ['verificationStatus', 'verification_status', ['failed', 'blocked', 'mismatch']],
  ['integrityStatus', 'integrity_status', ['failed', 'mismatch', 'tampered']],
  ['auditExportStatus', 'audit_export_status', ['failed', 'blocked']],
];
const CRITICAL_COUNTS: ReadonlyArray<readonly [keyof ReleaseGovernanceRecord, string]> = [
  ['blockedCount', 'blocked_count'],
  ['criticalCount', 'critical_count'],
  ['breachedCount', 'breached_count'],
  ['failedDeliveryCount', 'failed_delivery_count'],
  ['connectorDeliveryFailureCount', 'connector_delivery_failure_count'],
  ['failedVerificationCount', 'failed_verification_count'],
  ['integrityFailureCount', 'integrity_failure_count'],
];

function criticalSignals(record: ReleaseGovernanceRecord): string[] {
  const signals: string[] = [];
  for (const [field, name, critical] of CRITICAL_VALUES) {
    const value = record[field] as string;
    if (critical.includes(value)) signals.push(`${name} ${value}`);
  }
  for (const [field, name] of CRITICAL_COUNTS) {
    const value = record[field] as number;
    if (value > 0) signals.push(`${name} ${value}`);
  }
  return signals;
}

const failedDelivery = (kind: string, record: ReleaseGovernanceRecord) =>
  finding(
    'block',
    'delivery.failed',
    'high',
    `${kind} reports a failed delivery${record.failedProviders.length > 0 ? ` (${record.failedProviders.join(', ')})` : ''}`,
  );

/**
 * Upstream CAVRA's cascade, one for every kind: the approval state first, then a failed delivery (delivery kinds),
 * then critical signals, then kinds that need an approval (execution kinds are blocked), then known kinds and
 * unknown kinds. `target` is the request's target, which names the kind when the record does not.
 */
export function cascadeFinding(record: ReleaseGovernanceRecord | undefined, target: string): ReleaseFinding {
  if (!record || isMissingRecord(record)) {
    return finding(
      'require_approval',
      'record.missing',
      'medium',
      'release_governance_record request carries no release_governance evidence',
    );
  }
  const kind = decidedKind(record, target);
  const state = record.approvalState;
  const needsApproval = record.approvalRequiredCount > 0 || state !== '' || APPROVAL_REQUIRED_KINDS.has(kind);
  if (state === 'approved') {
    return record.approvalId === ''
      ? finding('block', 'approval.missing', 'critical', `${kind} is not backed by an approval with an id`)
      : finding('allow', 'approval.approved', 'low', `${kind} is approved (${record.approvalId})`);
  }
  if (state === 'pending') {
    return finding('require_approval', 'approval.pending', 'high', `${kind} is waiting for approval`);
  }
  if (DENIED_STATES.has(state)) {
    return finding('block', 'approval.denied', 'critical', `${kind} approval is ${state}`);
  }
  if (state !== '') {
    return finding(
      'require_approval',
      'approval.unknown',
      'medium',
      `${kind} has approval state ${state}, which has no meaning here`,
    );
  }
  // Upstream reads the delivery from metadata_kind alone, not from a kind the target names.
  if (DELIVERY_KINDS.has(record.metadataKind) && !record.deliverySuccess) {
    return failedDelivery(kind, record);
  }
  const signals = criticalSignals(record);
  if (signals.length > 0) {
    return finding(
      'require_approval',
      'signal.critical',
      'high',
      `${kind} reports critical signals: ${signals.join(', ')}`,
    );
  }
  if (needsApproval) {
    return EXECUTION_KINDS.has(kind)
      ? finding('block', 'approval.missing', 'critical', `${kind} is not backed by an approval with an id`)
      : finding(
          'require_approval',
          'approval.required',
          'high',
          `${kind} needs an approval before it proceeds`,
        );
  }
  return isReleaseGovernanceKind(kind)
    ? finding('allow', 'record.verified', 'low', `${kind} is known evidence with no blocking signal`)
    : finding(
        'allow',
        'approval.not_required',
        'low',
        `${kind} is not a kind that needs approval and reports no blocking signal`,
      );
}

/** A check of ours that upstream does not make; it can only make a decision stricter. */
type StricterCheck = (record: ReleaseGovernanceRecord, kind: string) => ReleaseFinding | undefined;

/**
 * Our checks beyond upstream's cascade, in the order the README's differences table lists them. Each reads typed
 * fields only, so a decision never depends on free text.
 */
const STRICTER_CHECKS: readonly StricterCheck[] = [
  // A delivery that names failures failed, whatever delivery_success or an approval says.
  (r, kind) =>
    DELIVERY_KINDS.has(kind) &&
    (r.failedProviders.length > 0 || r.failedDeliveryCount > 0 || r.connectorDeliveryFailureCount > 0)
      ? failedDelivery(kind, r)
      : undefined,
  // Verified means at least one verified check and no failed one.
  (r, kind) =>
    kind === 'rollout-evidence-verification' &&
    !(r.verificationStatus === 'verified' && r.verifiedCount > 0 && r.failedVerificationCount === 0)
      ? finding(
          'require_approval',
          'verification.unconfirmed',
          'medium',
          `rollout evidence is not verified: verification_status ${shown(r.verificationStatus)}, ${r.verifiedCount} verified, ${r.failedVerificationCount} failed`,
        )
      : undefined,
  // Verified integrity means a digest that was checked.
  (r, kind) =>
    kind === 'rollout-artifact-integrity' &&
    !(r.integrityStatus === 'verified' && r.artifactDigest !== '' && r.integrityFailureCount === 0)
      ? finding(
          'require_approval',
          'integrity.unconfirmed',
          'medium',
          `no verified artifact digest (integrity_status ${shown(r.integrityStatus)})`,
        )
      : undefined,
  (r, kind) =>
    AUDIT_EXPORT_KINDS.has(kind) && r.auditExportStatus !== 'exported'
      ? finding(
          'require_approval',
          'audit_export.unconfirmed',
          'medium',
          `the audit export is not confirmed (audit_export_status ${shown(r.auditExportStatus)})`,
        )
      : undefined,
  (r, kind) =>
    kind === 'rollout-rollback-audit-export' && r.rollbackRef === '' && r.rollbackReferenceCount === 0
      ? finding(
          'require_approval',
          'rollback.unreferenced',
          'medium',
          'the rollback audit export names no rollback reference',
        )
      : undefined,
  // Counts upstream does not read: a missing target or a drifted endpoint is not a clean inventory.
  (r) =>
    r.missingTargetCount > 0 || r.driftedEndpointCount > 0
      ? finding(
          'require_approval',
          'inventory.incomplete',
          'medium',
          `inventory counts ${count(r.missingTargetCount, 'missing target', 'missing targets')} and ${count(r.driftedEndpointCount, 'drifted endpoint', 'drifted endpoints')}`,
        )
      : undefined,
];

const STRICTNESS: Readonly<Record<Decision, number>> = {
  allow: 0,
  audit_only: 1,
  allow_with_attestation: 2,
  warn: 3,
  require_approval: 4,
  block: 5,
};

/** The stricter of two findings; on a tie, the first. */
export function stricterFinding(first: ReleaseFinding, second: ReleaseFinding | undefined): ReleaseFinding {
  return second && STRICTNESS[second.decision] > STRICTNESS[first.decision] ? second : first;
}

/**
 * Decides a record: upstream's cascade, then each of STRICTER_CHECKS, keeping the strictest finding (the cascade's
 * on a tie). Without the rollback drill gate, which needs a drill history and a clock (see the evaluator).
 */
export function decideReleaseGovernance(
  record: ReleaseGovernanceRecord | undefined,
  target: string,
): ReleaseFinding {
  const base = cascadeFinding(record, target);
  if (!record || isMissingRecord(record)) return base;
  const kind = decidedKind(record, target);
  return STRICTER_CHECKS.reduce((current, check) => stricterFinding(current, check(record, kind)), base);
}

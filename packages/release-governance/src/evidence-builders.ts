import {
  type AlertLevel,
  type ApprovalState,
  type AuditExportStatus,
  type ContractIssue,
  ContractValidationError,
  type DigestAlgorithm,
  type DriftStatus,
  fromReleaseGovernanceRecord,
  type HandoffStatus,
  type IntegrityStatus,
  RELEASE_GOVERNANCE_STATUS_VALUES,
  type ReleaseGovernanceEvidence,
  type ReleaseGovernanceKind,
  type ReleaseGovernanceRecord,
  type ReleaseGovernanceStatusField,
  toReleaseGovernanceRecord,
  type VerificationStatus,
} from '@cavra/contracts';

/** Fields every kind carries: which release, and references to the evidence behind it. */
export interface ReleaseIdentity {
  readonly releaseChannel: string;
  readonly releaseVersion: string;
  readonly evidenceRefs?: readonly string[];
}

export interface ApprovalInput extends ReleaseIdentity {
  readonly approvalState: ApprovalState;
  readonly approvalId?: string;
  readonly approvalRequiredCount?: number;
}

export interface ConnectorDeliveryInput extends ReleaseIdentity {
  readonly deliverySuccess: boolean;
  readonly failedProviders?: readonly string[];
  readonly failedDeliveryCount?: number;
  readonly connectorDeliveryFailureCount?: number;
  readonly blockedCount?: number;
  readonly handoffStatus?: HandoffStatus;
  readonly connectorDeliverySource?: string;
}

export interface InventoryFreshnessInput extends ReleaseIdentity {
  readonly alertLevel: AlertLevel;
  readonly driftStatus?: DriftStatus;
  readonly criticalCount?: number;
  readonly breachedCount?: number;
  readonly blockedCount?: number;
  readonly driftedEndpointCount?: number;
  readonly missingTargetCount?: number;
}

export interface RolloutVerificationInput extends ReleaseIdentity {
  readonly verificationStatus: VerificationStatus;
  readonly verifiedCount?: number;
  readonly verificationFailedCount?: number;
  readonly verificationRef?: string;
}

export interface ArtifactIntegrityInput extends ReleaseIdentity {
  readonly artifactDigestAlgorithm: DigestAlgorithm;
  readonly artifactDigest: string;
  readonly integrityStatus: IntegrityStatus;
  readonly integrityMismatchCount?: number;
}

export interface AuditExportInput extends ReleaseIdentity {
  readonly auditExportStatus: AuditExportStatus;
  readonly auditExportRef?: string;
  readonly auditExportRecordCount?: number;
}

export interface RollbackAuditExportInput extends AuditExportInput {
  readonly rollbackRef?: string;
  readonly rollbackTargetVersion?: string;
}

// The fields each builder needs, by kind, beyond the release itself. TypeScript callers cannot omit them; this is
// for JavaScript callers and parsed input, where a missing status would otherwise read as "not reported".
const REQUIRED: Readonly<Record<ReleaseGovernanceKind, readonly string[]>> = {
  'release-approval': ['approvalState'],
  'release-connector-delivery': ['deliverySuccess'],
  'release-critical-inventory-freshness': ['alertLevel'],
  'release-rollout-evidence-verification': ['verificationStatus'],
  'release-rollout-artifact-integrity': ['artifactDigestAlgorithm', 'artifactDigest', 'integrityStatus'],
  'release-promotion-audit-export': ['auditExportStatus'],
  'release-rollback-audit-export': ['auditExportStatus'],
};

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function missingFields(kind: ReleaseGovernanceKind, input: Record<string, unknown>): ContractIssue[] {
  const issues: ContractIssue[] = [];
  for (const name of ['releaseChannel', 'releaseVersion', ...REQUIRED[kind]]) {
    const field = snakeCase(name);
    const allowed = RELEASE_GOVERNANCE_STATUS_VALUES[field as ReleaseGovernanceStatusField];
    const value = input[name];
    // An empty digest is a real value (nothing to verify); an empty status or release is not.
    if (value === undefined || value === null || (value === '' && name !== 'artifactDigest')) {
      const expected = allowed
        ? `: one of ${allowed.join(', ')}`
        : name === 'deliverySuccess'
          ? ': true or false'
          : '';
      issues.push({ path: field, code: 'wrong_type', message: `is required${expected}` });
    }
  }
  return issues;
}

/**
 * Builds the contract message through the contract's own validation (strict: an unknown field is an error),
 * so a builder can never produce evidence the daemon would refuse. Throws ContractValidationError naming every
 * field: missing required ones first, then those the contract refuses.
 */
function build(kind: ReleaseGovernanceKind, input: object): ReleaseGovernanceEvidence {
  const { evidenceRefs, ...fields } = input as ReleaseIdentity & Record<string, unknown>;
  const missing = missingFields(kind, fields);
  let record: ReleaseGovernanceRecord;
  try {
    record = toReleaseGovernanceRecord(
      { metadataKind: kind, ...fields, evidenceRefs: [...(evidenceRefs ?? [])] },
      { strict: true },
    );
  } catch (error) {
    if (error instanceof ContractValidationError && missing.length > 0) {
      throw new ContractValidationError('ReleaseGovernanceEvidence', [...missing, ...error.issues]);
    }
    throw error;
  }
  if (missing.length > 0) throw new ContractValidationError('ReleaseGovernanceEvidence', missing);
  return fromReleaseGovernanceRecord(record);
}

/** `release-approval`: the release's approval state. */
export function approvalEvidence(input: ApprovalInput): ReleaseGovernanceEvidence {
  return build('release-approval', input);
}

/** `release-connector-delivery`: whether release notifications reached every connector (a failed delivery too). */
export function connectorDeliveryEvidence(input: ConnectorDeliveryInput): ReleaseGovernanceEvidence {
  return build('release-connector-delivery', input);
}

/** `release-critical-inventory-freshness`: how fresh and healthy the critical inventory is. */
export function inventoryFreshnessEvidence(input: InventoryFreshnessInput): ReleaseGovernanceEvidence {
  return build('release-critical-inventory-freshness', input);
}

/** `release-rollout-evidence-verification`: whether the rollout's evidence was verified. */
export function rolloutVerificationEvidence(input: RolloutVerificationInput): ReleaseGovernanceEvidence {
  return build('release-rollout-evidence-verification', input);
}

/** `release-rollout-artifact-integrity`: whether the deployed artifact matches its recorded digest. */
export function artifactIntegrityEvidence(input: ArtifactIntegrityInput): ReleaseGovernanceEvidence {
  return build('release-rollout-artifact-integrity', input);
}

/** `release-promotion-audit-export`: the audit export that must exist before a promotion. */
export function promotionAuditExportEvidence(input: AuditExportInput): ReleaseGovernanceEvidence {
  return build('release-promotion-audit-export', input);
}

/** `release-rollback-audit-export`: the audit export of a rollback, with its reference and target version. */
export function rollbackAuditExportEvidence(input: RollbackAuditExportInput): ReleaseGovernanceEvidence {
  return build('release-rollback-audit-export', input);
}

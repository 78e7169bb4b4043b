import {
  type AlertLevel,
  APPROVAL_STATES,
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
  type ReleaseGovernanceRecord,
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
  readonly failedVerificationCount?: number;
  readonly verificationRef?: string;
}

export interface ArtifactIntegrityInput extends ReleaseIdentity {
  readonly artifactDigestAlgorithm: DigestAlgorithm;
  readonly artifactDigest: string;
  readonly integrityStatus: IntegrityStatus;
  readonly integrityFailureCount?: number;
}

export interface AuditExportInput extends ReleaseIdentity {
  readonly auditExportStatus: AuditExportStatus;
  readonly auditExportRef?: string;
  readonly auditExportRecordCount?: number;
  readonly rollbackReferenceCount?: number;
}

export interface RollbackAuditExportInput extends AuditExportInput {
  readonly rollbackRef?: string;
  readonly rollbackTargetVersion?: string;
}

// The fields each builder needs, by kind, beyond the release itself. TypeScript callers cannot omit them; this is
// for JavaScript callers and parsed input, where a missing status would otherwise read as "not reported".
const REQUIRED = {
  'release-channel-promotion-request': ['approvalState'],
  'release-connector-delivery': ['deliverySuccess'],
  'endpoint-inventory-freshness-report': ['alertLevel'],
  'rollout-evidence-verification': ['verificationStatus'],
  'rollout-artifact-integrity': ['artifactDigestAlgorithm', 'artifactDigest', 'integrityStatus'],
  'rollout-promotion-audit-export': ['auditExportStatus'],
  'rollout-rollback-audit-export': ['auditExportStatus'],
} as const;

type BuiltKind = keyof typeof REQUIRED;
// The builders' closed sets, for the `is required: one of ...` message; approval states are open on the wire.
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  ...RELEASE_GOVERNANCE_STATUS_VALUES,
  approval_state: APPROVAL_STATES,
};

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function missingFields(kind: BuiltKind, input: Record<string, unknown>): ContractIssue[] {
  const issues: ContractIssue[] = [];
  for (const name of ['releaseChannel', 'releaseVersion', ...REQUIRED[kind]]) {
    const field = snakeCase(name);
    const allowed = ALLOWED[field];
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
// The wire takes any approval state (upstream decides one without a meaning as unknown); ours only produce
// the states that mean something.
function unknownApprovalState(input: Record<string, unknown>): ContractIssue[] {
  const state = input.approvalState;
  if (typeof state !== 'string' || state === '' || (APPROVAL_STATES as readonly string[]).includes(state)) {
    return [];
  }
  return [
    {
      path: 'approval_state',
      code: 'unsafe_value',
      message: `${JSON.stringify(state)} is not one of ${APPROVAL_STATES.join(', ')}`,
    },
  ];
}

function build(kind: BuiltKind, input: object): ReleaseGovernanceEvidence {
  const { evidenceRefs, ...fields } = input as ReleaseIdentity & Record<string, unknown>;
  const missing = [...missingFields(kind, fields), ...unknownApprovalState(fields)];
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

/** `release-channel-promotion-request`: the request to promote a release channel, with its approval state. */
export function approvalEvidence(input: ApprovalInput): ReleaseGovernanceEvidence {
  return build('release-channel-promotion-request', input);
}

/** `release-connector-delivery`: whether release notifications reached every connector (a failed delivery too). */
export function connectorDeliveryEvidence(input: ConnectorDeliveryInput): ReleaseGovernanceEvidence {
  return build('release-connector-delivery', input);
}

/** `endpoint-inventory-freshness-report`: how fresh and healthy the endpoint inventory is. */
export function inventoryFreshnessEvidence(input: InventoryFreshnessInput): ReleaseGovernanceEvidence {
  return build('endpoint-inventory-freshness-report', input);
}

/** `rollout-evidence-verification`: whether the rollout's evidence was verified. */
export function rolloutVerificationEvidence(input: RolloutVerificationInput): ReleaseGovernanceEvidence {
  return build('rollout-evidence-verification', input);
}

/** `rollout-artifact-integrity`: whether the deployed artifact matches its recorded digest. */
export function artifactIntegrityEvidence(input: ArtifactIntegrityInput): ReleaseGovernanceEvidence {
  return build('rollout-artifact-integrity', input);
}

/** `rollout-promotion-audit-export`: the audit export of a promotion. */
export function promotionAuditExportEvidence(input: AuditExportInput): ReleaseGovernanceEvidence {
  return build('rollout-promotion-audit-export', input);
}

/** `rollout-rollback-audit-export`: the audit export of a rollback, with its reference and target version. */
export function rollbackAuditExportEvidence(input: RollbackAuditExportInput): ReleaseGovernanceEvidence {
  return build('rollout-rollback-audit-export', input);
}

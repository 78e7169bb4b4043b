import { isOneOf } from './closed-set.js';
import { ReleaseGovernanceEvidenceCodec } from './codec.js';
import { type ContractIssue, ContractValidationError } from './contract-issue.js';
import { MESSAGE_FIELDS } from './descriptor.js';
import type { ReleaseGovernanceEvidence } from './messages.js';
import { isSafeIdentifier, isSafeReference } from './public-safe.js';
import {
  isReleaseGovernanceKind,
  RELEASE_GOVERNANCE_KINDS,
  type ReleaseGovernanceKind,
} from './release-governance-kind.js';
import {
  type AlertLevel,
  type ApprovalState,
  type AuditExportStatus,
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  type DriftStatus,
  type HandoffStatus,
  type IntegrityStatus,
  RELEASE_GOVERNANCE_STATUS_VALUES,
  type ReleaseGovernanceStatusField,
  type VerificationStatus,
} from './release-governance-status.js';
import type { ValidateOptions } from './validate.js';

/**
 * The public-safe runtime form of ReleaseGovernanceEvidence: camelCase, statuses narrowed to their
 * closed sets, identifiers and references shape-checked, lists bounded by the contract limits.
 * An unreported status or identifier is the empty string, an unreported count 0, as in proto3.
 */
export interface ReleaseGovernanceRecord {
  readonly metadataKind: ReleaseGovernanceKind;
  readonly releaseChannel: string;
  readonly releaseVersion: string;
  readonly approvalState: ApprovalState | '';
  readonly approvalId: string;
  readonly approvalRequiredCount: number;
  readonly deliverySuccess: boolean;
  readonly failedProviders: readonly string[];
  readonly failedDeliveryCount: number;
  readonly connectorDeliveryFailureCount: number;
  readonly alertLevel: AlertLevel | '';
  readonly driftStatus: DriftStatus | '';
  readonly handoffStatus: HandoffStatus | '';
  readonly blockedCount: number;
  readonly criticalCount: number;
  readonly breachedCount: number;
  readonly driftedEndpointCount: number;
  readonly missingTargetCount: number;
  readonly evidenceRefs: readonly string[];
  readonly connectorDeliverySource: string;
  readonly verificationStatus: VerificationStatus | '';
  readonly verifiedCount: number;
  readonly verificationFailedCount: number;
  readonly verificationRef: string;
  readonly artifactDigestAlgorithm: DigestAlgorithm | '';
  readonly artifactDigest: string;
  readonly integrityStatus: IntegrityStatus | '';
  readonly integrityMismatchCount: number;
  readonly auditExportRef: string;
  readonly auditExportStatus: AuditExportStatus | '';
  readonly auditExportRecordCount: number;
  readonly rollbackRef: string;
  readonly rollbackTargetVersion: string;
}

const IDENTIFIER = {
  test: isSafeIdentifier,
  message: 'is not a plain identifier ([A-Za-z0-9._:/+-], 1-128)',
};
const REFERENCE = {
  test: isSafeReference,
  message: 'is not a safe reference (no user-info, query, fragment or spaces)',
};

// Which shape every free-form string field of the evidence must have; lists are checked item by item.
const SHAPES: ReadonlyArray<readonly [keyof ReleaseGovernanceEvidence & string, typeof IDENTIFIER]> = [
  ['release_channel', IDENTIFIER],
  ['release_version', IDENTIFIER],
  ['approval_id', IDENTIFIER],
  ['failed_providers', IDENTIFIER],
  ['connector_delivery_source', IDENTIFIER],
  ['rollback_target_version', IDENTIFIER],
  ['evidence_refs', REFERENCE],
  ['verification_ref', REFERENCE],
  ['audit_export_ref', REFERENCE],
  ['rollback_ref', REFERENCE],
];

function checkEvidence(evidence: ReleaseGovernanceEvidence, path: string): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (!isReleaseGovernanceKind(evidence.metadata_kind)) {
    issues.push({
      path: at('metadata_kind'),
      code: 'unknown_kind',
      message: `unknown release-governance kind ${JSON.stringify(evidence.metadata_kind)}; expected one of ${RELEASE_GOVERNANCE_KINDS.join(', ')}`,
    });
  }
  for (const [field, allowed] of Object.entries(RELEASE_GOVERNANCE_STATUS_VALUES)) {
    const value = evidence[field as ReleaseGovernanceStatusField];
    if (value !== '' && !isOneOf(allowed, value)) {
      issues.push({
        path: at(field),
        code: 'unsafe_value',
        message: `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
      });
    }
  }
  for (const [field, shape] of SHAPES) {
    const value = evidence[field] as string | string[];
    const items = Array.isArray(value)
      ? value.map((item, index) => [item, `${field}[${index}]`])
      : [[value, field]];
    for (const [item, itemPath] of items as [string, string][]) {
      if ((Array.isArray(value) || item !== '') && !shape.test(item)) {
        issues.push({ path: at(itemPath), code: 'unsafe_value', message: shape.message });
      }
    }
  }
  const algorithm = evidence.artifact_digest_algorithm as DigestAlgorithm | '';
  if (evidence.artifact_digest !== '') {
    const length = algorithm === '' ? undefined : DIGEST_HEX_LENGTH[algorithm];
    if (length === undefined || !new RegExp(`^[0-9a-f]{${length}}$`).test(evidence.artifact_digest)) {
      issues.push({
        path: at('artifact_digest'),
        code: 'unsafe_value',
        message:
          'must be the lower-case hex digest for artifact_digest_algorithm (sha256: 64, sha512: 128 characters)',
      });
    }
  }
  return issues;
}

// The record mirrors the message field for field, under the proto3 lowerCamelCase names.
const FIELDS = MESSAGE_FIELDS.ReleaseGovernanceEvidence;

function toRecord(evidence: ReleaseGovernanceEvidence): ReleaseGovernanceRecord {
  const source = evidence as unknown as Record<string, unknown>;
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = source[field.name];
    record[field.jsonName] = Array.isArray(value) ? Object.freeze([...value]) : value;
  }
  return Object.freeze(record) as unknown as ReleaseGovernanceRecord;
}

/** Converts an already-decoded evidence message; `path` prefixes issue paths. Throws ContractValidationError. */
export function evidenceToRecord(evidence: ReleaseGovernanceEvidence, path = ''): ReleaseGovernanceRecord {
  const issues = checkEvidence(evidence, path);
  if (issues.length > 0) throw new ContractValidationError('ReleaseGovernanceEvidence', issues);
  return toRecord(evidence);
}

/**
 * Converts a release-governance contract payload (JSON object, JSON text or decoded message) into
 * the public-safe runtime record. Throws ContractValidationError naming every offending field.
 */
export function toReleaseGovernanceRecord(
  payload: unknown,
  options?: ValidateOptions,
): ReleaseGovernanceRecord {
  return evidenceToRecord(ReleaseGovernanceEvidenceCodec.fromJSON(payload, options));
}

/** Converts a public-safe record back into the contract message (for sending or re-encoding). */
export function fromReleaseGovernanceRecord(record: ReleaseGovernanceRecord): ReleaseGovernanceEvidence {
  const source = record as unknown as Record<string, unknown>;
  const init: Record<string, unknown> = {};
  for (const field of FIELDS) init[field.name] = source[field.jsonName];
  return ReleaseGovernanceEvidenceCodec.create(init);
}

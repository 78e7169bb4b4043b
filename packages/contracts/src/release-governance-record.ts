import { isOneOf } from './closed-set.js';
import { ReleaseGovernanceEvidenceCodec } from './codec.js';
import { type ContractIssue, ContractValidationError } from './contract-issue.js';
import { MESSAGE_FIELDS } from './descriptor.js';
import type { ReleaseGovernanceEvidence } from './messages.js';
import { isSafeIdentifier, isSafeReference } from './public-safe.js';
import { RENAMED_RELEASE_GOVERNANCE_KINDS } from './release-governance-kind.js';
import {
  type AlertLevel,
  type AuditExportStatus,
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  type DriftStatus,
  type HandoffStatus,
  type IntegrityStatus,
  normalizeStatus,
  RELEASE_GOVERNANCE_STATUS_VALUES,
  type VerificationStatus,
} from './release-governance-status.js';
import type { ValidateOptions } from './validate.js';

/**
 * The public-safe runtime form of ReleaseGovernanceEvidence: camelCase, statuses normalised (trimmed,
 * lower-cased, `-` read as `_`) and narrowed to their closed sets, identifiers and references shape-checked,
 * lists bounded by the contract limits. An unreported status or identifier is the empty string, an unreported
 * count 0, as in proto3. `metadataKind` is any plain identifier (RELEASE_GOVERNANCE_KINDS lists those upstream
 * knows) and `approvalState` any plain identifier (APPROVAL_STATES lists those with a meaning).
 */
export interface ReleaseGovernanceRecord {
  readonly metadataKind: string;
  readonly releaseChannel: string;
  readonly releaseVersion: string;
  readonly approvalState: string;
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
  readonly failedVerificationCount: number;
  readonly verificationRef: string;
  readonly artifactDigestAlgorithm: DigestAlgorithm | '';
  readonly artifactDigest: string;
  readonly integrityStatus: IntegrityStatus | '';
  readonly integrityFailureCount: number;
  readonly auditExportRef: string;
  readonly auditExportStatus: AuditExportStatus | '';
  readonly auditExportRecordCount: number;
  readonly rollbackRef: string;
  readonly rollbackTargetVersion: string;
  readonly rollbackReferenceCount: number;
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
  ['metadata_kind', IDENTIFIER],
  ['approval_state', IDENTIFIER],
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

// The record mirrors the message field for field, under the proto3 lowerCamelCase names.
const FIELDS = MESSAGE_FIELDS.ReleaseGovernanceEvidence;

const COMPARED_STATUSES = new Set(['approval_state', ...Object.keys(RELEASE_GOVERNANCE_STATUS_VALUES)]);

// The evidence as compared: status values normalised (approval_state too, whose values are open). A decoded
// message keeps its proto3 defaults on the prototype, so every field is read by name.
function normalized(evidence: ReleaseGovernanceEvidence): ReleaseGovernanceEvidence {
  const source = evidence as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const { name } of FIELDS) {
    out[name] = COMPARED_STATUSES.has(name) ? normalizeStatus(source[name] as string) : source[name];
  }
  return out as unknown as ReleaseGovernanceEvidence;
}

function checkEvidence(evidence: ReleaseGovernanceEvidence, path: string): ContractIssue[] {
  const issues: ContractIssue[] = [];
  const at = (field: string) => (path ? `${path}.${field}` : field);
  for (const [field, allowed] of Object.entries(RELEASE_GOVERNANCE_STATUS_VALUES)) {
    const value = (evidence as unknown as Record<string, string>)[field];
    if (value !== '' && !isOneOf(allowed, value)) {
      issues.push({
        path: at(field),
        code: 'unsafe_value',
        message: `${JSON.stringify(value)} is not one of ${allowed.join(', ')}`,
      });
    }
  }
  const renamed = RENAMED_RELEASE_GOVERNANCE_KINDS[evidence.metadata_kind];
  if (renamed) {
    issues.push({
      path: at('metadata_kind'),
      code: 'unsafe_value',
      message: `kind ${JSON.stringify(evidence.metadata_kind)} was renamed to ${JSON.stringify(renamed)}`,
    });
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
  const compared = normalized(evidence);
  const issues = checkEvidence(compared, path);
  if (issues.length > 0) throw new ContractValidationError('ReleaseGovernanceEvidence', issues);
  return toRecord(compared);
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

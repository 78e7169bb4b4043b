import {
  ContractValidationError,
  ReleaseGovernanceEvidenceCodec,
  toReleaseGovernanceRecord,
} from '@cavra/contracts';
import { describe, expect, it } from 'vitest';
import {
  approvalEvidence,
  artifactIntegrityEvidence,
  connectorDeliveryEvidence,
  inventoryFreshnessEvidence,
  promotionAuditExportEvidence,
  publicReleaseRecord,
  rollbackAuditExportEvidence,
  rolloutVerificationEvidence,
} from '../src/index.js';

function caught(run: () => unknown): ContractValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ContractValidationError) return error;
    throw error;
  }
  throw new Error('expected a ContractValidationError');
}

const issues = (run: () => unknown) => caught(run).issues.map(({ path, code }) => [path, code]);

const release = { releaseChannel: 'stable', releaseVersion: 'v0.2.0' };

describe('evidence builders', () => {
  it('build the contract message of their kind', () => {
    const evidence = connectorDeliveryEvidence({
      ...release,
      deliverySuccess: false,
      failedProviders: ['servicenow'],
      failedDeliveryCount: 1,
      blockedCount: 1,
      connectorDeliverySource: 'release_governance_promotion',
    });
    expect(ReleaseGovernanceEvidenceCodec.toJSON(evidence)).toEqual({
      metadata_kind: 'release-connector-delivery',
      release_channel: 'stable',
      release_version: 'v0.2.0',
      failed_providers: ['servicenow'],
      failed_delivery_count: 1,
      blocked_count: 1,
      connector_delivery_source: 'release_governance_promotion',
    });
  });

  it('refuse negative counts, unknown statuses, bad digests, unsafe references and oversize lists', () => {
    expect(
      issues(() => inventoryFreshnessEvidence({ ...release, alertLevel: 'none', criticalCount: -1 })),
    ).toEqual([['critical_count', 'negative_count']]);
    expect(issues(() => approvalEvidence({ ...release, approvalState: 'maybe' as 'approved' }))).toEqual([
      ['approval_state', 'unsafe_value'],
    ]);
    expect(
      issues(() =>
        artifactIntegrityEvidence({
          ...release,
          artifactDigestAlgorithm: 'sha256',
          artifactDigest: 'ABC',
          integrityStatus: 'verified',
        }),
      ),
    ).toEqual([['artifact_digest', 'unsafe_value']]);
    expect(
      issues(() =>
        rollbackAuditExportEvidence({
          ...release,
          auditExportStatus: 'exported',
          auditExportRef: 'https://user:pw@example.com/x',
          evidenceRefs: ['ok', 'has space'],
        }),
      ),
    ).toEqual([
      ['evidence_refs[1]', 'unsafe_value'],
      ['audit_export_ref', 'unsafe_value'],
    ]);
    expect(
      issues(() =>
        connectorDeliveryEvidence({
          ...release,
          deliverySuccess: false,
          failedProviders: Array(65).fill('p'),
        }),
      ),
    ).toEqual([['failed_providers', 'list_too_long']]);
    expect(
      issues(() => approvalEvidence({ ...release, approvalState: 'approved', bogus: 1 } as never)),
    ).toEqual([['bogus', 'unknown_field']]);
  });

  it('build each kind from its required fields alone', () => {
    const kinds = [
      approvalEvidence({ ...release, approvalState: 'pending' }),
      connectorDeliveryEvidence({ ...release, deliverySuccess: true }),
      inventoryFreshnessEvidence({ ...release, alertLevel: 'none' }),
      rolloutVerificationEvidence({ ...release, verificationStatus: 'pending' }),
      artifactIntegrityEvidence({
        ...release,
        artifactDigestAlgorithm: 'sha256',
        artifactDigest: '',
        integrityStatus: 'missing',
      }),
      promotionAuditExportEvidence({ ...release, auditExportStatus: 'missing' }),
      rollbackAuditExportEvidence({ ...release, auditExportStatus: 'missing' }),
    ].map((evidence) => evidence.metadata_kind);
    expect(kinds).toEqual([
      'release-channel-promotion-request',
      'release-connector-delivery',
      'endpoint-inventory-freshness-report',
      'rollout-evidence-verification',
      'rollout-artifact-integrity',
      'rollout-promotion-audit-export',
      'rollout-rollback-audit-export',
    ]);
  });

  it('refuse missing required fields (JavaScript callers, parsed input), with what is expected', () => {
    expect(caught(() => approvalEvidence({} as never)).message).toBe(
      'invalid ReleaseGovernanceEvidence: release_channel: is required; release_version: is required; ' +
        'approval_state: is required: one of approved, pending, denied, rejected, expired, cancelled, canceled',
    );
    expect(
      caught(() => connectorDeliveryEvidence({ ...release, failedDeliveryCount: -1 } as never)).issues,
    ).toEqual([
      { path: 'delivery_success', code: 'wrong_type', message: 'is required: true or false' },
      {
        path: 'failed_delivery_count',
        code: 'negative_count',
        message: 'is a count and must not be negative, got -1',
      },
    ]);
    expect(issues(() => inventoryFreshnessEvidence({ ...release, alertLevel: '' } as never))).toEqual([
      ['alert_level', 'wrong_type'],
    ]);
    expect(issues(() => rolloutVerificationEvidence({ ...release } as never))).toEqual([
      ['verification_status', 'wrong_type'],
    ]);
    expect(
      issues(() => artifactIntegrityEvidence({ ...release, integrityStatus: 'missing' } as never)),
    ).toEqual([
      ['artifact_digest_algorithm', 'wrong_type'],
      ['artifact_digest', 'wrong_type'],
    ]);
    expect(issues(() => promotionAuditExportEvidence({ ...release } as never))).toEqual([
      ['audit_export_status', 'wrong_type'],
    ]);
    expect(issues(() => rollbackAuditExportEvidence({ releaseChannel: 'stable' } as never))).toEqual([
      ['release_version', 'wrong_type'],
      ['audit_export_status', 'wrong_type'],
    ]);
  });

  it('make a public record with the fields the evidence reports', () => {
    const evidence = approvalEvidence({
      ...release,
      approvalState: 'approved',
      approvalId: 'CHG-1',
      evidenceRefs: ['ticket:CHG-1'],
    });
    expect(publicReleaseRecord(toReleaseGovernanceRecord(evidence))).toEqual({
      metadataKind: 'release-channel-promotion-request',
      releaseChannel: 'stable',
      releaseVersion: 'v0.2.0',
      approvalState: 'approved',
      approvalId: 'CHG-1',
      evidenceRefs: ['ticket:CHG-1'],
    });
  });

  it('make a public record of the reported typed fields, bounded and shape-checked even when built by hand', () => {
    const record = toReleaseGovernanceRecord(
      connectorDeliveryEvidence({
        ...release,
        deliverySuccess: false,
        failedProviders: ['servicenow'],
        failedDeliveryCount: 1,
        approvalId: 'CHG-9',
      } as never),
    );
    expect(publicReleaseRecord(record)).toEqual({
      metadataKind: 'release-connector-delivery',
      releaseChannel: 'stable',
      releaseVersion: 'v0.2.0',
      approvalId: 'CHG-9',
      failedProviders: ['servicenow'],
      failedDeliveryCount: 1,
      evidenceRefs: [],
    });
    expect(Object.isFrozen(publicReleaseRecord(record))).toBe(true);
    expect(
      issues(() =>
        publicReleaseRecord({
          ...record,
          connectorDeliverySource: 'deploy failed: password=hunter2',
          failedProviders: Array(65).fill('p'),
        }),
      ),
    ).toEqual([['failed_providers', 'list_too_long']]);
    expect(
      issues(() =>
        publicReleaseRecord({ ...record, connectorDeliverySource: 'deploy failed: password=hunter2' }),
      ),
    ).toEqual([['connector_delivery_source', 'unsafe_value']]);
  });
});

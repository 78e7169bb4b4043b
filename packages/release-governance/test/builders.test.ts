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
  publicReleaseRecord,
  rollbackAuditExportEvidence,
} from '../src/index.js';

function issues(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ContractValidationError) return error.issues.map(({ path, code }) => [path, code]);
    throw error;
  }
  throw new Error('expected a ContractValidationError');
}

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

  it('make a public record with only the fields of the kind', () => {
    const evidence = approvalEvidence({
      ...release,
      approvalState: 'approved',
      approvalId: 'CHG-1',
      evidenceRefs: ['ticket:CHG-1'],
    });
    expect(publicReleaseRecord(toReleaseGovernanceRecord(evidence))).toEqual({
      metadataKind: 'release-approval',
      releaseChannel: 'stable',
      releaseVersion: 'v0.2.0',
      approvalState: 'approved',
      approvalId: 'CHG-1',
      approvalRequiredCount: 0,
      evidenceRefs: ['ticket:CHG-1'],
    });
  });
});

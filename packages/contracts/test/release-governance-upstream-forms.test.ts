import { describe, expect, it } from 'vitest';
import {
  EvaluateRequestCodec,
  RELEASE_GOVERNANCE_KINDS,
  ReleaseGovernanceEvidenceCodec,
  toReleaseGovernanceRecord,
  toRuntimeRequest,
} from '../src/index.js';
import { issuesOf } from './support/issues-of.js';

// The forms upstream CAVRA's producers send: its field names, any kind, a nested approval, statuses in any case.
describe('release-governance evidence in upstream form', () => {
  it('takes upstream names for the typed rollout fields', () => {
    const record = toReleaseGovernanceRecord(
      {
        metadata_kind: 'rollout-promotion-audit-export',
        verification_status: 'failed',
        failed_verification_count: 2,
        integrity_status: 'tampered',
        integrity_failure_count: 1,
        audit_export_status: 'exported',
        rollback_reference_count: 3,
      },
      { strict: true },
    );
    expect([
      record.verificationStatus,
      record.failedVerificationCount,
      record.integrityStatus,
      record.integrityFailureCount,
      record.auditExportStatus,
      record.rollbackReferenceCount,
    ]).toEqual(['failed', 2, 'tampered', 1, 'exported', 3]);
  });

  it('refuses the names the fields had before they took upstream names', () => {
    expect(
      issuesOf(() =>
        toReleaseGovernanceRecord(
          { verification_failed_count: 1, integrity_mismatch_count: 1 },
          { strict: true },
        ),
      ).map((issue) => [issue.path, issue.code]),
    ).toEqual([
      ['verification_failed_count', 'unknown_field'],
      ['integrity_mismatch_count', 'unknown_field'],
    ]);
  });

  it('knows upstream kinds and accepts a kind it does not know', () => {
    expect(RELEASE_GOVERNANCE_KINDS).toHaveLength(33);
    expect(RELEASE_GOVERNANCE_KINDS).toContain('endpoint-remediation-sla-escalation-owner-digest');
    expect(toReleaseGovernanceRecord({ metadata_kind: 'vendor-release-note' }).metadataKind).toBe(
      'vendor-release-note',
    );
  });

  it("refuses a kind by the name it had before it took upstream's name, naming the new one", () => {
    expect(
      issuesOf(() => toReleaseGovernanceRecord({ metadata_kind: 'release-rollout-artifact-integrity' })),
    ).toEqual([
      {
        path: 'metadata_kind',
        code: 'unsafe_value',
        message: 'kind "release-rollout-artifact-integrity" was renamed to "rollout-artifact-integrity"',
      },
    ]);
  });

  it('normalises status values: trimmed, lower-cased, "-" read as "_"', () => {
    const record = toReleaseGovernanceRecord({
      approval_state: ' Approved ',
      alert_level: 'CRITICAL',
      drift_status: 'Non-Compliant',
      handoff_status: 'Blocked',
      verification_status: ' Verified',
      integrity_status: 'Mismatch ',
      audit_export_status: 'EXPORTED',
      artifact_digest_algorithm: 'SHA256',
    });
    expect([
      record.approvalState,
      record.alertLevel,
      record.driftStatus,
      record.handoffStatus,
      record.verificationStatus,
      record.integrityStatus,
      record.auditExportStatus,
      record.artifactDigestAlgorithm,
    ]).toEqual([
      'approved',
      'critical',
      'non_compliant',
      'blocked',
      'verified',
      'mismatch',
      'exported',
      'sha256',
    ]);
  });

  it('accepts an approval state without a meaning of its own (the rules read it as unknown)', () => {
    expect(toReleaseGovernanceRecord({ approval_state: 'On-Hold' }).approvalState).toBe('on_hold');
  });

  it('refuses a status value neither runtime gives a meaning to', () => {
    expect(
      issuesOf(() => toReleaseGovernanceRecord({ alert_level: 'sev1' })).map((issue) => issue.message),
    ).toEqual(['"sev1" is not one of none, info, warning, critical, blocked, breached']);
  });
});

describe('the nested approval object', () => {
  const nested = { metadata_kind: 'endpoint-drift-remediation-request' };

  it('fills approval_state and approval_id', () => {
    const record = toReleaseGovernanceRecord(
      { ...nested, approval: { state: 'Denied', approval_id: 'apr-9' } },
      { strict: true },
    );
    expect([record.approvalState, record.approvalId]).toEqual(['denied', 'apr-9']);
  });

  it('is folded into the message, so it survives a binary round trip', () => {
    const message = ReleaseGovernanceEvidenceCodec.fromJSON({ ...nested, approval: { state: 'pending' } });
    expect(ReleaseGovernanceEvidenceCodec.toJSON(message)).toEqual({ ...nested, approval_state: 'pending' });
  });

  it('reaches the runtime request inside an EvaluateRequest', () => {
    const request = toRuntimeRequest(
      {
        action_type: 'release_governance_record',
        release_governance: { ...nested, approval: { state: 'approved', approval_id: 'apr-1' } },
      },
      { strict: true },
    );
    expect([request.releaseGovernance?.approvalState, request.releaseGovernance?.approvalId]).toEqual([
      'approved',
      'apr-1',
    ]);
  });

  it('gives way to a top-level value that is not blank, and says so when they disagree', () => {
    const evidence = {
      ...nested,
      approval_state: 'approved',
      approval_id: ' ',
      approval: { state: 'denied', approval_id: 'apr-2' },
    };
    const { message, warnings } = ReleaseGovernanceEvidenceCodec.parseJSON(evidence);
    expect([message.approval_state, message.approval_id]).toEqual(['approved', 'apr-2']);
    expect(warnings).toEqual([
      {
        path: 'approval.state',
        code: 'approval_conflict',
        message: '"denied" disagrees with approval_state "approved"; approval_state wins',
      },
    ]);
    expect(
      issuesOf(() => ReleaseGovernanceEvidenceCodec.fromJSON(evidence, { strict: true })).map(
        (issue) => issue.code,
      ),
    ).toEqual(['approval_conflict']);
  });

  it('does not count the same state in another spelling as a disagreement', () => {
    const { warnings } = ReleaseGovernanceEvidenceCodec.parseJSON({
      approval_state: 'approved',
      approval: { state: ' APPROVED' },
    });
    expect(warnings).toEqual([]);
  });

  it('names a wrong shape, a wrong type and an unknown key by path', () => {
    const issues = (value: unknown, strict = true) =>
      issuesOf(() =>
        EvaluateRequestCodec.fromJSON({ release_governance: { ...nested, approval: value } }, { strict }),
      ).map((issue) => [issue.path, issue.code, issue.message]);
    expect(issues('approved')).toEqual([
      ['release_governance.approval', 'wrong_type', 'expected an object { state, approval_id }'],
    ]);
    expect(issues({ state: 1, approver: 'x' })).toEqual([
      ['release_governance.approval.state', 'wrong_type', 'expected a string'],
      ['release_governance.approval.approver', 'unknown_field', 'approval has no field "approver"'],
    ]);
    expect(issues({ state: 'x'.repeat(1025) })).toEqual([
      ['release_governance.approval.state', 'string_too_long', 'is 1025 bytes; the limit is 1024'],
    ]);
  });

  it('drops an unknown key with a warning in lenient mode', () => {
    const { message, warnings } = ReleaseGovernanceEvidenceCodec.parseJSON({
      approval: { state: 'pending', approver: 'x' },
    });
    expect(message.approval_state).toBe('pending');
    expect(warnings.map((issue) => [issue.path, issue.code])).toEqual([
      ['approval.approver', 'unknown_field'],
    ]);
  });
});

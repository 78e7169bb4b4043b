import type { EvaluateRequestInit } from '@cavra/contracts';

export const SECRET = 'test-only-secret-0123456789abcdef-not-for-production';
export const NOW = new Date('2026-11-25T10:00:00Z');

export const IDENTITY = {
  provider: 'github-actions',
  repository: 'acme/app',
  workflow: 'Release Governance',
  run_id: '123456',
  run_attempt: '1',
  ref: 'refs/heads/main',
  sha: 'abc123',
  actor: 'octocat',
  job: 'release',
  runner_name: 'runner-1',
};

export const REQUEST: EvaluateRequestInit = {
  session_id: 'session-1',
  agent_id: 'codex-agent',
  actor: 'developer@example.com',
  action_type: 'execute_command',
  target: 'terraform plan',
  requested_operation: 'terraform plan',
  policy_pack: 'cavra-ai-agent-baseline',
  runner_auth: { identity: IDENTITY },
};

/** A release-governance record whose payload sets every field of ReleaseGovernanceEvidence (none left default). */
export const RELEASE_GOVERNANCE_REQUEST: EvaluateRequestInit = {
  session_id: 'release-contract-demo',
  agent_id: 'release-agent',
  actor: 'release.manager@example.com',
  action_type: 'release_governance_record',
  target: 'release-connectors',
  requested_operation: 'verify',
  policy_pack: 'cavra-ai-agent-baseline',
  release_governance: {
    metadata_kind: 'release-rollout-verification',
    release_channel: 'stable',
    release_version: 'v0.2.0',
    approval_state: 'approved',
    approval_id: 'CHG-1042',
    approval_required_count: 2,
    delivery_success: true,
    failed_providers: ['servicenow'],
    failed_delivery_count: 1,
    connector_delivery_failure_count: 1,
    alert_level: 'warning',
    drift_status: 'in_sync',
    handoff_status: 'complete',
    blocked_count: 1,
    critical_count: 1,
    breached_count: 1,
    drifted_endpoint_count: 1,
    missing_target_count: 1,
    evidence_refs: ['evidence:rollout-1'],
    connector_delivery_source: 'release_governance_promotion',
    verification_status: 'verified',
    verified_count: 3,
    failed_verification_count: 1,
    verification_ref: 'verification:run-7',
    artifact_digest_algorithm: 'sha256',
    artifact_digest: 'sha256:5a434c551cca7d37a9d971e1e6ba884bf612da17aa32a6ff207ff1bbf858ca0e',
    integrity_status: 'intact',
    integrity_failure_count: 1,
    audit_export_ref: 'export:promotion-3',
    audit_export_status: 'exported',
    audit_export_record_count: 12,
    rollback_ref: 'rollback:v0.1.9',
    rollback_target_version: 'v0.1.9',
    rollback_reference_count: 1,
  },
  runner_auth: { identity: { ...IDENTITY, provider: 'gitlab-ci' } },
};

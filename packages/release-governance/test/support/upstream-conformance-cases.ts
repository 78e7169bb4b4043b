// One case per branch of upstream CAVRA's release-governance cascade (go/cavra-runtime/runtime/release_governance.go),
// written from its documented behaviour in our own words: the request as an upstream producer sends it (wire JSON,
// upstream's field names, nested approval, any status spelling) and the decision, rule id, severity and approver
// group upstream answers. Our engine must answer the same; the integrator runs the same table through the daemon.

/** What upstream answers; `approver_group` is '' on an allow. */
export interface ConformanceExpectation {
  readonly decision: string;
  readonly rule_id: string;
  readonly severity: string;
  readonly approver_group: string;
}

export interface ReleaseGovernanceConformanceCase {
  /** The upstream branch the case takes, in our words. */
  readonly name: string;
  /** An EvaluateRequest as wire JSON. */
  readonly request: Readonly<Record<string, unknown>>;
  readonly expected: ConformanceExpectation;
}

const GROUP = 'Release Governance';

const request = (
  session: string,
  evidence: Record<string, unknown> | undefined,
  target = 'release-pipeline',
): Record<string, unknown> => ({
  session_id: session,
  agent_id: 'deploy-bot',
  actor: 'ops.lead@example.org',
  action_type: 'release_governance_record',
  target,
  requested_operation: 'verify',
  policy_pack: 'cavra-ai-agent-baseline',
  ...(evidence ? { release_governance: evidence } : {}),
});

const release = { release_channel: 'beta', release_version: 'v3.1.4' };

const expect = (decision: string, rule: string, severity: string): ConformanceExpectation => ({
  decision,
  rule_id: `release_governance.${rule}`,
  severity,
  approver_group: decision === 'allow' ? '' : GROUP,
});

export const RELEASE_GOVERNANCE_CONFORMANCE_CASES: readonly ReleaseGovernanceConformanceCase[] = [
  // No evidence at all.
  {
    name: 'a release_governance_record request without evidence asks for review',
    request: request('rg-missing', undefined),
    expected: expect('require_approval', 'record.missing', 'medium'),
  },
  {
    name: 'evidence whose every field is unreported counts as no evidence',
    request: request('rg-empty', {}),
    expected: expect('require_approval', 'record.missing', 'medium'),
  },
  {
    name: 'evidence that reports only fields upstream does not have counts as no evidence',
    request: request('rg-ours-only', {
      verified_count: 3,
      verification_ref: 'ci://verify/9',
      audit_export_ref: 'audit://exports/9',
      rollback_target_version: 'v3.1.3',
    }),
    expected: expect('require_approval', 'record.missing', 'medium'),
  },
  // The approval state decides first.
  {
    name: 'an approval granted with an id allows, whatever the kind',
    request: request('rg-approved', {
      ...release,
      metadata_kind: 'endpoint-drift-remediation-execution',
      approval_state: 'approved',
      approval_id: 'APR-5521',
    }),
    expected: expect('allow', 'approval.approved', 'low'),
  },
  {
    name: 'an approval granted without an id blocks',
    request: request('rg-approved-no-id', {
      ...release,
      metadata_kind: 'endpoint-inventory-ingestion',
      approval_state: 'approved',
    }),
    expected: expect('block', 'approval.missing', 'critical'),
  },
  {
    name: 'a pending approval asks for approval',
    request: request('rg-pending', {
      ...release,
      metadata_kind: 'endpoint-remediation-handoff',
      approval_state: 'pending',
      approval_id: 'APR-5522',
    }),
    expected: expect('require_approval', 'approval.pending', 'high'),
  },
  ...['denied', 'rejected', 'expired', 'cancelled', 'canceled'].map((state) => ({
    name: `a ${state} approval blocks`,
    request: request(`rg-${state}`, {
      ...release,
      metadata_kind: 'release-channel-promotion-request',
      approval_state: state,
      approval_id: 'APR-5523',
    }),
    expected: expect('block', 'approval.denied', 'critical'),
  })),
  {
    name: 'an approval state without a meaning asks for review',
    request: request('rg-unknown-state', {
      ...release,
      metadata_kind: 'release-channel-promotion-request',
      approval_state: 'escalated',
    }),
    expected: expect('require_approval', 'approval.unknown', 'medium'),
  },
  {
    name: 'an approval state is read trimmed and lower-cased',
    request: request('rg-state-case', {
      ...release,
      metadata_kind: 'endpoint-reconciliation-automation',
      approval_state: '  Pending ',
    }),
    expected: expect('require_approval', 'approval.pending', 'high'),
  },
  {
    name: 'the nested approval object is read when approval_state is absent',
    request: request('rg-nested-denied', {
      ...release,
      metadata_kind: 'endpoint-drift-remediation-request',
      approval: { state: 'Denied', approval_id: 'APR-5524' },
    }),
    expected: expect('block', 'approval.denied', 'critical'),
  },
  {
    name: 'the nested approval object can grant an execution',
    request: request('rg-nested-approved', {
      ...release,
      metadata_kind: 'rollout-rollback-execution',
      approval: { state: 'approved', approval_id: 'APR-5525' },
    }),
    expected: expect('allow', 'approval.approved', 'low'),
  },
  // Without an approval state: a failed delivery.
  {
    name: 'a delivery kind that does not report success blocks',
    request: request('rg-delivery', {
      ...release,
      metadata_kind: 'endpoint-management-publication-delivery',
    }),
    expected: expect('block', 'delivery.failed', 'high'),
  },
  {
    name: 'a connector delivery with a failed provider blocks',
    request: request(
      'rg-connector',
      {
        ...release,
        metadata_kind: 'release-connector-delivery',
        failed_providers: ['pagerduty'],
        failed_delivery_count: 1,
        connector_delivery_source: 'release_train',
      },
      'release-connectors',
    ),
    expected: expect('block', 'delivery.failed', 'high'),
  },
  {
    name: 'a delivery named only by the target is not read as a delivery',
    request: request('rg-delivery-target', { ...release }, 'release-connector-delivery'),
    expected: expect('allow', 'record.verified', 'low'),
  },
  // Critical signals.
  ...(
    [
      ['alert level critical', { alert_level: 'critical' }],
      ['alert level blocked', { alert_level: 'Blocked' }],
      ['alert level breached', { alert_level: 'breached' }],
      ['drift status drifted', { drift_status: 'drifted' }],
      ['drift status non-compliant', { drift_status: 'Non-Compliant' }],
      ['handoff status blocked', { handoff_status: 'blocked' }],
      ['handoff status failed', { handoff_status: 'FAILED' }],
      ['verification status failed', { verification_status: 'failed' }],
      ['verification status blocked', { verification_status: 'blocked' }],
      ['verification status mismatch', { verification_status: 'mismatch' }],
      ['integrity status failed', { integrity_status: 'failed' }],
      ['integrity status mismatch', { integrity_status: 'mismatch' }],
      ['integrity status tampered', { integrity_status: 'tampered' }],
      ['audit export status failed', { audit_export_status: 'failed' }],
      ['audit export status blocked', { audit_export_status: 'blocked' }],
      ['a blocked count', { blocked_count: 3 }],
      ['a critical count', { critical_count: 1 }],
      ['a breached count', { breached_count: 2 }],
      ['a failed delivery count', { failed_delivery_count: 1 }],
      ['a connector delivery failure count', { connector_delivery_failure_count: 4 }],
      ['a failed verification count', { failed_verification_count: 1 }],
      ['an integrity failure count', { integrity_failure_count: 1 }],
    ] as const
  ).map(([signal, fields], index) => ({
    name: `${signal} asks for approval`,
    request: request(`rg-signal-${index}`, {
      ...release,
      metadata_kind: 'endpoint-remediation-sla-report',
      ...fields,
    }),
    expected: expect('require_approval', 'signal.critical', 'high'),
  })),
  {
    name: 'a critical signal asks for approval even on an execution kind',
    request: request('rg-signal-execution', {
      ...release,
      metadata_kind: 'rollout-promotion-execution',
      critical_count: 1,
    }),
    expected: expect('require_approval', 'signal.critical', 'high'),
  },
  // Kinds that need an approval.
  {
    name: 'a kind that needs an approval, without one, asks for approval',
    request: request('rg-required-kind', { ...release, metadata_kind: 'release-channel-promotion-request' }),
    expected: expect('require_approval', 'approval.required', 'high'),
  },
  {
    name: 'an execution kind without an approval blocks',
    request: request('rg-execution', { ...release, metadata_kind: 'rollout-promotion-execution' }),
    expected: expect('block', 'approval.missing', 'critical'),
  },
  {
    name: 'an approval count above zero makes any kind need an approval',
    request: request('rg-required-count', {
      ...release,
      metadata_kind: 'endpoint-management-export',
      approval_required_count: 2,
    }),
    expected: expect('require_approval', 'approval.required', 'high'),
  },
  {
    name: 'the target names the kind when metadata_kind is empty',
    request: request('rg-kind-from-target', { ...release }, 'rollout-rollback-execution'),
    expected: expect('block', 'approval.missing', 'critical'),
  },
  // No signal: known and unknown kinds.
  {
    name: 'a known kind with no blocking signal allows',
    request: request('rg-known', { ...release, metadata_kind: 'endpoint-inventory-ingestion' }),
    expected: expect('allow', 'record.verified', 'low'),
  },
  {
    name: 'a kind upstream does not know allows without approval',
    request: request('rg-unknown-kind', { ...release, metadata_kind: 'vendor-changelog-digest' }),
    expected: expect('allow', 'approval.not_required', 'low'),
  },
  {
    name: 'with neither kind nor target the record is decided as an unknown kind',
    request: request('rg-no-kind', { ...release }, ''),
    expected: expect('allow', 'approval.not_required', 'low'),
  },
  // The seven typed shapes of upstream's contract examples, with our own values.
  {
    name: 'an approved promotion execution allows',
    request: request('rg-typed-promotion', {
      ...release,
      metadata_kind: 'rollout-promotion-execution',
      approval_state: 'approved',
      approval_id: 'APR-7001',
      evidence_refs: ['evidence://rollout/beta'],
    }),
    expected: expect('allow', 'approval.approved', 'low'),
  },
  {
    name: 'an inventory freshness report at alert level critical asks for approval',
    request: request('rg-typed-freshness', {
      metadata_kind: 'endpoint-inventory-freshness-report',
      alert_level: 'critical',
      critical_count: 4,
      blocked_count: 1,
    }),
    expected: expect('require_approval', 'signal.critical', 'high'),
  },
  {
    name: 'a failed rollout evidence verification asks for approval',
    request: request('rg-typed-verification', {
      ...release,
      metadata_kind: 'rollout-evidence-verification',
      verification_status: 'failed',
      failed_verification_count: 3,
    }),
    expected: expect('require_approval', 'signal.critical', 'high'),
  },
  {
    name: 'an artifact integrity mismatch asks for approval',
    request: request('rg-typed-integrity', {
      ...release,
      metadata_kind: 'rollout-artifact-integrity',
      integrity_status: 'mismatch',
      integrity_failure_count: 2,
    }),
    expected: expect('require_approval', 'signal.critical', 'high'),
  },
  {
    name: 'an approved promotion audit export allows',
    request: request('rg-typed-promotion-audit', {
      ...release,
      metadata_kind: 'rollout-promotion-audit-export',
      approval_state: 'approved',
      approval_id: 'APR-7002',
      audit_export_status: 'exported',
      rollback_reference_count: 1,
    }),
    expected: expect('allow', 'approval.approved', 'low'),
  },
  {
    name: 'a failed rollback audit export asks for approval',
    request: request('rg-typed-rollback-audit', {
      ...release,
      metadata_kind: 'rollout-rollback-audit-export',
      audit_export_status: 'failed',
      blocked_count: 2,
    }),
    expected: expect('require_approval', 'signal.critical', 'high'),
  },
];

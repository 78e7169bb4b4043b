import { isOneOf } from './closed-set.js';

/**
 * The release-governance evidence kinds upstream CAVRA knows (ReleaseGovernanceEvidence.metadata_kind). Another
 * kind is accepted too (a plain identifier): the release-governance rules decide it as evidence they do not
 * recognise.
 */
export const RELEASE_GOVERNANCE_KINDS = [
  'endpoint-inventory-ingestion',
  'endpoint-inventory-freshness-report',
  'managed-endpoint-reconciliation',
  'endpoint-management-export',
  'endpoint-management-publication-delivery',
  'endpoint-reconciliation-automation',
  'endpoint-drift-remediation-request',
  'endpoint-drift-remediation-execution',
  'endpoint-remediation-handoff',
  'endpoint-remediation-handoff-status',
  'endpoint-remediation-sla-report',
  'endpoint-remediation-sla-notification-plan',
  'endpoint-remediation-sla-notification-ack',
  'endpoint-remediation-sla-escalation-plan',
  'endpoint-remediation-sla-escalation-review',
  'endpoint-remediation-sla-escalation-recurrence-plan',
  'endpoint-remediation-sla-escalation-suppression-audit',
  'endpoint-remediation-sla-escalation-recurrence-retry-plan',
  'endpoint-remediation-sla-escalation-owner-digest',
  'endpoint-remediation-sla-escalation-suppression-trend',
  'endpoint-remediation-sla-escalation-recurrence-automation-run',
  'endpoint-remediation-sla-escalation-recurrence-automation-health-alert-plan',
  'endpoint-remediation-sla-escalation-recurrence-automation-health-alert-ack',
  'release-channel-promotion-request',
  'release-connector-delivery',
  'rollout-promotion-execution',
  'rollout-rollback-execution',
  'rollout-evidence-capture',
  'rollout-evidence-verification',
  'rollout-artifact-retrieval',
  'rollout-artifact-integrity',
  'rollout-promotion-audit-export',
  'rollout-rollback-audit-export',
] as const;

export type ReleaseGovernanceKind = (typeof RELEASE_GOVERNANCE_KINDS)[number];

/** True for a kind upstream CAVRA knows; an unknown kind is still valid evidence. */
export function isReleaseGovernanceKind(value: unknown): value is ReleaseGovernanceKind {
  return isOneOf(RELEASE_GOVERNANCE_KINDS, value);
}

/**
 * The kinds this contract had before it took upstream's names, and the kind each became. They are refused with the
 * new name rather than read as unknown kinds: a producer still sending them would otherwise get the lenient
 * decision of a kind nobody knows instead of the checks its evidence was written for.
 */
export const RENAMED_RELEASE_GOVERNANCE_KINDS: Readonly<Record<string, ReleaseGovernanceKind>> = {
  'release-approval': 'release-channel-promotion-request',
  'release-critical-inventory-freshness': 'endpoint-inventory-freshness-report',
  'release-rollout-evidence-verification': 'rollout-evidence-verification',
  'release-rollout-artifact-integrity': 'rollout-artifact-integrity',
  'release-promotion-audit-export': 'rollout-promotion-audit-export',
  'release-rollback-audit-export': 'rollout-rollback-audit-export',
};

/** The action_type of requests that carry release-governance evidence. */
export const RELEASE_GOVERNANCE_ACTION_TYPE = 'release_governance_record';

/**
 * What a release-governance decision names as its target and operation when the request left them empty (upstream
 * CAVRA's decisions do): the evidence's kind, else this kind; and this operation.
 */
export const RELEASE_GOVERNANCE_DEFAULT_KIND = 'release-governance-record';
export const RELEASE_GOVERNANCE_DEFAULT_OPERATION = 'verify';

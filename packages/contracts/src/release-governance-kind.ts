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

/** The action_type of requests that carry release-governance evidence. */
export const RELEASE_GOVERNANCE_ACTION_TYPE = 'release_governance_record';

import { isOneOf } from './closed-set.js';

/** The release-governance evidence kinds (ReleaseGovernanceEvidence.metadata_kind). */
export const RELEASE_GOVERNANCE_KINDS = [
  'release-approval',
  'release-connector-delivery',
  'release-critical-inventory-freshness',
  'release-rollout-evidence-verification',
  'release-rollout-artifact-integrity',
  'release-promotion-audit-export',
  'release-rollback-audit-export',
] as const;

export type ReleaseGovernanceKind = (typeof RELEASE_GOVERNANCE_KINDS)[number];

export function isReleaseGovernanceKind(value: unknown): value is ReleaseGovernanceKind {
  return isOneOf(RELEASE_GOVERNANCE_KINDS, value);
}

/** The action_type of requests that carry release-governance evidence. */
export const RELEASE_GOVERNANCE_ACTION_TYPE = 'release_governance_record';

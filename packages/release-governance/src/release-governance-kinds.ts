/** Kinds that need an approval record before they proceed (upstream CAVRA's list). */
export const APPROVAL_REQUIRED_KINDS: ReadonlySet<string> = new Set([
  'release-channel-promotion-request',
  'endpoint-reconciliation-automation',
  'endpoint-drift-remediation-request',
  'endpoint-drift-remediation-execution',
  'endpoint-remediation-handoff',
  'rollout-promotion-execution',
  'rollout-rollback-execution',
]);

/** Kinds that change something: without an approval they are blocked, not sent for approval. */
export const EXECUTION_KINDS: ReadonlySet<string> = new Set([
  'endpoint-drift-remediation-execution',
  'rollout-promotion-execution',
  'rollout-rollback-execution',
]);

/** Kinds that report a delivery: unless `delivery_success` is true, the delivery failed. */
export const DELIVERY_KINDS: ReadonlySet<string> = new Set([
  'endpoint-management-publication-delivery',
  'release-connector-delivery',
]);

/** Kinds that promote a release: the rollback drill gate applies to them. */
export const PROMOTION_KINDS: ReadonlySet<string> = new Set([
  'release-channel-promotion-request',
  'rollout-promotion-execution',
  'rollout-promotion-audit-export',
]);

/** Kinds that report an audit export. */
export const AUDIT_EXPORT_KINDS: ReadonlySet<string> = new Set([
  'rollout-promotion-audit-export',
  'rollout-rollback-audit-export',
]);

export {
  checkDrillRecord,
  DrillHistory,
  type DrillHistoryOptions,
  type DrillRecord,
  DrillRecordError,
} from './drill-history.js';
export {
  type ApprovalInput,
  type ArtifactIntegrityInput,
  type AuditExportInput,
  approvalEvidence,
  artifactIntegrityEvidence,
  type ConnectorDeliveryInput,
  connectorDeliveryEvidence,
  type InventoryFreshnessInput,
  inventoryFreshnessEvidence,
  promotionAuditExportEvidence,
  type ReleaseIdentity,
  type RollbackAuditExportInput,
  type RolloutVerificationInput,
  rollbackAuditExportEvidence,
  rolloutVerificationEvidence,
} from './evidence-builders.js';
export { publicReleaseRecord } from './public-release-record.js';
export {
  createReleaseGovernanceEvaluator,
  RELEASE_GOVERNANCE_APPROVER_GROUP,
  type ReleaseGovernanceEvaluatorOptions,
} from './release-governance-evaluator.js';
export {
  APPROVAL_REQUIRED_KINDS,
  AUDIT_EXPORT_KINDS,
  DELIVERY_KINDS,
  EXECUTION_KINDS,
  PROMOTION_KINDS,
} from './release-governance-kinds.js';
export {
  cascadeFinding,
  decideReleaseGovernance,
  isMissingRecord,
  type ReleaseFinding,
} from './release-governance-rules.js';

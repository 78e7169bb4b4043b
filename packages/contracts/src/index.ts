export { isOneOf } from './closed-set.js';
export {
  DecisionResponseCodec,
  EvaluateRequestCodec,
  type JsonObject,
  type JsonValue,
  type MessageCodec,
  type ParseResult,
  ReleaseGovernanceEvidenceCodec,
  RunnerAuthenticationCodec,
  RunnerIdentityCodec,
  type ToJSONOptions,
} from './codec.js';
export {
  type ContractIssue,
  type ContractIssueCode,
  ContractValidationError,
  MAX_REPORTED_ISSUES,
} from './contract-issue.js';
export { DECISIONS, type Decision, isDecision } from './decision.js';
export {
  type FieldSpec,
  MESSAGE_FIELDS,
  MESSAGE_NAMES,
  type MessageName,
  type ScalarType,
} from './descriptor.js';
export { cavra } from './generated/enforcement.js';
export { type ContractLimits, DEFAULT_LIMITS } from './limits.js';
export type {
  DecisionResponse,
  DecisionResponseInit,
  EvaluateRequest,
  EvaluateRequestInit,
  MessageTypes,
  ReleaseGovernanceEvidence,
  ReleaseGovernanceEvidenceInit,
  RunnerAuthentication,
  RunnerAuthenticationInit,
  RunnerIdentity,
  RunnerIdentityInit,
} from './messages.js';
export type { PlainDecisionResponse } from './plain-message.js';
export { isSafeIdentifier, isSafeName, isSafeReference } from './public-safe.js';
export {
  isReleaseGovernanceKind,
  RELEASE_GOVERNANCE_ACTION_TYPE,
  RELEASE_GOVERNANCE_DEFAULT_KIND,
  RELEASE_GOVERNANCE_DEFAULT_OPERATION,
  RELEASE_GOVERNANCE_KINDS,
  RENAMED_RELEASE_GOVERNANCE_KINDS,
  type ReleaseGovernanceKind,
} from './release-governance-kind.js';
export {
  evidenceToRecord,
  fromReleaseGovernanceRecord,
  type ReleaseGovernanceRecord,
  toReleaseGovernanceRecord,
} from './release-governance-record.js';
export {
  type AlertLevel,
  APPROVAL_STATES,
  type ApprovalState,
  type AuditExportStatus,
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  type DriftStatus,
  type HandoffStatus,
  type IntegrityStatus,
  normalizeStatus,
  RELEASE_GOVERNANCE_STATUS_VALUES,
  type ReleaseGovernanceStatusField,
  type VerificationStatus,
} from './release-governance-status.js';
export {
  isRunnerAuthAlgorithm,
  RUNNER_AUTH_ALGORITHMS,
  type RunnerAuthAlgorithm,
} from './runner-auth-algorithm.js';
export { identityToRecord, type RunnerIdentityRecord } from './runner-identity-record.js';
export {
  decisionResponseFields,
  fromDecisionResponse,
  type RuntimeDecision,
  toDecisionResponse,
} from './runtime-decision.js';
export {
  parseRuntimeRequest,
  type RuntimeMcpCall,
  type RuntimeRequest,
  type RuntimeRequestResult,
  type RuntimeRequestSubject,
  type RuntimeRunnerClaims,
  toRuntimeRequest,
} from './runtime-request.js';
export { isSeverity, SEVERITIES, type Severity } from './severity.js';
export { shareInstanceof } from './share-instanceof.js';
export { isRfc3339Utc } from './timestamp.js';
export {
  EVALUATE_REQUEST_RUNTIME_KEYS,
  type ValidateOptions,
  type ValidationResult,
  validate,
} from './validate.js';

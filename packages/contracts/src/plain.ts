// `@cavra/contracts/plain`: the contract checked on plain JSON objects, for clients whose start-up counts (the
// hooks). It loads neither protobufjs nor the generated message classes: validation, JSON in field order, and the
// small checks and constants of the main entry.
export {
  type ContractIssue,
  type ContractIssueCode,
  ContractValidationError,
} from './contract-issue.js';
export { DECISIONS, type Decision, isDecision } from './decision.js';
export {
  type FieldSpec,
  MESSAGE_FIELDS,
  MESSAGE_NAMES,
  type MessageName,
  type ScalarType,
} from './descriptor.js';
export { type ContractLimits, DEFAULT_LIMITS } from './limits.js';
export { type JsonObject, type JsonValue, messageToJSON } from './message-json.js';
export type {
  DecisionResponse,
  DecisionResponseInit,
  EvaluateRequest,
  EvaluateRequestInit,
} from './messages.js';
export { type PlainDecisionResponse, plainMessage } from './plain-message.js';
export { isSafeIdentifier, isSafeName, isSafeReference } from './public-safe.js';
export {
  RELEASE_GOVERNANCE_ACTION_TYPE,
  RELEASE_GOVERNANCE_DEFAULT_KIND,
  RELEASE_GOVERNANCE_DEFAULT_OPERATION,
} from './release-governance-kind.js';
export { isSeverity, SEVERITIES, type Severity } from './severity.js';
export { shareInstanceof } from './share-instanceof.js';
export type { ValidateOptions } from './validate.js';

export type { ActionOutcome, ActionOutcomeRecord } from './approval-frames.js';
export {
  APPROVAL_STATUSES,
  type ApprovalAction,
  type ApprovalFilter,
  type ApprovalGrant,
  type ApprovalOutcome,
  type ApprovalRequest,
  type ApprovalRequester,
  type ApprovalReview,
  type ApprovalState,
  type ApprovalStatus,
  approvalStatus,
  checkApprovalState,
} from './approval-state.js';
export {
  type CallOptions,
  createClient,
  type DaemonClient,
  type DaemonClientOptions,
  type DaemonProtocol,
  type EvaluateOptions,
} from './daemon-client.js';
export { DaemonClientError, type DaemonClientErrorCode, type DaemonIssue } from './daemon-client-error.js';
export { checkDecision, DEFAULT_POLICY_PACK, type DecisionCheckOptions } from './decision-check.js';
export { defaultSocketPath } from './default-socket-path.js';
export type { FleetHealthReport, HealthReport } from './health-report.js';
export { type RunnerAuthSettings, withRunnerAuth } from './runner-auth.js';
export { checkSocketTrust } from './socket-trust.js';
export { parseWireJson, WireJsonError, type WireJsonProblem } from './wire-json.js';

// The approval records the client's methods answer with; their definition, schema and check are @cavra/approvals'
// (`@cavra/approvals/wire`), re-exported so a caller of the client needs no second import for their types.
export type {
  ApprovalAction,
  ApprovalRequest,
  ApprovalState,
  ApprovalStatus,
  Grant,
  Outcome,
  OutcomeStatus,
  Requester,
  RequesterRunner,
  SignedReview,
} from '@cavra/approvals/wire';
export type { ActionOutcome, ActionOutcomeRecord, ApprovalFilter } from './approval-frames.js';
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
export type {
  FleetHealthReport,
  FleetShippingHealth,
  FleetSpoolHealth,
  HealthReport,
} from './health-report.js';
export { type RunnerAuthSettings, withRunnerAuth } from './runner-auth.js';
export { checkSocketTrust } from './socket-trust.js';
export { parseWireJson, WireJsonError, type WireJsonProblem } from './wire-json.js';

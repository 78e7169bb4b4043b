import { cavra } from './generated/enforcement.js';

const v1 = cavra.enforcement.v1;

/** Generated protobufjs message classes, by message name. */
export const MESSAGE_TYPES = {
  EvaluateRequest: v1.EvaluateRequest,
  DecisionResponse: v1.DecisionResponse,
  ReleaseGovernanceEvidence: v1.ReleaseGovernanceEvidence,
  RunnerAuthentication: v1.RunnerAuthentication,
  RunnerIdentity: v1.RunnerIdentity,
} as const;

/** A decoded EvaluateRequest: every scalar field is present (proto3 default when unset). */
export type EvaluateRequest = cavra.enforcement.v1.EvaluateRequest;
/** Properties accepted when building an EvaluateRequest; all optional, as in proto3. */
export type EvaluateRequestInit = cavra.enforcement.v1.IEvaluateRequest;
export type DecisionResponse = cavra.enforcement.v1.DecisionResponse;
export type DecisionResponseInit = cavra.enforcement.v1.IDecisionResponse;
export type ReleaseGovernanceEvidence = cavra.enforcement.v1.ReleaseGovernanceEvidence;
export type ReleaseGovernanceEvidenceInit = cavra.enforcement.v1.IReleaseGovernanceEvidence;
export type RunnerAuthentication = cavra.enforcement.v1.RunnerAuthentication;
export type RunnerAuthenticationInit = cavra.enforcement.v1.IRunnerAuthentication;
export type RunnerIdentity = cavra.enforcement.v1.RunnerIdentity;
export type RunnerIdentityInit = cavra.enforcement.v1.IRunnerIdentity;

/** Maps a message name to its decoded and its init type. */
export interface MessageTypes {
  EvaluateRequest: { message: EvaluateRequest; init: EvaluateRequestInit };
  DecisionResponse: { message: DecisionResponse; init: DecisionResponseInit };
  ReleaseGovernanceEvidence: { message: ReleaseGovernanceEvidence; init: ReleaseGovernanceEvidenceInit };
  RunnerAuthentication: { message: RunnerAuthentication; init: RunnerAuthenticationInit };
  RunnerIdentity: { message: RunnerIdentity; init: RunnerIdentityInit };
}

import { EvaluateRequestCodec } from './codec.js';
import type { ContractIssue } from './contract-issue.js';
import type { ReleaseGovernanceEvidence, RunnerAuthentication, RunnerIdentity } from './messages.js';
import { evidenceToRecord, type ReleaseGovernanceRecord } from './release-governance-record.js';
import type { RunnerAuthAlgorithm } from './runner-auth-algorithm.js';
import { identityToRecord, type RunnerIdentityRecord } from './runner-identity-record.js';
import type { ValidateOptions } from './validate.js';

/** The runner's claimed identity as the runtime sees it: never the signature or token. */
export interface RuntimeRunnerClaims {
  readonly algorithm: RunnerAuthAlgorithm;
  readonly keyId: string;
  readonly identity?: RunnerIdentityRecord;
}

/** Who acts, doing what, on what: the request fields a decision echoes back. */
export interface RuntimeRequestSubject {
  readonly sessionId: string;
  readonly agentId: string;
  readonly actor: string;
  readonly actionType: string;
  readonly target: string;
  /** requested_operation, or the legacy `operation` when requested_operation is absent. */
  readonly operation: string;
  readonly policyPack: string;
}

/** An EvaluateRequest in the runtime's shape: camelCase, validated, public-safe. */
export interface RuntimeRequest extends RuntimeRequestSubject {
  readonly releaseGovernance?: ReleaseGovernanceRecord;
  readonly runner?: RuntimeRunnerClaims;
}

export interface RuntimeRequestResult {
  readonly request: RuntimeRequest;
  /** Issues tolerated in lenient mode (unknown fields, a disagreeing legacy operation). */
  readonly warnings: readonly ContractIssue[];
}

/**
 * Converts an EvaluateRequest (decoded message, JSON object or JSON text, legacy `operation` included)
 * into the runtime request. Throws ContractValidationError naming every offending field.
 */
export function parseRuntimeRequest(input: unknown, options?: ValidateOptions): RuntimeRequestResult {
  const { message, warnings } = EvaluateRequestCodec.parseJSON(input, options);
  // fromObject builds nested messages as message instances, so every field holds a value.
  const auth = message.runner_auth as RunnerAuthentication | null;
  const request: RuntimeRequest = {
    sessionId: message.session_id,
    agentId: message.agent_id,
    actor: message.actor,
    actionType: message.action_type,
    target: message.target,
    operation: message.requested_operation,
    policyPack: message.policy_pack,
    ...(message.release_governance
      ? {
          releaseGovernance: evidenceToRecord(
            message.release_governance as ReleaseGovernanceEvidence,
            'release_governance',
          ),
        }
      : {}),
    ...(auth
      ? {
          runner: {
            algorithm: auth.algorithm as RunnerAuthAlgorithm,
            keyId: auth.key_id,
            ...(auth.identity
              ? { identity: identityToRecord(auth.identity as RunnerIdentity, 'runner_auth.identity') }
              : {}),
          },
        }
      : {}),
  };
  return { request, warnings };
}

/** parseRuntimeRequest without the warnings. */
export function toRuntimeRequest(input: unknown, options?: ValidateOptions): RuntimeRequest {
  return parseRuntimeRequest(input, options).request;
}

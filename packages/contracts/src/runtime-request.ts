import { EvaluateRequestCodec } from './codec.js';
import type { ContractIssue } from './contract-issue.js';
import type {
  EvaluateRequest,
  ReleaseGovernanceEvidence,
  RunnerAuthentication,
  RunnerIdentity,
} from './messages.js';
import { evidenceToRecord, type ReleaseGovernanceRecord } from './release-governance-record.js';
import type { RunnerAuthAlgorithm } from './runner-auth-algorithm.js';
import { identityToRecord, type RunnerIdentityRecord } from './runner-identity-record.js';
import { EVALUATE_REQUEST_RUNTIME_KEYS, type ValidateOptions } from './validate.js';

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

/** The MCP call an upstream client describes with the extra keys `server`, `tool` and `capability`. */
export interface RuntimeMcpCall {
  readonly server: string;
  readonly tool: string;
  readonly capability: string;
}

/** An EvaluateRequest in the runtime's shape: camelCase, validated, public-safe. */
export interface RuntimeRequest extends RuntimeRequestSubject {
  readonly releaseGovernance?: ReleaseGovernanceRecord;
  readonly runner?: RuntimeRunnerClaims;
  /** Present when the JSON request carried any of `server`, `tool`, `capability` (absent ones are ''). */
  readonly mcp?: RuntimeMcpCall;
  /**
   * The legacy `operation` when it disagrees with `requested_operation` (lenient mode only: strict mode refuses
   * the request). Upstream reads `operation` first, so a rule that depends on the operation judges both.
   */
  readonly legacyOperation?: string;
}

export interface RuntimeRequestResult {
  readonly request: RuntimeRequest;
  /** The validated EvaluateRequest message the request was read from, so a caller never validates it twice. */
  readonly message: EvaluateRequest;
  /** Issues tolerated in lenient mode (unknown fields, a disagreeing legacy operation). */
  readonly warnings: readonly ContractIssue[];
}

/**
 * Converts an EvaluateRequest (decoded message, JSON object or JSON text, legacy `operation` included)
 * into the runtime request. Throws ContractValidationError naming every offending field.
 */
export function parseRuntimeRequest(input: unknown, options?: ValidateOptions): RuntimeRequestResult {
  const { message, warnings } = EvaluateRequestCodec.parseJSON(input, options);
  const value: unknown = typeof input === 'string' ? JSON.parse(input) : input;
  const mcp = mcpCall(value);
  const legacy = isRecord(value) ? value.operation : undefined;
  const legacyOperation =
    typeof legacy === 'string' && legacy !== message.requested_operation ? legacy : undefined;
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
    ...(mcp ? { mcp } : {}),
    ...(legacyOperation !== undefined ? { legacyOperation } : {}),
  };
  return { request, message, warnings };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The runtime keys of a request that passed validation (so JSON text is valid and bounded, and each key is a
 * bounded string when present); a decoded message has none.
 */
function mcpCall(value: unknown): RuntimeMcpCall | undefined {
  if (!isRecord(value)) return undefined;
  const record = value;
  const read = (key: (typeof EVALUATE_REQUEST_RUNTIME_KEYS)[number]) =>
    typeof record[key] === 'string' ? (record[key] as string) : '';
  if (!EVALUATE_REQUEST_RUNTIME_KEYS.some((key) => typeof record[key] === 'string')) return undefined;
  return { server: read('server'), tool: read('tool'), capability: read('capability') };
}

/** parseRuntimeRequest without the warnings. */
export function toRuntimeRequest(input: unknown, options?: ValidateOptions): RuntimeRequest {
  return parseRuntimeRequest(input, options).request;
}

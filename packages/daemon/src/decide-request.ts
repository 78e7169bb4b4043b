import { type AuthenticatedRunner, RunnerAuthError } from '@cavra/auth';
import {
  type ContractIssue,
  ContractValidationError,
  DecisionResponseCodec,
  EvaluateRequestCodec,
  isSafeIdentifier,
  parseRuntimeRequest,
  type RuntimeDecision,
  type RuntimeRequest,
  toDecisionResponse,
} from '@cavra/contracts';
import { publicReleaseRecord } from '@cavra/release-governance';
import { EvaluationError, type RuleOutcome, toRuntimeDecision } from '@cavra/runtime';
import type { EnforcementState } from './enforcement-state.js';
import type { EvidenceAuthentication, EvidenceBody, EvidenceContractWarning } from './evidence-record.js';
import { FrameError } from './protocol.js';

/** Policy id of decisions made by runner authentication rather than by a policy. */
export const RUNNER_AUTH_POLICY_ID = 'cavra-runner-auth';

export interface DecideOptions {
  readonly strictContract: boolean;
  readonly requireRunnerAuth: boolean;
  readonly clock: () => Date;
  readonly ids: () => string;
}

export interface Decided {
  /** The DecisionResponse as JSON, every field present. */
  readonly decision: Record<string, unknown>;
  readonly evidence: Omit<EvidenceBody, 'seq' | 'prev'>;
}

/**
 * One request, from JSON to a decision and its evidence: contract validation (error frame on bad input), runner
 * authentication (a failure is a block decision, never an error), then the engine.
 */
export async function decideRequest(
  json: unknown,
  correlationId: string | undefined,
  frameId: string | null,
  state: EnforcementState,
  options: DecideOptions,
): Promise<Decided> {
  let message: ReturnType<typeof EvaluateRequestCodec.fromJSON>;
  let request: RuntimeRequest;
  let warnings: readonly ContractIssue[];
  try {
    const parsed = EvaluateRequestCodec.parseJSON(json, { strict: options.strictContract });
    const converted = parseRuntimeRequest(parsed.message, { strict: options.strictContract });
    message = parsed.message;
    request = converted.request;
    warnings = [...parsed.warnings, ...converted.warnings];
  } catch (error) {
    if (error instanceof ContractValidationError) throw invalidRequest(frameId, error);
    throw error;
  }

  let runner: AuthenticatedRunner | undefined;
  let authFailure: RunnerAuthError | undefined;
  if (message.runner_auth) {
    if (!state.authenticator) {
      authFailure = new RunnerAuthError(
        'unsupported_algorithm',
        'runner authentication is not configured on this daemon',
      );
    } else {
      try {
        runner = await state.authenticator.authenticate(message);
      } catch (error) {
        if (!(error instanceof RunnerAuthError)) throw error;
        authFailure = error;
      }
    }
  } else if (options.requireRunnerAuth) {
    authFailure = new RunnerAuthError('missing_auth', 'this daemon requires runner authentication');
  }

  let decision: RuntimeDecision;
  if (authFailure) {
    decision = authDecision(request, authFailure, correlationId, options);
  } else {
    try {
      decision = state.engine.evaluate(request, correlationId ? { correlationId } : {});
    } catch (error) {
      if (error instanceof EvaluationError) throw new FrameError(error.code, frameId, error.message);
      throw error;
    }
  }
  const response = DecisionResponseCodec.toJSON(toDecisionResponse(decision), { emitDefaults: true });
  // Stated in every record, so an unauthenticated local agent's decision can never pass for a runner's.
  const authentication: EvidenceAuthentication = runner
    ? 'runner'
    : authFailure
      ? 'rejected'
      : 'unauthenticated_local_agent';
  return {
    decision: response,
    evidence: {
      recorded_at: options.clock().toISOString(),
      decision: response,
      authentication,
      runner: runner ? { ...runner } : null,
      release_governance: request.releaseGovernance ? publicReleaseRecord(request.releaseGovernance) : null,
      // Lenient mode tolerates what strict mode refuses; the record keeps what was tolerated, never silently.
      ...(warnings.length > 0 ? { contract_warnings: warnings.map(publicWarning) } : {}),
    },
  };
}

/** The issue's code and field path; a path that is not a plain identifier (an unknown key's text) is not copied. */
function publicWarning(issue: ContractIssue): EvidenceContractWarning {
  return { code: issue.code, path: isSafeIdentifier(issue.path) ? issue.path : '<not an identifier>' };
}

function authDecision(
  request: RuntimeRequest,
  failure: RunnerAuthError,
  correlationId: string | undefined,
  options: DecideOptions,
): RuntimeDecision {
  const outcome: RuleOutcome = {
    decision: 'block',
    policyId: RUNNER_AUTH_POLICY_ID,
    ruleId: `runner-auth.${failure.code}`,
    severity: 'high',
    reason: failure.message,
    evidenceRefs: [],
    approverGroup: '',
  };
  return toRuntimeDecision(request, outcome, {
    policyPack: request.policyPack,
    decisionId: options.ids(),
    timestamp: options.clock(),
    correlationId: correlationId ?? options.ids(),
  });
}

function invalidRequest(frameId: string | null, error: ContractValidationError): FrameError {
  return new FrameError('invalid_request', frameId, error.message, error.issues);
}

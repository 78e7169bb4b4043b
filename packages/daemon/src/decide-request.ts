import { type AuthenticatedRunner, RunnerAuthError } from '@cavra/auth';
import {
  type ContractIssue,
  ContractValidationError,
  type EvaluateRequest,
  EvaluateRequestCodec,
  isSafeIdentifier,
  parseRuntimeRequest,
  RELEASE_GOVERNANCE_ACTION_TYPE,
  type RuntimeDecision,
  type RuntimeRequest,
  type RuntimeRequestSubject,
} from '@cavra/contracts';
import { isMissingRecord, publicReleaseRecord } from '@cavra/release-governance';
import {
  EvaluationError,
  evaluateWhenReady,
  type IdKind,
  isShellParserLoaded,
  type RuleOutcome,
  toRuntimeDecision,
} from '@cavra/runtime';
import { decisionJson } from './decision-json.js';
import type { EnforcementState } from './enforcement-state.js';
import type { EvidenceAuthentication, EvidenceBody, EvidenceContractWarning } from './evidence-record.js';
import { FrameError } from './protocol.js';

/** Policy id of decisions made by runner authentication rather than by a policy. */
export const RUNNER_AUTH_POLICY_ID = 'cavra-runner-auth';

/** Rule id of every runner-authentication failure: upstream's, so both daemons' blocks read alike. */
export const RUNNER_AUTH_RULE_ID = 'runner_auth.invalid';

/** Policy id of the blocks that answer, in the bare form, a request the daemon could not decide. */
export const DAEMON_POLICY_ID = 'cavra-daemon';

export interface DecideOptions {
  readonly strictContract: boolean;
  readonly requireRunnerAuth: boolean;
  readonly clock: () => Date;
  readonly ids: (kind: IdKind) => string;
  /**
   * The bare (compatibility) form: a request that cannot be decided is answered with a `block` decision
   * (`daemon.<error code>`) instead of an error frame, since a bare client reads every answer as a decision.
   */
  readonly bare: boolean;
}

export interface Decided {
  /** The DecisionResponse as JSON, every field present. */
  readonly decision: Record<string, unknown>;
  readonly evidence: Omit<EvidenceBody, 'seq' | 'prev'>;
}

/**
 * One request, from JSON to a decision and its evidence: contract validation, runner authentication (a failure is a
 * block decision, never an error), then the engine. A request that cannot be decided is a FrameError in the v1
 * form and a `daemon.<code>` block in the bare form. Synchronous (a value or a throw) unless the request carries
 * runner_auth or its command waits for the shell parser: then a promise. Most requests take no promise at all.
 */
export function decideRequest(
  json: unknown,
  correlationId: string | undefined,
  frameId: string | null,
  state: EnforcementState,
  options: DecideOptions,
): Decided | Promise<Decided> {
  let read: Read;
  try {
    // One validation gives both: the message (for runner auth) and the runtime request, read from the JSON since
    // upstream's runtime keys (server, tool, capability) are not proto fields.
    const converted = parseRuntimeRequest(json, { strict: options.strictContract });
    read = { ...converted, request: withDefaultActionType(converted.request) };
  } catch (error) {
    if (!(error instanceof ContractValidationError)) throw error;
    const refused = new FrameError('invalid_request', frameId, error.message, error.issues);
    if (!options.bare) throw refused;
    return refusal(refused, json, correlationId, options, contractReason(error.issues));
  }
  const decide = (checked: Checked) => decideChecked(read, checked, correlationId, frameId, state, options);
  if (read.message.runner_auth) return authenticate(read.message, state).then(decide);
  return decide(
    options.requireRunnerAuth
      ? { authFailure: new RunnerAuthError('missing_auth', 'this daemon requires runner authentication') }
      : {},
  );
}

type Read = {
  readonly message: EvaluateRequest;
  readonly request: RuntimeRequest;
  readonly warnings: readonly ContractIssue[];
};
/** Who the runner is, or why it is not authenticated; neither for a local agent without runner_auth. */
type Checked = { readonly runner?: AuthenticatedRunner; readonly authFailure?: RunnerAuthError };

async function authenticate(message: EvaluateRequest, state: EnforcementState): Promise<Checked> {
  if (!state.authenticator) {
    return {
      authFailure: new RunnerAuthError(
        'unsupported_algorithm',
        'runner authentication is not configured on this daemon',
      ),
    };
  }
  try {
    return { runner: await state.authenticator.authenticate(message) };
  } catch (error) {
    if (!(error instanceof RunnerAuthError)) throw error;
    return { authFailure: error };
  }
}

function decideChecked(
  { request, warnings }: Read,
  { runner, authFailure }: Checked,
  correlationId: string | undefined,
  frameId: string | null,
  state: EnforcementState,
  options: DecideOptions,
): Decided | Promise<Decided> {
  const decided = (decision: RuntimeDecision): Decided => {
    const response = decisionJson(decision);
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
        ...(state.bundle ? { bundle: state.bundle } : {}),
      },
    };
  };
  if (authFailure) return decided(blockDecision(request, authOutcome(authFailure), correlationId, options));
  if (state.block) return decided(blockDecision(request, state.block, correlationId, options));
  const refused = (error: unknown): Decided => {
    if (!(error instanceof EvaluationError)) throw error;
    const frameError = new FrameError(error.code, frameId, error.message);
    if (!options.bare) throw frameError;
    return decided(
      blockDecision(request, refusalOutcome(frameError, frameError.message), correlationId, options),
    );
  };
  const evaluateOptions = correlationId ? { correlationId } : {};
  // Once the shell parser has loaded (nearly always), the engine decides synchronously; before that,
  // evaluateWhenReady decides what needs no parse and makes a command that needs one wait for the parser.
  if (!isShellParserLoaded()) {
    return evaluateWhenReady(state.engine, request, evaluateOptions).then(decided, refused);
  }
  let decision: RuntimeDecision;
  try {
    decision = state.engine.evaluate(request, evaluateOptions);
  } catch (error) {
    return refused(error);
  }
  return decided(decision);
}

/**
 * Release-governance evidence sent without an action type is a release-governance record, as upstream's daemon reads
 * it. Evidence that reports nothing upstream reads leaves the action type empty there too (so the engine's default
 * for an unknown action type decides it in both).
 */
function withDefaultActionType(request: RuntimeRequest): RuntimeRequest {
  if (request.actionType !== '' || isMissingRecord(request.releaseGovernance)) return request;
  return { ...request, actionType: RELEASE_GOVERNANCE_ACTION_TYPE };
}

/**
 * The bare form's answer to a request the daemon could not read or decide (an unreadable frame, a broken contract,
 * a daemon shutting down): a `block` decision with rule id `daemon.<error code>`, echoing each request field that
 * is valid on its own. Nobody was authenticated: the record says `not_checked`.
 */
export function refusal(
  error: FrameError,
  json: unknown,
  correlationId: string | undefined,
  options: Pick<DecideOptions, 'clock' | 'ids'>,
  reason: string = error.message,
): Decided {
  const decision = blockDecision(echoedSubject(json), refusalOutcome(error, reason), correlationId, options);
  const response = decisionJson(decision);
  return {
    decision: response,
    evidence: {
      recorded_at: options.clock().toISOString(),
      decision: response,
      authentication: 'not_checked',
      runner: null,
      release_governance: null,
    },
  };
}

/** The issue's code and field path; a path that is not a plain identifier (an unknown key's text) is not copied. */
function publicWarning(issue: ContractIssue): EvidenceContractWarning {
  return { code: issue.code, path: publicPath(issue.path) };
}

function publicPath(path: string): string {
  return path === '' ? '(root)' : isSafeIdentifier(path) ? path : '<not an identifier>';
}

// A reason lands in the evidence and the answer: issue codes and plain field paths only, never the request's text
// (an issue's message may quote a value), and a bounded number of them.
const MAX_REASON_ISSUES = 8;

function contractReason(issues: readonly ContractIssue[]): string {
  const listed = issues
    .slice(0, MAX_REASON_ISSUES)
    .map((issue) => `${publicPath(issue.path)} (${issue.code})`)
    .join('; ');
  const more = issues.length > MAX_REASON_ISSUES ? `; and ${issues.length - MAX_REASON_ISSUES} more` : '';
  return `the request breaks the EvaluateRequest contract: ${listed}${more}`;
}

function authOutcome(failure: RunnerAuthError): RuleOutcome {
  return {
    decision: 'block',
    policyId: RUNNER_AUTH_POLICY_ID,
    ruleId: RUNNER_AUTH_RULE_ID,
    severity: 'critical',
    // Upstream's wording first, so a reader of either daemon's blocks finds them alike; then our stable code.
    reason: `runner authentication failed: ${failure.code}: ${failure.message}`,
    evidenceRefs: [],
    approverGroup: '',
  };
}

function refusalOutcome(error: FrameError, reason: string): RuleOutcome {
  return {
    decision: 'block',
    policyId: DAEMON_POLICY_ID,
    ruleId: `daemon.${error.code}`,
    severity: 'high',
    reason,
    evidenceRefs: [],
    approverGroup: '',
  };
}

function blockDecision(
  subject: RuntimeRequestSubject,
  outcome: RuleOutcome,
  correlationId: string | undefined,
  options: Pick<DecideOptions, 'clock' | 'ids'>,
): RuntimeDecision {
  return toRuntimeDecision(subject, outcome, {
    policyPack: subject.policyPack,
    decisionId: options.ids('decision'),
    timestamp: options.clock(),
    correlationId: correlationId ?? options.ids('correlation'),
  });
}

const SUBJECT_FIELDS = {
  sessionId: 'session_id',
  agentId: 'agent_id',
  actor: 'actor',
  actionType: 'action_type',
  target: 'target',
  operation: 'requested_operation',
  policyPack: 'policy_pack',
} as const;

/** The request fields of a request that could not be read as a whole: each one kept only if it is valid alone. */
function echoedSubject(json: unknown): RuntimeRequestSubject {
  const object = typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {};
  const value = (field: string): string => {
    const candidate = (object as Record<string, unknown>)[field];
    if (typeof candidate !== 'string') return '';
    return EvaluateRequestCodec.validate({ [field]: candidate }, { strict: true }).ok ? candidate : '';
  };
  const subject = Object.fromEntries(
    Object.entries(SUBJECT_FIELDS).map(([key, field]) => [key, value(field)]),
  ) as Record<keyof RuntimeRequestSubject, string>;
  // The legacy name, as the runtime reads it, when the proto name is absent.
  if (subject.operation === '') subject.operation = value('operation');
  return subject;
}

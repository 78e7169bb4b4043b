import {
  ContractValidationError,
  type DecisionResponse,
  type EvaluateRequest,
  MESSAGE_FIELDS,
  RELEASE_GOVERNANCE_ACTION_TYPE,
  RELEASE_GOVERNANCE_DEFAULT_KIND,
  RELEASE_GOVERNANCE_DEFAULT_OPERATION,
} from '@cavra/contracts/plain';
import { DaemonClientError } from './daemon-client-error.js';
import { type EchoAllowance, upstreamFillIns } from './upstream-fill-ins.js';

/**
 * The pack upstream's daemon, and ours without `default_pack`, decides under when a request names none. The client
 * does not assume it: which pack is in force is the daemon's business (see DecisionCheckOptions.defaultPolicyPack).
 */
export const DEFAULT_POLICY_PACK = 'cavra-ai-agent-baseline';

const FIELD_NAMES: ReadonlySet<string> = new Set(MESSAGE_FIELDS.DecisionResponse.map((field) => field.name));

/**
 * What an empty request field may come back as: the engine fills these in (upstream-compat: `local`,
 * `unknown-agent`, `ai-agent`), and a daemon's auth block may echo the field as empty.
 */
const ECHO_DEFAULTS = {
  session_id: ['local'],
  agent_id: ['unknown-agent'],
  actor: ['ai-agent'],
  action_type: [],
  target: [],
  requested_operation: [],
  policy_pack: [],
} as const satisfies Partial<Record<keyof DecisionResponse, readonly string[]>>;

type EchoedField = keyof typeof ECHO_DEFAULTS;

/**
 * A release-governance request as upstream's daemon answers it: evidence without an action type is a
 * release-governance record, and its decision names the evidence's kind (else a fixed kind) for an empty target, and
 * `verify` as the operation whatever was sent (upstream's answer to evidence it finds missing).
 */
function releaseGovernanceEcho(request: EvaluateRequest): EchoAllowance {
  const evidence = request.release_governance;
  if (!evidence && request.action_type !== RELEASE_GOVERNANCE_ACTION_TYPE) return { ifEmpty: {}, always: {} };
  return {
    ifEmpty: {
      ...(evidence ? { action_type: [RELEASE_GOVERNANCE_ACTION_TYPE] } : {}),
      target: [evidence?.metadata_kind || RELEASE_GOVERNANCE_DEFAULT_KIND],
    },
    always: { requested_operation: [RELEASE_GOVERNANCE_DEFAULT_OPERATION] },
  };
}

export interface DecisionCheckOptions {
  /**
   * Every field must be present: our daemon writes every one (v1). Upstream's writes proto3 JSON without empty
   * fields, so there a missing field reads as empty.
   */
  readonly complete: boolean;
  /**
   * The pack an empty `policy_pack` must come back as (or empty). Undefined: any pack the daemon names, since a
   * request that names none is decided by the daemon's default pack, whichever it is; the answer's `policy_id` says
   * which pack decided. A pack the request names must always come back as itself.
   */
  readonly defaultPolicyPack?: string | undefined;
  /**
   * Accept the target and operation upstream CAVRA's Go daemon names for the request's action type (its fill-ins:
   * `read` / `write` for files, the trimmed command, the target of a git operation sent without one, `:` for an MCP
   * call). Default false: our daemon echoes them.
   */
  readonly upstreamFillIns?: boolean | undefined;
}

/**
 * Accepts a daemon's answer as the decision for `request` only when it is one: a JSON object with snake_case
 * DecisionResponse keys and no other, complete (see `complete`), with a known decision and a rule id, severity and
 * reason, valid under the contract (`parse`: the codec, or the plain validation of `@cavra/contracts/plain`; both
 * throw ContractValidationError), and echoing the request's session, agent, actor, action, target, operation and
 * pack (an empty one may come back as its default; an empty pack as the daemon's default pack). Anything else is a
 * `protocol_error`, never a decision: an answer that is not about this request is not an answer.
 */
export function checkAnswer<D extends Pick<DecisionResponse, EchoedField>>(
  json: unknown,
  request: EvaluateRequest,
  options: DecisionCheckOptions,
  parse: (answer: Record<string, unknown>) => D,
): D {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('is not a JSON object');
  }
  const answer = json as Record<string, unknown>;
  const unknown = Object.keys(answer).find((key) => !FIELD_NAMES.has(key));
  if (unknown !== undefined) {
    throw invalid(
      `has the key ${JSON.stringify(unknown.slice(0, 64))}, which is not a DecisionResponse field`,
    );
  }
  if (options.complete) {
    const missing = [...FIELD_NAMES].filter((name) => !(name in answer));
    if (missing.length > 0) throw invalid(`is incomplete: ${missing.join(', ')} missing`);
  }
  for (const name of ['decision', 'rule_id', 'severity', 'reason'] as const) {
    if (typeof answer[name] !== 'string' || answer[name] === '') throw invalid(`is incomplete: no ${name}`);
  }
  let decision: D;
  try {
    decision = parse(answer);
  } catch (error) {
    if (error instanceof ContractValidationError) throw invalid(`breaks the contract: ${error.message}`);
    throw error;
  }
  const allowance = merge(
    releaseGovernanceEcho(request),
    options.upstreamFillIns ? upstreamFillIns(request) : undefined,
  );
  for (const [name, defaults] of Object.entries(ECHO_DEFAULTS) as [EchoedField, readonly string[]][]) {
    const sent = request[name] ?? '';
    const got = decision[name] ?? '';
    if (got === sent || allowanceOf(allowance.always, name).includes(got)) continue;
    if (sent === '' && (got === '' || fallbackAccepted(name, got, defaults, allowance, options))) continue;
    throw invalid(`does not echo the request's ${name}`);
  }
  return decision;
}

/** Whether `got` is an accepted answer for the field `name` that the request left empty. */
function fallbackAccepted(
  name: EchoedField,
  got: string,
  defaults: readonly string[],
  allowance: EchoAllowance,
  options: DecisionCheckOptions,
): boolean {
  if (name === 'policy_pack')
    return options.defaultPolicyPack === undefined || got === options.defaultPolicyPack;
  return defaults.includes(got) || allowanceOf(allowance.ifEmpty, name).includes(got);
}

function allowanceOf(values: EchoAllowance['always'], name: EchoedField): readonly string[] {
  return (values as Partial<Record<EchoedField, readonly string[]>>)[name] ?? [];
}

/** Both allowances: a value either accepts is accepted. */
function merge(a: EchoAllowance, b: EchoAllowance | undefined): EchoAllowance {
  if (!b) return a;
  const join = (x: EchoAllowance['always'], y: EchoAllowance['always']) => {
    const out: Record<string, readonly string[]> = { ...x };
    for (const [key, values] of Object.entries(y)) out[key] = [...(out[key] ?? []), ...values];
    return out;
  };
  return { ifEmpty: join(a.ifEmpty, b.ifEmpty), always: join(a.always, b.always) };
}

function invalid(problem: string): DaemonClientError {
  return new DaemonClientError('protocol_error', `the daemon's DecisionResponse ${problem}`);
}

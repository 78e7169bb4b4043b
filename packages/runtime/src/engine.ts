import {
  isDecision,
  isSafeName,
  isSeverity,
  RELEASE_GOVERNANCE_ACTION_TYPE,
  RELEASE_GOVERNANCE_DEFAULT_KIND,
  RELEASE_GOVERNANCE_DEFAULT_OPERATION,
  type RuntimeDecision,
  type RuntimeRequest,
} from '@cavra/contracts';
import type { ActionEvaluator, RuleOutcome } from './action-evaluator.js';
import { evaluateCommand } from './command-rules.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { type IdKind, newId } from './decision-ids.js';
import { EvaluationError } from './evaluation-error.js';
import { evaluateRead, evaluateWrite } from './filesystem-rules.js';
import { evaluateGitOperation, evaluatePush } from './git-rules.js';
import type { McpTrustRegistry } from './mcp-registry.js';
import { evaluateMcpCall, mcpCall } from './mcp-rules.js';
import { evaluateNetworkRequest, NETWORK_REQUEST_ACTION_TYPE } from './network-rules.js';
import { quoteTarget } from './quote-target.js';
import { APPROVER_GROUPS, ruleOutcome } from './rule-outcome.js';
import { toRuntimeDecision } from './runtime-decision.js';
import { applyMode, type ModeSettings, RUNTIME_MODES } from './runtime-mode.js';
import { isShellParserLoaded } from './shell-parser.js';
import { BASELINE_PACK_ID } from './shipped-packs.js';

/** What an engine is built from; see the README for defaults. */
export interface EngineOptions {
  readonly packs: readonly CompiledPolicyPack[];
  /**
   * Pack for requests whose policy_pack is empty; defaults to `cavra-ai-agent-baseline` when it is among the packs
   * (upstream's default), else to the only pack when exactly one is given.
   */
  readonly defaultPackId?: string;
  /** Upstream's MCP trust registry (see loadMcpTrustRegistryFile): when given, it decides mcp_tool_call. */
  readonly mcpRegistry?: McpTrustRegistry;
  /** Defaults to `{ mode: 'enforce' }`. */
  readonly mode?: ModeSettings;
  /** Evaluators for action types beyond the policy-pack ones, e.g. `release_governance_record`. */
  readonly evaluators?: readonly ActionEvaluator[];
  /** Clock for timestamps and for evaluators; injectable so tests are exact. */
  readonly clock?: () => Date;
  /**
   * Source of decision ids, and of correlation ids when the caller gives none; default upstream's forms
   * `dec_<12 hex>` and `corr_<12 hex>` (see newId).
   */
  readonly ids?: (kind: IdKind) => string;
  /**
   * Build the engine before the shell parser has loaded (start loading it with loadShellParser, or let the first
   * request that needs it start it). Until it has, `evaluate` throws ShellParserNotLoadedError for a request whose
   * command needs a parse, and evaluateWhenReady waits for it; every other request is decided at once. Default
   * false: createEngine throws when the parser is not loaded.
   */
  readonly deferShellParser?: boolean;
}

/** What the engine fills in for an empty session, agent or actor, as upstream does. */
export const REQUEST_METADATA_DEFAULTS = {
  sessionId: 'local',
  agentId: 'unknown-agent',
  actor: 'ai-agent',
} as const;

/** Per-request options of Engine.evaluate. */
export interface EvaluateOptions {
  /** Ties this decision to the caller's trace; a fresh id when absent. */
  readonly correlationId?: string;
}

/** Decides runtime requests against compiled packs, evaluators and the runtime mode. Immutable once built. */
export interface Engine {
  /**
   * Decides one request. An action type no evaluator knows is `runtime.default.require_approval`, as upstream.
   * Throws EvaluationError for a policy pack that is not loaded.
   */
  evaluate(request: RuntimeRequest, options?: EvaluateOptions): RuntimeDecision;
  readonly packs: ReadonlyMap<string, CompiledPolicyPack>;
  readonly defaultPackId: string | undefined;
  readonly mode: ModeSettings;
  readonly mcpRegistry: McpTrustRegistry | undefined;
}

type PackRule = (
  request: RuntimeRequest,
  pack: CompiledPolicyPack,
  registry?: McpTrustRegistry,
) => RuleOutcome;

/** The action types policy packs decide. */
export const POLICY_PACK_ACTION_TYPES: Readonly<Record<string, PackRule>> = {
  read_file: evaluateRead,
  write_file: evaluateWrite,
  execute_command: evaluateCommand,
  git_push: evaluatePush,
  git_operation: evaluateGitOperation,
  mcp_tool_call: evaluateMcpCall,
  [NETWORK_REQUEST_ACTION_TYPE]: evaluateNetworkRequest,
};

/**
 * Builds an engine. Throws TypeError for a pack given twice, an unknown default pack, an action type with two
 * evaluators (or one that shadows a policy-pack action type), an unknown mode or an unsafe break-glass reason, and,
 * unless `deferShellParser`, when the shell parser is not loaded yet (see loadShellParser).
 */
export function createEngine(options: EngineOptions): Engine {
  // Commands are read by a parser whose grammar loads asynchronously; without it no command could be decided.
  if (!options.deferShellParser && !isShellParserLoaded()) {
    throw new TypeError(
      'the shell parser is not loaded: await loadShellParser() (or load a pack with loadPolicyPackFile or ' +
        'loadBaselinePack) before createEngine',
    );
  }
  const packs = new Map<string, CompiledPolicyPack>();
  for (const pack of options.packs) {
    if (packs.has(pack.id)) throw new TypeError(`policy pack '${pack.id}' is given twice`);
    packs.set(pack.id, pack);
  }
  const defaultPackId =
    options.defaultPackId ??
    (packs.has(BASELINE_PACK_ID) ? BASELINE_PACK_ID : packs.size === 1 ? [...packs.keys()][0] : undefined);
  if (defaultPackId !== undefined && !packs.has(defaultPackId)) {
    throw new TypeError(`default policy pack '${defaultPackId}' is not among the packs`);
  }
  const mode = checkMode(options.mode ?? { mode: 'enforce' });
  const evaluators = new Map<string, ActionEvaluator>();
  for (const evaluator of options.evaluators ?? []) {
    if (evaluator.actionType in POLICY_PACK_ACTION_TYPES || evaluators.has(evaluator.actionType)) {
      throw new TypeError(`action type '${evaluator.actionType}' already has an evaluator`);
    }
    evaluators.set(evaluator.actionType, evaluator);
  }
  const clock = options.clock ?? (() => new Date());
  const ids = options.ids ?? newId;
  const registry = options.mcpRegistry;

  return {
    packs,
    defaultPackId,
    mode,
    mcpRegistry: registry,
    evaluate(request, evaluateOptions = {}) {
      const packId = request.policyPack || defaultPackId;
      const pack = packId === undefined ? undefined : packs.get(packId);
      if (!pack) {
        throw new EvaluationError(
          'unknown_policy_pack',
          packId === undefined
            ? 'the request names no policy pack and there is no default pack'
            : `policy pack '${packId}' is not loaded`,
        );
      }
      const now = clock();
      const outcome = decide(request, pack, evaluators, registry, now);
      const final = applyMode(outcome, mode, request, pack.approverGroup || APPROVER_GROUPS.repositoryOwners);
      const decisionId = ids('decision');
      const subject = decidedSubject(request);
      return toRuntimeDecision(subject, final, {
        policyPack: pack.id,
        decisionId,
        timestamp: now,
        correlationId: evaluateOptions.correlationId || ids('correlation'),
        decisionRef: `evidence://${subject.sessionId}/${decisionId}`,
        evidenceRefs: [`policy:${pack.id}/${pack.version}`, `policy-digest:${pack.digest}`],
      });
    },
  };
}

/**
 * The request fields a decision echoes, as upstream fills them: an empty session, agent or actor becomes its
 * default (REQUEST_METADATA_DEFAULTS); an MCP call given by upstream's keys is echoed with its decided target
 * `server:tool` and, without an operation, the capability or else the tool as its operation; a release-governance
 * record without a target names its evidence's kind (else RELEASE_GOVERNANCE_DEFAULT_KIND), and without an
 * operation `verify`.
 */
function decidedSubject(request: RuntimeRequest): RuntimeRequest {
  const call = request.actionType === 'mcp_tool_call' && request.mcp?.server ? mcpCall(request) : undefined;
  return {
    ...request,
    sessionId: request.sessionId || REQUEST_METADATA_DEFAULTS.sessionId,
    agentId: request.agentId || REQUEST_METADATA_DEFAULTS.agentId,
    actor: request.actor || REQUEST_METADATA_DEFAULTS.actor,
    ...(call
      ? {
          target: request.target || `${call.server}:${call.tool}`,
          operation: request.operation || call.capability || call.tool,
        }
      : {}),
    ...(request.actionType === RELEASE_GOVERNANCE_ACTION_TYPE
      ? {
          target:
            request.target || request.releaseGovernance?.metadataKind || RELEASE_GOVERNANCE_DEFAULT_KIND,
          operation: request.operation || RELEASE_GOVERNANCE_DEFAULT_OPERATION,
        }
      : {}),
  };
}

function decide(
  request: RuntimeRequest,
  pack: CompiledPolicyPack,
  evaluators: ReadonlyMap<string, ActionEvaluator>,
  registry: McpTrustRegistry | undefined,
  now: Date,
): RuleOutcome {
  const packRule = Object.hasOwn(POLICY_PACK_ACTION_TYPES, request.actionType)
    ? POLICY_PACK_ACTION_TYPES[request.actionType]
    : undefined;
  if (packRule) {
    const judged = judgedTarget(request);
    // Every policy-pack action acts on something: without a target there is nothing to judge, so fail closed.
    if (judged.trim() === '') {
      return ruleOutcome(pack, 'request.missing_target', `${request.actionType} request names no target`);
    }
    // A control character has no place in a path, branch or server name, and a NUL ends the string a C library
    // opens (`.env\0x` opens `.env`), so matching the text as written would judge another target: fail closed.
    // Commands keep their blanks (tab, newline, CR, VT, FF), which the shell reads as separators.
    const isCommand = request.actionType === 'execute_command';
    if ((isCommand ? COMMAND_CONTROLS : CONTROLS).test(judged)) {
      return ruleOutcome(
        pack,
        'request.invalid_target',
        `${request.actionType} target holds a control character`,
      );
    }
    return packRule(request, pack, registry);
  }
  const evaluator = evaluators.get(request.actionType);
  if (!evaluator) {
    return ruleOutcome(
      pack,
      'runtime.default.require_approval',
      `no rule knows action type ${quoteTarget(request.actionType)}: review required`,
    );
  }
  const outcome = evaluator.evaluate(request, { now: () => now, pack });
  // A broken evaluator must not turn into an allow, nor put an unchecked decision on the wire: fail closed.
  if (
    !isDecision(outcome.decision) ||
    !isSeverity(outcome.severity) ||
    !outcome.ruleId ||
    !outcome.policyId
  ) {
    return ruleOutcome(
      pack,
      'evaluator.invalid_outcome',
      `the evaluator for ${quoteTarget(request.actionType)} returned an invalid outcome`,
    );
  }
  return outcome;
}

/**
 * What a policy-pack rule judges: the target; for a command without one, the operation; for an MCP call given by
 * upstream's keys, the target or else the server and tool (and every key, so a control character anywhere fails).
 */
function judgedTarget(request: RuntimeRequest): string {
  if (request.actionType === 'execute_command') return request.target || request.operation;
  if (request.actionType === 'mcp_tool_call' && request.mcp?.server) {
    const { server, tool, capability } = request.mcp;
    return `${request.target}${server}:${tool}:${capability}`;
  }
  return request.target;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const COMMAND_CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f]/;

function checkMode(settings: ModeSettings): ModeSettings {
  if (!RUNTIME_MODES.includes(settings.mode)) {
    throw new TypeError(
      `unknown runtime mode '${String(settings.mode)}' (known: ${RUNTIME_MODES.join(', ')})`,
    );
  }
  const reason = settings.breakGlass?.reason;
  if (reason !== undefined && (!isSafeName(reason) || reason.length > 200)) {
    throw new TypeError('break-glass reason must be a single line of at most 200 characters');
  }
  return settings;
}

import { randomUUID } from 'node:crypto';
import {
  isDecision,
  isSafeName,
  isSeverity,
  type RuntimeDecision,
  type RuntimeRequest,
} from '@cavra/contracts';
import type { ActionEvaluator, RuleOutcome } from './action-evaluator.js';
import { evaluateCommand } from './command-rules.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { EvaluationError } from './evaluation-error.js';
import { evaluateRead, evaluateWrite } from './filesystem-rules.js';
import { evaluatePush } from './git-rules.js';
import { evaluateMcpCall } from './mcp-rules.js';
import { quoteTarget } from './quote-target.js';
import { packOutcome } from './rule-outcome.js';
import { toRuntimeDecision } from './runtime-decision.js';
import { applyMode, type ModeSettings, RUNTIME_MODES } from './runtime-mode.js';

/** What an engine is built from; see the README for defaults. */
export interface EngineOptions {
  readonly packs: readonly CompiledPolicyPack[];
  /** Pack for requests whose policy_pack is empty; defaults to the only pack when exactly one is given. */
  readonly defaultPackId?: string;
  /** Defaults to `{ mode: 'enforce' }`. */
  readonly mode?: ModeSettings;
  /** Evaluators for action types beyond the policy-pack ones, e.g. `release_governance_record`. */
  readonly evaluators?: readonly ActionEvaluator[];
  /** Clock for timestamps and for evaluators; injectable so tests are exact. */
  readonly clock?: () => Date;
  /** Source of decision ids, and of correlation ids when the caller gives none. */
  readonly ids?: () => string;
}

/** Per-request options of Engine.evaluate. */
export interface EvaluateOptions {
  /** Ties this decision to the caller's trace; a fresh id when absent. */
  readonly correlationId?: string;
}

/** Decides runtime requests against compiled packs, evaluators and the runtime mode. Immutable once built. */
export interface Engine {
  /** Decides one request. Throws EvaluationError for an unknown action type or policy pack. */
  evaluate(request: RuntimeRequest, options?: EvaluateOptions): RuntimeDecision;
  readonly packs: ReadonlyMap<string, CompiledPolicyPack>;
  readonly defaultPackId: string | undefined;
  readonly mode: ModeSettings;
}

type PackRule = (request: RuntimeRequest, pack: CompiledPolicyPack) => RuleOutcome;

/** The action types policy packs decide. */
export const POLICY_PACK_ACTION_TYPES: Readonly<Record<string, PackRule>> = {
  read_file: evaluateRead,
  write_file: evaluateWrite,
  execute_command: evaluateCommand,
  git_push: evaluatePush,
  mcp_tool_call: evaluateMcpCall,
};

/**
 * Builds an engine. Throws TypeError for a pack given twice, an unknown default pack, an action type with two
 * evaluators (or one that shadows a policy-pack action type), an unknown mode or an unsafe break-glass reason.
 */
export function createEngine(options: EngineOptions): Engine {
  const packs = new Map<string, CompiledPolicyPack>();
  for (const pack of options.packs) {
    if (packs.has(pack.id)) throw new TypeError(`policy pack '${pack.id}' is given twice`);
    packs.set(pack.id, pack);
  }
  const defaultPackId = options.defaultPackId ?? (packs.size === 1 ? [...packs.keys()][0] : undefined);
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
  const ids = options.ids ?? randomUUID;

  return {
    packs,
    defaultPackId,
    mode,
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
      const outcome = decide(request, pack, evaluators, now);
      const final = applyMode(outcome, mode, request, pack.approverGroup);
      return toRuntimeDecision(request, final, {
        policyPack: pack.id,
        decisionId: ids(),
        timestamp: now,
        correlationId: evaluateOptions.correlationId || ids(),
        evidenceRefs: [`policy:${pack.id}/${pack.version}`, `policy-digest:${pack.digest}`],
      });
    },
  };
}

function decide(
  request: RuntimeRequest,
  pack: CompiledPolicyPack,
  evaluators: ReadonlyMap<string, ActionEvaluator>,
  now: Date,
): RuleOutcome {
  const packRule = POLICY_PACK_ACTION_TYPES[request.actionType];
  if (packRule) {
    // Every policy-pack action acts on something: without a target there is nothing to judge, so fail closed.
    if (
      request.target.trim() === '' &&
      !(request.actionType === 'execute_command' && request.operation.trim())
    ) {
      return packOutcome(
        pack,
        'block',
        'request.missing_target',
        `${request.actionType} request names no target`,
      );
    }
    // A control character has no place in a path, branch or server name, and a NUL ends the string a C library
    // opens (`.env\0x` opens `.env`), so matching the text as written would judge another target: fail closed.
    // Commands keep their blanks (tab, newline, CR, VT, FF), which the shell reads as separators.
    const isCommand = request.actionType === 'execute_command';
    const judged = isCommand ? request.target || request.operation : request.target;
    if ((isCommand ? COMMAND_CONTROLS : CONTROLS).test(judged)) {
      return packOutcome(
        pack,
        'block',
        'request.invalid_target',
        `${request.actionType} target holds a control character`,
      );
    }
    return packRule(request, pack);
  }
  const evaluator = evaluators.get(request.actionType);
  if (!evaluator) {
    throw new EvaluationError(
      'unknown_action_type',
      `no evaluator for action type ${quoteTarget(request.actionType)} (known: ${[
        ...Object.keys(POLICY_PACK_ACTION_TYPES),
        ...evaluators.keys(),
      ].join(', ')})`,
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
    return packOutcome(
      pack,
      'block',
      'evaluator.invalid_outcome',
      `the evaluator for ${quoteTarget(request.actionType)} returned an invalid outcome`,
    );
  }
  return outcome;
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

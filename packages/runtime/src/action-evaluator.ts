import type { Decision, RuntimeRequest, Severity } from '@cavra/contracts';
import type { CompiledPolicyPack } from './compile-policy-pack.js';

/**
 * What a rule concluded about one request, before runtime modes are applied and before the engine
 * stamps decision id, timestamp and correlation id.
 */
export interface RuleOutcome {
  readonly decision: Decision;
  /** Identifier of the policy that decided, e.g. the pack id or `release-governance`. */
  readonly policyId: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly reason: string;
  readonly evidenceRefs: readonly string[];
  /** Group that may approve; empty unless decision is require_approval. */
  readonly approverGroup: string;
}

/** Facts the engine hands to an evaluator besides the request. */
export interface EvaluationContext {
  /** Injectable clock: evaluators must read time from here, never from Date.now(). */
  readonly now: () => Date;
  /** The pack the request names (or the engine's default pack). */
  readonly pack: CompiledPolicyPack;
}

/**
 * Decides requests of one action type. The engine's built-in evaluators cover the policy-pack
 * action types; others (e.g. @cavra/release-governance for `release_governance_record`) register one.
 */
export interface ActionEvaluator {
  readonly actionType: string;
  evaluate(request: RuntimeRequest, context: EvaluationContext): RuleOutcome;
}

import type { RuntimeDecision, RuntimeRequestSubject } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';

/** What a decision carries besides the request and the outcome: who decided under which pack, when, and ids. */
export interface DecisionStamp {
  /** The pack the decision was made under (the engine's default pack when the request named none). */
  readonly policyPack: string;
  readonly decisionId: string;
  /** Written as RFC 3339 UTC. */
  readonly timestamp: Date;
  readonly correlationId: string;
  /**
   * The decision's own reference (the engine's `evidence://<session>/<decision id>`), first of all: upstream's
   * decisions carry it as `evidence_refs[0]`, and upstream's fixtures check that place.
   */
  readonly decisionRef?: string;
  /** References appended after the outcome's own, e.g. the pack's `policy:` and `policy-digest:` refs. */
  readonly evidenceRefs?: readonly string[];
}

/**
 * The RuntimeDecision for a request and the outcome that decided it, stamped: the one place a decision is put
 * together, for the engine and for callers that decide outside it (e.g. the daemon's runner authentication).
 */
export function toRuntimeDecision(
  request: RuntimeRequestSubject,
  outcome: RuleOutcome,
  stamp: DecisionStamp,
): RuntimeDecision {
  return {
    sessionId: request.sessionId,
    agentId: request.agentId,
    actor: request.actor,
    actionType: request.actionType,
    target: request.target,
    operation: request.operation,
    policyPack: stamp.policyPack,
    decisionId: stamp.decisionId,
    policyId: outcome.policyId,
    ruleId: outcome.ruleId,
    decision: outcome.decision,
    severity: outcome.severity,
    reason: outcome.reason,
    evidenceRefs: [
      ...(stamp.decisionRef ? [stamp.decisionRef] : []),
      ...outcome.evidenceRefs,
      ...(stamp.evidenceRefs ?? []),
    ],
    approverGroup: outcome.approverGroup,
    timestamp: stamp.timestamp.toISOString(),
    correlationId: stamp.correlationId,
  };
}

import { DecisionResponseCodec } from './codec.js';
import type { Decision } from './decision.js';
import type { DecisionResponse } from './messages.js';
import type { PlainDecisionResponse } from './plain-message.js';
import type { RuntimeRequestSubject } from './runtime-request.js';
import type { Severity } from './severity.js';
import type { ValidateOptions } from './validate.js';

/** A decision in the runtime's shape (camelCase); converts losslessly to and from DecisionResponse. */
export interface RuntimeDecision extends RuntimeRequestSubject {
  readonly decisionId: string;
  readonly policyId: string;
  readonly ruleId: string;
  readonly decision: Decision;
  readonly severity: Severity;
  readonly reason: string;
  readonly evidenceRefs: readonly string[];
  readonly approverGroup: string;
  /** RFC 3339, UTC. */
  readonly timestamp: string;
  readonly correlationId: string;
}

/** Builds the wire DecisionResponse from a runtime decision; throws ContractValidationError. */
export function toDecisionResponse(decision: RuntimeDecision): DecisionResponse {
  return DecisionResponseCodec.create(decisionResponseFields(decision));
}

/**
 * A runtime decision's DecisionResponse fields, snake_case, every one, in field-number order (the order the JSON of
 * the answer and of its evidence record has), as a plain object: not validated, so only for a decision whose fields
 * the caller vouches for, or to hand to `DecisionResponseCodec.create`.
 */
export function decisionResponseFields(decision: RuntimeDecision): PlainDecisionResponse {
  return {
    decision_id: decision.decisionId,
    session_id: decision.sessionId,
    agent_id: decision.agentId,
    actor: decision.actor,
    action_type: decision.actionType,
    target: decision.target,
    requested_operation: decision.operation,
    policy_pack: decision.policyPack,
    policy_id: decision.policyId,
    rule_id: decision.ruleId,
    decision: decision.decision,
    severity: decision.severity,
    reason: decision.reason,
    evidence_refs: [...decision.evidenceRefs],
    approver_group: decision.approverGroup,
    timestamp: decision.timestamp,
    correlation_id: decision.correlationId,
  };
}

/**
 * Reads a DecisionResponse (decoded message, JSON object or JSON text) into the runtime shape.
 * Throws ContractValidationError, e.g. for an unknown decision string.
 */
export function fromDecisionResponse(response: unknown, options?: ValidateOptions): RuntimeDecision {
  const message = DecisionResponseCodec.fromJSON(response, options);
  return {
    decisionId: message.decision_id,
    sessionId: message.session_id,
    agentId: message.agent_id,
    actor: message.actor,
    actionType: message.action_type,
    target: message.target,
    operation: message.requested_operation,
    policyPack: message.policy_pack,
    policyId: message.policy_id,
    ruleId: message.rule_id,
    decision: message.decision as Decision,
    severity: message.severity as Severity,
    reason: message.reason,
    evidenceRefs: [...message.evidence_refs],
    approverGroup: message.approver_group,
    timestamp: message.timestamp,
    correlationId: message.correlation_id,
  };
}

import type { Decision, Severity } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';

const SEVERITY_BY_DECISION: Record<Decision, Severity> = {
  block: 'high',
  require_approval: 'medium',
  warn: 'low',
  audit_only: 'info',
  allow_with_attestation: 'low',
  allow: 'info',
};

/** The outcome of a policy-pack rule: severity follows the decision, approvals go to the pack's group. */
export function packOutcome(
  pack: CompiledPolicyPack,
  decision: Decision,
  ruleId: string,
  reason: string,
): RuleOutcome {
  return {
    decision,
    policyId: pack.id,
    ruleId,
    severity: SEVERITY_BY_DECISION[decision],
    reason,
    evidenceRefs: [],
    approverGroup: decision === 'require_approval' ? pack.approverGroup : '',
  };
}

/** Decision strictness: block beats require_approval beats warn beats the allowing decisions. */
export const DECISION_RANK: Record<Decision, number> = {
  block: 5,
  require_approval: 4,
  warn: 3,
  allow_with_attestation: 2,
  audit_only: 1,
  allow: 0,
};

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

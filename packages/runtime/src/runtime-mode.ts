import type { RuntimeRequestSubject } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';

/** The runtime policy modes (see the README's modes table). */
export const RUNTIME_MODES = ['audit_only', 'enforce', 'strict', 'break_glass'] as const;
/** One of RUNTIME_MODES. */
export type RuntimeMode = (typeof RUNTIME_MODES)[number];

/** The engine-wide runtime mode. */
export interface ModeSettings {
  readonly mode: RuntimeMode;
  /** Required justification for `break_glass`; `actors`, when given, limits who may break glass. */
  readonly breakGlass?: { readonly reason: string; readonly actors?: readonly string[] };
}

/**
 * Applies the runtime mode to a policy outcome (see the README's modes table):
 * - audit_only: never blocks. Anything but `allow` becomes `audit_only`, keeping the rule and saying what
 *   enforcement would have decided.
 * - enforce: the policy decision as is.
 * - strict: blocks and approvals stay; every other decision (allow, warn, allow_with_attestation) requires approval
 *   from the outcome's approver group, or `fallbackApproverGroup` (the pack's group) when it names none.
 * - break_glass: block unless the request names an actor and the mode carries a reason (and, with an actor list,
 *   the actor is on it); then `allow_with_attestation`, whatever the policy said.
 */
export function applyMode(
  outcome: RuleOutcome,
  settings: ModeSettings,
  subject: RuntimeRequestSubject,
  fallbackApproverGroup: string,
): RuleOutcome {
  switch (settings.mode) {
    case 'enforce':
      return outcome;
    case 'audit_only':
      return outcome.decision === 'allow'
        ? outcome
        : {
            ...outcome,
            decision: 'audit_only',
            approverGroup: '',
            reason: `audit only, enforcement would ${outcome.decision}: ${outcome.reason}`,
          };
    case 'strict':
      return outcome.decision === 'block' || outcome.decision === 'require_approval'
        ? outcome
        : {
            ...outcome,
            decision: 'require_approval',
            // At least medium: upstream's allow rules are `low`, and a person is now asked.
            severity: outcome.severity === 'info' || outcome.severity === 'low' ? 'medium' : outcome.severity,
            approverGroup: outcome.approverGroup || fallbackApproverGroup,
            reason: `strict mode requires approval for ${outcome.decision}: ${outcome.reason}`,
          };
    case 'break_glass':
      return breakGlass(outcome, settings, subject);
  }
}

function breakGlass(
  outcome: RuleOutcome,
  settings: ModeSettings,
  subject: RuntimeRequestSubject,
): RuleOutcome {
  const reason = settings.breakGlass?.reason.trim() ?? '';
  const actors = settings.breakGlass?.actors;
  const justified = subject.actor !== '' && reason !== '' && (!actors || actors.includes(subject.actor));
  if (!justified) {
    return {
      ...outcome,
      decision: 'block',
      ruleId: 'mode.break_glass.unjustified',
      severity: 'high',
      approverGroup: '',
      reason:
        subject.actor === ''
          ? 'break glass needs an actor: the request names none'
          : reason === ''
            ? 'break glass needs a reason: the mode carries none'
            : `actor is not allowed to break glass`,
    };
  }
  return {
    ...outcome,
    decision: 'allow_with_attestation',
    ruleId: 'mode.break_glass',
    severity: 'high',
    approverGroup: '',
    reason: `break glass (${reason}); policy would ${outcome.decision} by ${outcome.ruleId}`,
  };
}

import type { Decision, Severity } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';

/** What a rule id always decides, with what severity, and who approves (upstream's decision table, plus ours). */
interface RuleSpec {
  readonly decision: Decision;
  readonly severity: Severity;
  readonly approverGroup: string;
}

/** Approver groups of upstream's decision table. */
export const APPROVER_GROUPS = {
  platformSecurity: 'Platform Security',
  repositoryOwners: 'Repository Owners',
  aiGovernance: 'AI Governance',
} as const;

const block = (severity: Severity = 'high'): RuleSpec => ({ decision: 'block', severity, approverGroup: '' });
const allow: RuleSpec = { decision: 'allow', severity: 'low', approverGroup: '' };
const approval = (severity: Severity, approverGroup: string): RuleSpec => ({
  decision: 'require_approval',
  severity,
  approverGroup,
});

/**
 * Every rule id the built-in evaluators decide with. The upstream ids keep upstream's decision, severity and
 * approver group; which pattern matched (and its index) is in the reason, never in the id. The `request.*`,
 * `git.require_ai_attestation`, `network.*` and `evaluator.*` ids are ours: upstream has no such rule (see the README's
 * deliberate differences).
 */
export const RULES = {
  'filesystem.read.block': block(),
  'filesystem.write.block': block(),
  'filesystem.write.require_approval': approval('high', APPROVER_GROUPS.platformSecurity),
  'filesystem.read.allow': allow,
  'filesystem.write.allow': allow,
  'commands.block': block(),
  'commands.allow': allow,
  'commands.default.require_approval': approval('medium', APPROVER_GROUPS.repositoryOwners),
  'git.protected_branch.block_direct_push': block(),
  'git.allow': allow,
  'git.require_ai_attestation': { decision: 'allow_with_attestation', severity: 'low', approverGroup: '' },
  'mcp.server.trust.block_unknown': block(),
  'mcp.server.trust.allow': allow,
  'mcp.registry.unknown': block(),
  'mcp.registry.blocked': block(),
  'mcp.registry.requires_approval': approval('medium', APPROVER_GROUPS.aiGovernance),
  'mcp.registry.tool_scope': approval('medium', APPROVER_GROUPS.aiGovernance),
  'mcp.registry.capability_scope': approval('medium', APPROVER_GROUPS.aiGovernance),
  'mcp.registry.allow': allow,
  'network.domain.block': block(),
  'network.domain.require_approval': approval('medium', APPROVER_GROUPS.platformSecurity),
  'network.domain.allow': allow,
  'network.default.require_approval': approval('medium', APPROVER_GROUPS.platformSecurity),
  'runtime.default.require_approval': approval('medium', APPROVER_GROUPS.repositoryOwners),
  'request.missing_target': block(),
  'request.invalid_target': block(),
  'evaluator.invalid_outcome': block(),
} as const satisfies Record<string, RuleSpec>;

/** A rule id the built-in evaluators decide with. */
export type RuleId = keyof typeof RULES;

/**
 * The outcome of a built-in rule: decision, severity and approver group come from RULES (a pack's
 * `metadata.approver_group`, when set, names the approvers instead); `severity` overrides the table where upstream
 * varies it (a blocked command that applies or deletes is `critical`).
 */
export function ruleOutcome(
  pack: CompiledPolicyPack,
  ruleId: RuleId,
  reason: string,
  severity?: Severity,
): RuleOutcome {
  const spec: RuleSpec = RULES[ruleId];
  return {
    decision: spec.decision,
    policyId: pack.id,
    ruleId,
    severity: severity ?? spec.severity,
    reason,
    evidenceRefs: [],
    approverGroup: spec.approverGroup === '' ? '' : pack.approverGroup || spec.approverGroup,
  };
}

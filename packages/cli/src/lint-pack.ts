import type { Decision } from '@cavra/contracts';
import {
  type CompiledPolicyPack,
  createDecisionExplainer,
  patternLists,
  type RuleTrial,
} from '@cavra/runtime';
import { isProtectedPattern } from './protected-set.js';
import { requestFrom } from './request-input.js';

/** A rule that never decides what it says. */
export interface LintFinding {
  /** `shadowed`: an earlier pattern of the same list matches what it matches; `overridden`: a pattern of a list
   * checked first, with a stricter decision, does. */
  readonly kind: 'shadowed' | 'overridden';
  /** The rule found wanting, e.g. `commands.allow[2]`, and its pattern. */
  readonly rule: string;
  readonly pattern: string;
  /** The rule that takes its place. */
  readonly by: string;
  readonly byPattern: string;
  /** The request the finding was shown with. */
  readonly example: string;
}

/** The action type whose requests each pattern list judges; a list not named here is not linted. */
const LIST_ACTION_TYPES: Readonly<Record<string, string>> = {
  'filesystem.block_read': 'read_file',
  'filesystem.block_write': 'write_file',
  'filesystem.require_approval_write': 'write_file',
  'commands.allow': 'execute_command',
  'commands.block': 'execute_command',
  'commands.require_approval': 'execute_command',
  'git.block_push_branches': 'git_push',
  'mcp.allowed_servers': 'mcp_tool_call',
  'mcp.blocked_servers': 'mcp_tool_call',
};

// Strictness order of the compatibility spec: a stricter decision takes precedence.
const STRICTNESS: readonly Decision[] = [
  'allow',
  'audit_only',
  'allow_with_attestation',
  'warn',
  'require_approval',
  'block',
];

/**
 * Semantic checks of a pack. Each pattern is turned into an example request (every `*`, `**` and `?` replaced by
 * `x`: `terraform apply *` becomes `terraform apply x`) and decided by the engine with every pattern tried on its own
 * (see `createDecisionExplainer`). If an earlier pattern of the same list also matches the example, the rule is
 * `shadowed`; if a pattern with a stricter decision matches it, the rule is `overridden` (e.g. an allow pattern that
 * a block pattern also matches never allows). It is a check by example: a finding is certain for that example,
 * and a pattern whose example it does not match itself is not judged.
 */
export function lintPolicyPack(pack: CompiledPolicyPack): LintFinding[] {
  const explainer = createDecisionExplainer(pack);
  const findings: LintFinding[] = [];
  for (const [list, patterns] of patternLists(pack.resolved)) {
    const actionType = LIST_ACTION_TYPES[list];
    if (!actionType) continue;
    patterns.forEach((pattern, index) => {
      // The runtime's protected set: a stricter rule of the pack covering one of its patterns is no finding.
      if (isProtectedPattern(list, pattern)) return;
      const example = pattern.replace(/\*\*|\*|\?/g, 'x');
      let tried: readonly RuleTrial[];
      try {
        ({ tried } = explainer.explain(requestFrom({ action_type: actionType, target: example }, list)));
      } catch {
        return; // the example is not a request the contract takes (too long, a control character): not judged
      }
      const self = tried.find((trial) => trial.list === list && trial.index === index);
      if (!self?.outcome) return;
      const finding = (kind: LintFinding['kind'], by: RuleTrial) =>
        findings.push({
          kind,
          rule: `${list}[${index}]`,
          pattern,
          by: `${by.list}[${by.index}]`,
          byPattern: by.pattern,
          example,
        });
      const earlier = tried.find((trial) => trial.list === list && trial.index < index && trial.matched);
      if (earlier) finding('shadowed', earlier);
      const own = STRICTNESS.indexOf(self.outcome.decision);
      const stricter = tried.find(
        (trial) => trial.list !== list && trial.outcome && STRICTNESS.indexOf(trial.outcome.decision) > own,
      );
      if (stricter) finding('overridden', stricter);
    });
  }
  return findings;
}

import type { RuleOutcome } from './action-evaluator.js';
import { codeLoadingOption } from './code-loading-options.js';
import type { JudgedPart } from './command-reading.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { opaqueCode } from './inner-commands.js';
import { quoteTarget } from './quote-target.js';
import { reachingMain, reachOutcome } from './reaching-main.js';
import { ruleOutcome } from './rule-outcome.js';
import { secretDump } from './secret-dumps.js';

/**
 * The command tables' decision on a command's parts, in every spelling: the first part that reaches a protected
 * branch another way than `git push` blocks (`git.protected_branch.block_direct_push`, reaching-main); otherwise
 * the first part that runs code the policy cannot read (inner-commands), passes a runner a code-loading option
 * (code-loading-options), prints secrets without naming a file (secret-dumps) or reaches the server in a way a
 * human decides (reaching-main) requires approval (`commands.default.require_approval`, the reason says which).
 * Undefined when no table speaks.
 */
export function tableOutcome(
  judged: readonly JudgedPart[],
  pack: CompiledPolicyPack,
): RuleOutcome | undefined {
  let ask: { part: string; why: string } | undefined;
  for (const { part, wordForms } of judged) {
    for (const form of wordForms) {
      const reach = reachingMain(form);
      if (reach) {
        const outcome = reachOutcome(reach, pack, part);
        if ('decision' in outcome) return outcome;
        ask ??= { part, why: outcome.why };
      }
      const why = opaqueCode(form) ?? loads(form) ?? secretDump(form);
      if (why !== undefined) ask ??= { part, why };
    }
  }
  if (ask === undefined) return undefined;
  return ruleOutcome(
    pack,
    'commands.default.require_approval',
    `command ${quoteTarget(ask.part)} ${ask.why}: it requires approval`,
  );
}

function loads(form: readonly string[]): string | undefined {
  const option = codeLoadingOption(form);
  return option === undefined
    ? undefined
    : `passes ${quoteTarget(option)}, which makes the runner load code or act outside what an allow rule speaks for`;
}

import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import { hasFileRedirection, hasSubstitution, splitCommand } from './command-pattern.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { quoteTarget } from './quote-target.js';
import { packOutcome } from './rule-outcome.js';

/**
 * execute_command: the command is the request's target (its operation when the target is empty). Each simple
 * command of a compound one (`a && b`, `a | b`, `a; b`) is judged: any blocked part blocks, then any part that
 * requires approval, then command substitution and output redirection to a file require approval, then every
 * part must be on the allow list; a part on no list requires approval (fail closed: `commands.default`).
 * A command made only of operators (`;`) names nothing to run and is blocked like a missing target.
 */
export function evaluateCommand(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const command = request.target || request.operation;
  const parts = splitCommand(command);
  if (parts.length === 0) {
    return packOutcome(pack, 'block', 'request.missing_target', 'execute_command request names no command');
  }
  const { commandBlock, commandRequireApproval, commandAllow } = pack.matchers;
  for (const part of parts) {
    const index = commandBlock.match(part);
    if (index >= 0) {
      return packOutcome(
        pack,
        'block',
        `commands.block[${index}]`,
        `command ${quoteTarget(part)} is blocked by pattern '${pack.resolved.commands.block[index]}'`,
      );
    }
  }
  for (const part of parts) {
    const index = commandRequireApproval.match(part);
    if (index >= 0) {
      return packOutcome(
        pack,
        'require_approval',
        `commands.require_approval[${index}]`,
        `command ${quoteTarget(part)} requires approval (pattern '${pack.resolved.commands.require_approval[index]}')`,
      );
    }
  }
  if (hasSubstitution(command)) {
    return packOutcome(
      pack,
      'require_approval',
      'commands.substitution',
      'command substitution runs commands the policy cannot see',
    );
  }
  if (hasFileRedirection(command)) {
    return packOutcome(
      pack,
      'require_approval',
      'commands.redirection',
      'output redirection writes files the filesystem rules cannot see',
    );
  }
  let firstAllow = -1;
  for (const part of parts) {
    const index = commandAllow.match(part);
    if (index < 0) {
      return packOutcome(
        pack,
        'require_approval',
        'commands.default',
        `command ${quoteTarget(part)} is not on the allow list`,
      );
    }
    if (firstAllow < 0) firstAllow = index;
  }
  return packOutcome(
    pack,
    'allow',
    `commands.allow[${firstAllow}]`,
    `command allowed by pattern '${pack.resolved.commands.allow[firstAllow]}'`,
  );
}

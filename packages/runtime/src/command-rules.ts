import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import { commandWords } from './command-arguments.js';
import { hasExpansion, hasFileRedirection, hasSubstitution, splitCommand } from './command-pattern.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { normalizePath } from './path-pattern.js';
import { quoteTarget } from './quote-target.js';
import { packOutcome } from './rule-outcome.js';

/**
 * execute_command: the command is the request's target (its operation when the target is empty). Each simple
 * command of a compound one (`a && b`, `a | b`, `a; b`) is judged: any blocked part blocks, then any argument
 * naming a file that `filesystem.block_read` blocks and any redirection target that `filesystem.block_write`
 * blocks, then any part that requires approval, then command substitution, expansion (variables, globs, braces)
 * and output redirection to a file require approval, then every part must be on the allow list; a part on no
 * list requires approval (fail closed: `commands.default`).
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
  // After the command block list, so a blocked command keeps its own rule id; before anything that could
  // allow or ask for approval, so `git show *` on the allow list cannot read `HEAD:.env`.
  const namesBlocked = blockedFileWord(parts, pack);
  if (namesBlocked) return namesBlocked;
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
  if (hasExpansion(command)) {
    return packOutcome(
      pack,
      'require_approval',
      'commands.expansion',
      'variable, glob or brace expansion makes the command run with words the policy cannot see',
    );
  }
  if (hasFileRedirection(command)) {
    return packOutcome(
      pack,
      'require_approval',
      'commands.redirection',
      'output redirection writes a file, which requires approval',
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

/**
 * The first word (in part and word order) naming a path the filesystem rules block: an argument on
 * `filesystem.block_read` (the command may read it) or an output redirection target on `filesystem.block_write`.
 * A part with a backslash is read twice: as a POSIX shell would (backslash escapes) and with backslashes as path
 * separators (Windows), since the engine does not know the shell.
 */
function blockedFileWord(parts: readonly string[], pack: CompiledPolicyPack): RuleOutcome | undefined {
  const { blockRead, blockWrite } = pack.matchers;
  const { block_read, block_write } = pack.resolved.filesystem;
  for (const part of parts) {
    const readings = [commandWords(part)];
    if (part.includes('\\')) readings.push(commandWords(part.replaceAll('\\', '/')));
    for (const word of readings.flatMap((reading) => reading.args)) {
      const hit = firstMatch(namedPaths(word), blockRead);
      if (hit) {
        return packOutcome(
          pack,
          'block',
          `filesystem.block_read[${hit.index}]`,
          `command ${quoteTarget(part)} names ${quoteTarget(hit.path)}, which is blocked for reading by pattern '${block_read[hit.index]}'`,
        );
      }
    }
    for (const word of readings.flatMap((reading) => reading.writes)) {
      const hit = firstMatch([normalizePath(word)], blockWrite);
      if (hit) {
        return packOutcome(
          pack,
          'block',
          `filesystem.block_write[${hit.index}]`,
          `command ${quoteTarget(part)} writes ${quoteTarget(hit.path)}, which is blocked for writing by pattern '${block_write[hit.index]}'`,
        );
      }
    }
  }
  return undefined;
}

/** The lowest pattern index any path matches (it names the rule), with the last path that matched it. */
function firstMatch(
  paths: readonly string[],
  matcher: CompiledPolicyPack['matchers']['blockRead'],
): { index: number; path: string } | undefined {
  let best: { index: number; path: string } | undefined;
  for (const path of paths) {
    const index = matcher.match(path);
    if (index >= 0 && (best === undefined || index <= best.index)) best = { index, path };
  }
  return best;
}

/**
 * The paths one argument word may name, normalised: the word itself, the value of `--opt=value` (or `if=value`,
 * after the first `=`), and for `rev:path` (`HEAD:.env`) the part after the first `:` of either.
 */
function namedPaths(word: string): string[] {
  const forms = [word];
  const equals = word.indexOf('=');
  if (equals >= 0) forms.push(word.slice(equals + 1));
  for (const form of [...forms]) {
    const colon = form.indexOf(':');
    if (colon >= 0) forms.push(form.slice(colon + 1));
  }
  return forms.filter((form) => form !== '').map(normalizePath);
}

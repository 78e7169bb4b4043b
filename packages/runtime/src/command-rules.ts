import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import { allowListText } from './allow-list-text.js';
import { type JudgedPart, readCommand } from './command-reading.js';
import { tableOutcome } from './command-tables.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import {
  codeVariableChange,
  heldByDeleted,
  lostDirectory,
  outsideDirectoryChange,
  outsideWrite,
  protectedDirectoryChange,
  treeDelete,
} from './file-effect-rules.js';
import { gitPush } from './git-refspec.js';
import { pushOutcome } from './git-rules.js';
import { firstMatch, locatedPaths } from './located-paths.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';
import { runnerOverride } from './runner-options.js';
import { type ParsedCommand, parseCommand } from './shell-parser.js';

/**
 * execute_command: the command is the request's target (its operation when the target is empty), its line
 * continuations joined as bash joins them, read by the shell parser (parseCommand). The block and approval lists are
 * matched against the whole command as sent (upstream's reading) and against every spelling of each simple command
 * it may run (in lists, pipelines, groups, loops, substitutions, and the inner commands of `sh -c`, `find -exec`,
 * `git rebase -x`, `pnpm exec`, ...: see inner-commands): any match blocks
 * (`commands.block`, `critical` when the command applies or deletes). Then any argument naming a file that
 * `filesystem.block_read` blocks and any redirection target, option value or file written by argument
 * (argumentEffects) that `filesystem.block_write` blocks (`filesystem.read.block`, `filesystem.write.block`), each
 * path also seen from every folder an earlier `cd` may lead to (workingDirectories), and any delete of `/` or a home
 * folder (`filesystem.write.block`), then a `git push` to a protected or unknowable branch
 * (`git.protected_branch.block_direct_push`), then the command tables (command-tables: a protected branch reached
 * another way blocks; code the policy cannot read, a runner's code-loading option, a secret dump or another reach of
 * the server requires approval), then any approval pattern, option value or file written by argument on
 * `require_approval_write`, a variable set that changes what runs (codeVariableSet), a command after a `cd` to an
 * unknowable folder, command substitution, expansion (variables, globs, braces), output redirection to a file or
 * text the parser could not read requires approval (`commands.default.require_approval`, or
 * `filesystem.write.require_approval` for the written file). Last, the whole command must match an allow pattern as
 * upstream reads it, and so must every part, since a pattern's `*` must never cover a second command (`terraform
 * plan*` does not allow `terraform plan; rm -rf /`), no delete may reach the working tree itself or outside it
 * (deletedReach), and no part may pass a runner option that changes what runs; otherwise approval
 * (`commands.default.require_approval`). Which list, pattern and index decided is in the reason.
 * A command made only of operators (`;`) or comments names nothing to run and is blocked like a missing target.
 */
export function evaluateCommand(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const { whole, parsed, runsNothing, flags, judged } = readCommand(request.target || request.operation);
  if (runsNothing) {
    return ruleOutcome(pack, 'request.missing_target', 'execute_command request names no command');
  }
  const { commandBlock, commandRequireApproval, commandAllow } = pack.matchers;
  const { commands } = pack.resolved;
  const blocked = listMatch(whole, judged, commandBlock);
  if (blocked) {
    return ruleOutcome(
      pack,
      'commands.block',
      `command ${quoteTarget(blocked.part)} is blocked by pattern '${commands.block[blocked.index]}' (commands.block[${blocked.index}])`,
      // Upstream's severity rule, read on the whole command as upstream reads it.
      /apply|delete/.test(whole) ? 'critical' : 'high',
    );
  }
  // After the command block list, so a blocked command keeps its own rule id; before anything that could
  // allow or ask for approval, so `git show *` on the allow list cannot read `HEAD:.env`.
  const namesBlocked =
    blockedFileWord(judged, pack) ?? treeDelete(judged, pack, 'root') ?? heldByDeleted(judged, pack, 'block');
  if (namesBlocked) return namesBlocked;
  const push = protectedPush(judged, pack);
  if (push) return push;
  // The command tables (inner commands, code-loading options, secret dumps, ways to reach a protected branch).
  const tabled = tableOutcome(judged, pack);
  if (tabled) return tabled;
  const gated = listMatch(whole, judged, commandRequireApproval);
  if (gated) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      `command ${quoteTarget(gated.part)} requires approval (pattern '${commands.require_approval[gated.index]}', commands.require_approval[${gated.index}])`,
    );
  }
  const gatedWrite = gatedOptionWrite(judged, pack) ?? heldByDeleted(judged, pack, 'require_approval');
  if (gatedWrite) return gatedWrite;
  const effect = lostDirectory(judged, pack) ?? codeVariableChange(judged, pack);
  if (effect) return effect;
  if (flags.substitution) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      'command substitution runs commands the policy cannot see',
    );
  }
  if (flags.expansion) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      'variable, glob or brace expansion makes the command run with words the policy cannot see',
    );
  }
  if (flags.unreadable) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      'the shell parser cannot read all of the command, so it may run commands the policy cannot see',
    );
  }
  // Read as run (a pack's commands.allow_list_reading): harmless leading assignments and package selectors
  // (allowListText) are not part of what an allow pattern names, nor are the parentheses of a subshell that is the
  // whole command. As written (the default, upstream's reading): the command as sent.
  const asRun = pack.resolved.commands.allow_list_reading === 'as_run';
  const allowText = (text: string, words: readonly string[]) => (asRun ? allowListText(text, words) : text);
  const allowed = commandAllow.match(
    asRun ? allowListText(subshellBody(whole, parsed) ?? whole, judged[0]?.words ?? []) : whole,
  );
  if (allowed < 0) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      `command ${quoteTarget(whole)} is not on the allow list`,
    );
  }
  // Only now, so a command on no list keeps upstream's reason: an allowed `rm *` or `cd *` never covers these.
  const outside =
    treeDelete(judged, pack, 'outside') ??
    outsideWrite(judged, pack) ??
    protectedDirectoryChange(judged, pack) ??
    outsideDirectoryChange(judged, pack);
  if (outside) return outside;
  for (const { part, words, wordForms, allowable } of judged) {
    if (!allowable) continue;
    // In every spelling: `"npm" run x --script-shell=…` and `env npm run x …` run npm too.
    const override = wordForms.map(runnerOverride).find((option) => option !== undefined);
    if (override !== undefined) {
      return ruleOutcome(
        pack,
        'commands.default.require_approval',
        `command ${quoteTarget(part)} passes ${quoteTarget(override)}, which changes what the runner runs: no allow rule covers it`,
      );
    }
    if (commandAllow.match(allowText(part, words)) < 0) {
      return ruleOutcome(
        pack,
        'commands.default.require_approval',
        `command ${quoteTarget(part)} is not on the allow list`,
      );
    }
  }
  return ruleOutcome(
    pack,
    'commands.allow',
    `command allowed by pattern '${commands.allow[allowed]}' (commands.allow[${allowed}])`,
  );
}

/**
 * The text inside the parentheses when the whole command is one subshell (`(cd packages/x && npm test)`), read by
 * the allow list as the command itself would be: it runs the same simple commands (each of which must still match an
 * allow pattern), only in a child shell, so its `cd` does not outlive it. Undefined for anything else: the text
 * between the outer parentheses must parse, readable, into the very simple commands of the whole (`(a) && (b)`
 * does not).
 */
function subshellBody(whole: string, parsed: ParsedCommand): string | undefined {
  if (!whole.startsWith('(') || !whole.endsWith(')')) return undefined;
  const body = whole.slice(1, -1).trim();
  const inner = parseCommand(body);
  const same =
    !inner.unreadable &&
    inner.commands.length === parsed.commands.length &&
    inner.commands.every((command, index) => command.text === parsed.commands[index]?.text);
  return same ? body : undefined;
}

/**
 * The lowest pattern index matching the whole command as sent or any spelling of any part, with the text that
 * matched it (the whole command or the part).
 */
function listMatch(
  whole: string,
  judged: readonly JudgedPart[],
  matcher: CompiledPolicyPack['matchers']['commandBlock'],
): { index: number; part: string } | undefined {
  let best: { index: number; part: string } | undefined;
  const wholeIndex = matcher.match(whole);
  if (wholeIndex >= 0) best = { index: wholeIndex, part: whole };
  for (const { part, forms } of judged) {
    const index = firstIndex(forms, matcher);
    if (index >= 0 && (best === undefined || index < best.index)) best = { index, part };
  }
  return best;
}

/**
 * The first `git push` (in any spelling: `git -C dir push`, `env git push`) that may update a protected branch, or
 * whose destination cannot be known from its words (`git push`, `git push origin HEAD`, `--all`, a glob): pushes
 * are judged like `git_push` requests, and what cannot be read is decided as a protected branch is.
 */
function protectedPush(judged: readonly JudgedPart[], pack: CompiledPolicyPack): RuleOutcome | undefined {
  for (const { part, wordForms } of judged) {
    for (const form of wordForms) {
      const destinations = gitPush(form);
      if (destinations === undefined) continue;
      const outcome = pushOutcome(destinations, pack, part);
      if (outcome.decision === 'block') return outcome;
    }
  }
  return undefined;
}

/** The lowest pattern index any spelling matches, or -1. */
function firstIndex(
  forms: readonly string[],
  matcher: CompiledPolicyPack['matchers']['commandBlock'],
): number {
  let best = -1;
  for (const form of forms) {
    const index = matcher.match(form);
    if (index >= 0 && (best < 0 || index < best)) best = index;
  }
  return best;
}

/**
 * The first word (in part and word order) naming a path the filesystem rules block: an argument on
 * `filesystem.block_read` (the command may read it), an output redirection target or an option value on
 * `filesystem.block_write` (the command may write it: `git diff --output=.git/config`).
 */
function blockedFileWord(judged: readonly JudgedPart[], pack: CompiledPolicyPack): RuleOutcome | undefined {
  const { blockRead, blockWrite } = pack.matchers;
  const { block_read, block_write } = pack.resolved.filesystem;
  for (const { part, args, writes, optionWrites, argumentWrites, directories } of judged) {
    for (const word of args) {
      const hit = firstMatch(namedPaths(word, directories), blockRead);
      if (hit) {
        return ruleOutcome(
          pack,
          'filesystem.read.block',
          `command ${quoteTarget(part)} names ${quoteTarget(hit.path)}, which is blocked for reading by pattern '${block_read[hit.index]}' (filesystem.block_read[${hit.index}])`,
        );
      }
    }
    const hit = firstMatch(
      locatedPaths([...writes, ...optionWrites, ...argumentWrites], directories),
      blockWrite,
    );
    if (hit) {
      return ruleOutcome(
        pack,
        'filesystem.write.block',
        `command ${quoteTarget(part)} writes ${quoteTarget(hit.path)}, which is blocked for writing by pattern '${block_write[hit.index]}' (filesystem.block_write[${hit.index}])`,
      );
    }
  }
  return undefined;
}

/**
 * The first redirection target, option value or written argument on `filesystem.require_approval_write`: the
 * command may write it, so a human decides.
 */
function gatedOptionWrite(judged: readonly JudgedPart[], pack: CompiledPolicyPack): RuleOutcome | undefined {
  const { require_approval_write } = pack.resolved.filesystem;
  for (const { part, writes, optionWrites, argumentWrites, directories } of judged) {
    const hit = firstMatch(
      locatedPaths([...writes, ...optionWrites, ...argumentWrites], directories),
      pack.matchers.requireApprovalWrite,
    );
    if (hit) {
      return ruleOutcome(
        pack,
        'filesystem.write.require_approval',
        `command ${quoteTarget(part)} may write ${quoteTarget(hit.path)}, which requires approval (pattern '${require_approval_write[hit.index]}', filesystem.require_approval_write[${hit.index}])`,
      );
    }
  }
  return undefined;
}

/**
 * The paths one argument word may name, normalised: the word itself, the value of `--opt=value` (or `if=value`,
 * after the first `=`), the value of a short option written with it (`-O.env`), the value of each later item of a
 * comma-separated `key=value` list (`id=x,src=.env`), and for `rev:path` (`HEAD:.env`) the part after the first
 * `:` of any of these.
 */
function namedPaths(word: string, directories: readonly string[] | undefined): string[] {
  const forms = [word];
  const equals = word.indexOf('=');
  if (equals >= 0) forms.push(word.slice(equals + 1));
  if (/^-[^-]./.test(word)) forms.push(word.slice(2));
  // A list of `key=value` items (`docker build --secret id=x,src=.env`): each value.
  for (const item of word.split(',').slice(1)) forms.push(item.slice(item.indexOf('=') + 1));
  for (const form of [...forms]) {
    const colon = form.indexOf(':');
    if (colon >= 0) forms.push(form.slice(colon + 1));
  }
  return locatedPaths(
    forms.filter((form) => form !== ''),
    directories,
  );
}

import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import { allowListText } from './allow-list-text.js';
import { argumentEffects } from './argument-writes.js';
import { commandForms } from './command-forms.js';
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
import { innerCommands } from './inner-commands.js';
import { firstMatch, locatedPaths } from './located-paths.js';
import { withoutNonPathOptions } from './non-path-options.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';
import { runnerOverride } from './runner-options.js';
import { joinLineContinuations, type ParsedCommand, parseCommand } from './shell-parser.js';
import { workingDirectories } from './working-directory.js';

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
  // Line continuations joined as bash joins them (`cat .e\⏎nv` runs `cat .env`), also for the whole-command lists.
  const command = joinLineContinuations(request.target || request.operation);
  const whole = command.trim();
  const parsed = parseCommand(command);
  // Only operators (`;`) or a comment: nothing to run, and nothing the allow list could speak for.
  if (parsed.commands.length === 0 || !/[^\s;&|]/.test(command)) {
    return ruleOutcome(pack, 'request.missing_target', 'execute_command request names no command');
  }
  const { commandBlock, commandRequireApproval, commandAllow } = pack.matchers;
  const { commands } = pack.resolved;
  const flags: Flags = {
    substitution: parsed.substitution,
    expansion: parsed.expansion,
    unreadable: parsed.unreadable,
  };
  const parts = judgedParts(parsed, flags, 0);
  // The engine does not know the shell: a backslash may also be a Windows path separator (`type C:\x\.env`).
  if (command.includes('\\')) {
    parts.push(...judgedParts(parseCommand(command.replaceAll('\\', '/')), { ...flags }, 0, false));
  }
  const directories = workingDirectories(parts.map((part) => part.wordForms));
  const judged = parts.map((part, index) => ({ ...part, directories: directories[index] }));
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

/** A simple command to judge: as written, the files it names or redirects, and its spellings (commandForms). */
export interface JudgedPart {
  readonly part: string;
  /** Its words as parsed, leading assignments first. */
  readonly words: readonly string[];
  /** Words that may name files it reads: arguments and `<` targets. */
  readonly args: readonly string[];
  readonly writes: readonly string[];
  readonly forms: readonly string[];
  readonly wordForms: readonly (readonly string[])[];
  /** Paths its option values name (see optionValues): files it may write. */
  readonly optionWrites: readonly string[];
  /** Paths its arguments write or delete, by what the command is known to do with them (argumentEffects). */
  readonly argumentWrites: readonly string[];
  readonly deletes: readonly string[];
  /** The folders it may run in (workingDirectories), undefined when a `cd` before it makes that unknowable. */
  readonly directories?: readonly string[] | undefined;
  /** Whether the allow list decides it: not for the extra Windows reading of a command with backslashes. */
  readonly allowable: boolean;
}

const NO_FLAGS = { substitution: false, expansion: false, redirection: false, unreadable: false };

/** What makes a command's words unknowable, from its parse and those of the scripts its shells run. */
type Flags = { -readonly [K in 'substitution' | 'expansion' | 'unreadable']: boolean };

// How deep `sh -c "sh -c '…'"` is followed; deeper scripts are still judged as the words of their shell.
const MAX_SHELL_DEPTH = 3;
// How many spellings of one part are searched for inner commands, and how many words the distinct inner commands
// of one command may hold, before the rest is unreadable (approval): `eval eval … x` would otherwise multiply.
const MAX_INNER_FORMS = 32;
const MAX_INNER_WORDS = 512;
interface Budget {
  words: number;
  readonly seen: Set<string>;
}

/**
 * The simple commands with their spellings, followed by those of every inner command a part runs (inner-commands:
 * `bash -c 'cat .env'` runs `cat .env`, `find . -exec sudo x \;` runs `sudo x`): an inner command is a command like
 * any other, not an opaque argument, and what its parser could not read or saw expanded counts in `flags` as for
 * the command itself. Text that is only a guess at the inner command (`watch -n 1 x`) is not decided by the allow
 * list.
 */
function judgedParts(
  parsed: ParsedCommand,
  flags: Flags,
  depth: number,
  allowable = true,
  budget: Budget = { words: MAX_INNER_WORDS, seen: new Set() },
): JudgedPart[] {
  const judged: JudgedPart[] = [];
  for (const { text, words, reads, writes } of parsed.commands) {
    const wordForms = commandForms(words);
    // The words that may name files: without the values of options known to name something else (`--context prod`).
    const pathWords = withoutNonPathOptions(words);
    const args = [...pathWords.slice(1), ...reads];
    const effects = wordForms.map(argumentEffects);
    judged.push({
      part: text,
      words,
      args,
      writes,
      forms: [text, ...wordForms.map((form) => form.join(' '))],
      wordForms,
      optionWrites: optionValues(pathWords.slice(1)),
      argumentWrites: effects.flatMap((effect) => effect.writes),
      deletes: effects.flatMap((effect) => effect.deletes),
      allowable,
    });
    if (depth >= MAX_SHELL_DEPTH) continue;
    // Inner commands multiply with the words (`eval eval … x`): past the budget, the rest is not read.
    if (wordForms.length > MAX_INNER_FORMS) flags.unreadable = true;
    for (const form of wordForms.slice(0, MAX_INNER_FORMS)) {
      const { scripts, commands } = innerCommands(form);
      const inner = [
        ...scripts.map(({ text, exact }) => ({
          key: `${exact}\0${text}`,
          exact,
          size: text.split(/\s+/).length,
          read: () => parseCommand(text),
        })),
        ...commands.map((words) => ({
          key: `words\0${words.join('\0')}`,
          exact: true,
          size: words.length,
          read: () => ({ ...NO_FLAGS, commands: [{ text: words.join(' '), words, reads: [], writes: [] }] }),
        })),
      ];
      for (const { key, exact, size, read } of inner) {
        if (budget.seen.has(key)) continue;
        budget.seen.add(key);
        budget.words -= size;
        if (budget.words < 0) {
          flags.unreadable = true;
          continue;
        }
        const parsedInner = read();
        flags.substitution ||= parsedInner.substitution;
        flags.expansion ||= parsedInner.expansion;
        flags.unreadable ||= parsedInner.unreadable;
        judged.push(...judgedParts(parsedInner, flags, depth + 1, allowable && exact, budget));
      }
    }
  }
  return judged;
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
 * Words a command may take as a file to write, since the engine does not know which options write: every value
 * after `=` (`--output=x`, `of=x`) and the word after a long option (`--output x`; `--` itself is none).
 */
function optionValues(args: readonly string[]): string[] {
  const values: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] as string;
    if (word === '--') continue;
    const equals = word.indexOf('=');
    if (equals >= 0) values.push(word.slice(equals + 1));
    else if (word.startsWith('--') && index + 1 < args.length) values.push(args[index + 1] as string);
  }
  return values.filter((value) => value !== '');
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

import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import { type CommandWords, commandWords } from './command-arguments.js';
import { commandForms, shellScript } from './command-forms.js';
import { hasExpansion, hasFileRedirection, hasSubstitution, splitCommand } from './command-pattern.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { normalizePath } from './path-pattern.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';

/**
 * execute_command: the command is the request's target (its operation when the target is empty). The block and
 * approval lists are matched against the whole command as sent (upstream's reading) and against every spelling
 * of each simple command of a compound one (`a && b`, `a | b`, `a; b`): any match blocks (`commands.block`,
 * `critical` when the command applies or deletes). Then any argument naming a file that `filesystem.block_read`
 * blocks and any redirection target or option value that `filesystem.block_write` blocks (`filesystem.read.block`,
 * `filesystem.write.block`), then any approval pattern, option value on `require_approval_write`, command
 * substitution, expansion (variables, globs, braces) or output redirection to a file requires approval
 * (`commands.default.require_approval`, or `filesystem.write.require_approval` for the option value). Last, the
 * whole command must match an allow pattern as upstream reads it, and so must every part, since a pattern's `*`
 * must never cover a second command (`terraform plan*` does not allow `terraform plan; rm -rf /`); otherwise
 * approval (`commands.default.require_approval`). Which list, pattern and index decided is in the reason.
 * A command made only of operators (`;`) names nothing to run and is blocked like a missing target.
 */
export function evaluateCommand(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const command = request.target || request.operation;
  const whole = command.trim();
  const parts = splitCommand(command);
  if (parts.length === 0) {
    return ruleOutcome(pack, 'request.missing_target', 'execute_command request names no command');
  }
  const { commandBlock, commandRequireApproval, commandAllow } = pack.matchers;
  const { commands } = pack.resolved;
  const judged = judgedParts(parts, 0);
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
  const namesBlocked = blockedFileWord(judged, pack);
  if (namesBlocked) return namesBlocked;
  const gated = listMatch(whole, judged, commandRequireApproval);
  if (gated) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      `command ${quoteTarget(gated.part)} requires approval (pattern '${commands.require_approval[gated.index]}', commands.require_approval[${gated.index}])`,
    );
  }
  const gatedWrite = gatedOptionWrite(judged, pack);
  if (gatedWrite) return gatedWrite;
  if (hasSubstitution(command)) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      'command substitution runs commands the policy cannot see',
    );
  }
  if (hasExpansion(command)) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      'variable, glob or brace expansion makes the command run with words the policy cannot see',
    );
  }
  if (hasFileRedirection(command)) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      'output redirection writes a file, which requires approval',
    );
  }
  const allowed = commandAllow.match(whole);
  if (allowed < 0) {
    return ruleOutcome(
      pack,
      'commands.default.require_approval',
      `command ${quoteTarget(whole)} is not on the allow list`,
    );
  }
  for (const part of parts) {
    if (commandAllow.match(part) < 0) {
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

/** A simple command to judge: as written, its words (each reading) and its spellings (see commandForms). */
interface JudgedPart {
  readonly part: string;
  readonly readings: readonly CommandWords[];
  readonly forms: readonly string[];
  /** Normalised paths its option values name (see optionValues): files it may write. */
  readonly optionWrites: readonly string[];
}

// How deep `sh -c "sh -c '…'"` is followed; deeper scripts are still judged as the words of their shell.
const MAX_SHELL_DEPTH = 3;

/**
 * The parts with their readings and spellings, followed by the parts of every script a shell part runs
 * (`bash -c 'cat .env'` runs `cat .env`): a shell's script is a command like any other, not an opaque argument.
 * A part with a backslash is read twice: as a POSIX shell would (backslash escapes) and with backslashes as path
 * separators (Windows), since the engine does not know the shell.
 */
function judgedParts(parts: readonly string[], depth: number): JudgedPart[] {
  const judged: JudgedPart[] = [];
  for (const part of parts) {
    const words = commandWords(part);
    const readings = part.includes('\\') ? [words, commandWords(part.replaceAll('\\', '/'))] : [words];
    const forms = commandForms(words);
    judged.push({
      part,
      readings,
      forms: [part, ...forms.map((form) => form.join(' '))],
      optionWrites: readings.flatMap((reading) => optionValues(reading.args)).map(normalizePath),
    });
    if (depth >= MAX_SHELL_DEPTH) continue;
    for (const form of forms) {
      const script = shellScript(form);
      if (script !== undefined) judged.push(...judgedParts(splitCommand(script), depth + 1));
    }
  }
  return judged;
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
  for (const { part, readings, optionWrites } of judged) {
    for (const word of readings.flatMap((reading) => reading.args)) {
      const hit = firstMatch(namedPaths(word), blockRead);
      if (hit) {
        return ruleOutcome(
          pack,
          'filesystem.read.block',
          `command ${quoteTarget(part)} names ${quoteTarget(hit.path)}, which is blocked for reading by pattern '${block_read[hit.index]}' (filesystem.block_read[${hit.index}])`,
        );
      }
    }
    const redirected = readings.flatMap((reading) => reading.writes).map(normalizePath);
    const hit = firstMatch([...redirected, ...optionWrites], blockWrite);
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

/** The first option value on `filesystem.require_approval_write`: the command may write it, so a human decides. */
function gatedOptionWrite(judged: readonly JudgedPart[], pack: CompiledPolicyPack): RuleOutcome | undefined {
  const { require_approval_write } = pack.resolved.filesystem;
  for (const { part, optionWrites } of judged) {
    const hit = firstMatch(optionWrites, pack.matchers.requireApprovalWrite);
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

import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import { type CommandWords, commandWords } from './command-arguments.js';
import { commandForms, shellScript } from './command-forms.js';
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
  const judged = judgedParts(parts, 0);
  for (const { part, forms } of judged) {
    const index = firstIndex(forms, commandBlock);
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
  const namesBlocked = blockedFileWord(judged, pack);
  if (namesBlocked) return namesBlocked;
  for (const { part, forms } of judged) {
    const index = firstIndex(forms, commandRequireApproval);
    if (index >= 0) {
      return packOutcome(
        pack,
        'require_approval',
        `commands.require_approval[${index}]`,
        `command ${quoteTarget(part)} requires approval (pattern '${pack.resolved.commands.require_approval[index]}')`,
      );
    }
  }
  const gatedWrite = gatedOptionWrite(judged, pack);
  if (gatedWrite) return gatedWrite;
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
        return packOutcome(
          pack,
          'block',
          `filesystem.block_read[${hit.index}]`,
          `command ${quoteTarget(part)} names ${quoteTarget(hit.path)}, which is blocked for reading by pattern '${block_read[hit.index]}'`,
        );
      }
    }
    const redirected = readings.flatMap((reading) => reading.writes).map(normalizePath);
    const hit = firstMatch([...redirected, ...optionWrites], blockWrite);
    if (hit) {
      return packOutcome(
        pack,
        'block',
        `filesystem.block_write[${hit.index}]`,
        `command ${quoteTarget(part)} writes ${quoteTarget(hit.path)}, which is blocked for writing by pattern '${block_write[hit.index]}'`,
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
      return packOutcome(
        pack,
        'require_approval',
        `filesystem.require_approval_write[${hit.index}]`,
        `command ${quoteTarget(part)} may write ${quoteTarget(hit.path)}, which requires approval (pattern '${require_approval_write[hit.index]}')`,
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

import { type ParseEntry, parse } from 'shell-quote';
import { switchesRepository } from './repository-switches.js';

/** One `git push` found in a shell command. */
export interface GitPush {
  /** The refspecs named on the command line (`main`, `HEAD:refs/heads/main`, `+feature`), in order. */
  readonly refspecs: readonly string[];
  /** `--all`, `--mirror` or `--branches`: every local branch is pushed. */
  readonly everyBranch: boolean;
  /** The repository directory given with `git -C`, relative to the command's working directory. */
  readonly directory?: string;
  /** The remote named on the command line (`origin`), when one is. */
  readonly remote?: string;
  /** The command's words, and whether this push is the command's only simple command. */
  readonly words: readonly string[];
  readonly alone: boolean;
  /**
   * Whether a variable assignment or a git option other than `-C` comes before `push` (`GIT_DIR=x git push`, `git
   * -c push.default=current push`): where it goes may then differ from what the repository says.
   */
  readonly configured: boolean;
  /**
   * Whether this push is one plain simple command of the command's top-level list (joined by `&&`, `||`, `;` or a
   * newline; not in a pipeline, subshell, substitution or `bash -c` script; no redirection), after no command that
   * may change the repository or branch (repository-switches): then its text may be replaced (spelledPush).
   */
  readonly listed: boolean;
  /** Where its words are in the command's tokens (`tokens(command)`). */
  readonly at: number;
}

/** One simple command: its words, where they start in the tokens, and how it sits in the command. */
interface SimpleCommand {
  readonly words: string[];
  readonly at: number;
  /** No redirection, at the top level, between list operators only. */
  readonly listed: boolean;
}

const SEPARATORS = new Set(['||', '&&', ';;', '|&', '&', ';', '(', ')', '|', '<(']);
const REDIRECTIONS = new Set(['<', '>', '>>', '>&']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh']);
const PREFIX_COMMANDS = new Set(['env', 'command', 'exec', 'nohup', 'time', 'nice']);
/** git's global options that take the next word as their value. */
const GIT_VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--config-env']);
/** `git push` options that take the next word as their value. */
const PUSH_VALUE_OPTIONS = new Set(['-o', '--push-option', '--repo', '--receive-pack', '--exec']);
const EVERY_BRANCH = new Set(['--all', '--mirror', '--branches']);

/**
 * Every `git push` in a shell command, read with a shell tokenizer (quotes, escapes and operators as the shell
 * reads them; `bash -c '…'` scripts are read too). Variables are kept as written (`$BRANCH`), not expanded:
 * the command rules already require approval for a command that expands one. Line continuations are not joined
 * here: commandActions joins them first (`joinLineContinuations` from `@cavra/runtime`), as bash does.
 */
export function gitPushes(command: string): GitPush[] {
  const pushes: GitPush[] = [];
  const commands = simpleCommands(tokens(command));
  let switched = false;
  for (const { words, at, listed } of commands) {
    const push = gitPush(words, commands.length === 1);
    if (push) pushes.push({ ...push, listed: listed && !switched, at });
    const [shell, flag, script] = words;
    if (shell !== undefined && SHELLS.has(basename(shell)) && flag === '-c' && script !== undefined) {
      // The rewrite of a push (commandActions) is of the command's own text, never of a script inside it.
      pushes.push(...gitPushes(script).map((push) => ({ ...push, alone: false, listed: false })));
    }
    switched ||= switchesRepository(words);
  }
  return pushes;
}

/**
 * The command's text with the push at `push` replaced by `spelled`, or undefined when that push's words cannot be
 * found as exactly their text joined by single spaces: the replacement must read, token for token, as the command
 * with only that push's words changed.
 */
export function spelledPush(command: string, push: GitPush, spelled: readonly string[]): string | undefined {
  if (!push.listed || command.includes('<<')) return undefined;
  const text = push.words.join(' ');
  const before = tokens(command);
  const expected = JSON.stringify([
    ...before.slice(0, push.at),
    ...spelled,
    ...before.slice(push.at + push.words.length),
  ]);
  const found: string[] = [];
  for (let from = command.indexOf(text); from >= 0; from = command.indexOf(text, from + 1)) {
    const replaced = command.slice(0, from) + spelled.join(' ') + command.slice(from + text.length);
    if (JSON.stringify(tokens(replaced)) === expected) found.push(replaced);
  }
  return found.length === 1 ? found[0] : undefined;
}

/**
 * The command's shell tokens. shell-quote reads a newline as a space; bash ends a command there, so newlines are
 * read as `;` unless that changes a token other than by the added `;` (a newline inside quotes).
 */
function tokens(command: string): ParseEntry[] {
  const read = (text: string) => parse(text, (name) => `$${name}`);
  const asWritten = read(command);
  if (!command.includes('\n')) return asWritten;
  const listed = read(command.replaceAll('\n', ';\n'));
  const withoutSemicolons = (entries: ParseEntry[]) =>
    JSON.stringify(
      entries.filter((entry) => typeof entry === 'string' || !('op' in entry) || entry.op !== ';'),
    );
  return withoutSemicolons(listed) === withoutSemicolons(asWritten) ? listed : asWritten;
}

const LIST_OPERATORS = new Set(['&&', '||', ';']);

function simpleCommands(entries: readonly ParseEntry[]): SimpleCommand[] {
  const commands: SimpleCommand[] = [];
  let words: string[] = [];
  let at = 0;
  let redirected = false;
  let plain = true;
  let depth = 0;
  let listedBefore = true;
  const end = (listedAfter: boolean) => {
    if (words.length > 0) {
      commands.push({ words, at, listed: plain && listedBefore && listedAfter && depth === 0 });
      listedBefore = true;
    }
    words = [];
    plain = true;
    redirected = false;
  };
  for (const [index, entry] of entries.entries()) {
    if (typeof entry === 'string' || ('op' in entry && entry.op === 'glob')) {
      if (words.length === 0) at = index;
      if (typeof entry !== 'string') plain = false;
      if (redirected) redirected = false;
      else words.push(typeof entry === 'string' ? entry : entry.pattern);
    } else if ('comment' in entry) {
      break;
    } else if (REDIRECTIONS.has(entry.op)) {
      redirected = true;
      plain = false;
    } else if (SEPARATORS.has(entry.op)) {
      const listOperator = LIST_OPERATORS.has(entry.op);
      // The command before this operator ends here; one after it follows a list operator only if all were.
      const hadWords = words.length > 0;
      end(listOperator);
      if (!hadWords) listedBefore &&= listOperator;
      else listedBefore = listOperator;
      if (entry.op === '(' || entry.op === '<(') depth++;
      // What follows a closed group is judged by the operators after it (`(make) && git push`).
      if (entry.op === ')') {
        depth--;
        listedBefore = true;
      }
    } else {
      plain = false;
    }
  }
  end(true);
  return commands;
}

function gitPush(words: readonly string[], alone: boolean): Omit<GitPush, 'listed' | 'at'> | undefined {
  let at = 0;
  while (at < words.length && (isAssignment(words[at] ?? '') || PREFIX_COMMANDS.has(words[at] ?? ''))) at++;
  if (basename(words[at] ?? '') !== 'git') return undefined;
  let configured = words.slice(0, at).some(isAssignment);
  at++;
  let directory: string | undefined;
  for (; at < words.length; at++) {
    const word = words[at] ?? '';
    if (!word.startsWith('-')) break;
    if (word !== '-C') configured = true;
    if (GIT_VALUE_OPTIONS.has(word)) {
      if (word === '-C') directory = words[at + 1];
      at++;
    }
  }
  if (words[at] !== 'push') return undefined;
  const positional: string[] = [];
  let everyBranch = false;
  for (at++; at < words.length; at++) {
    const word = words[at] ?? '';
    if (word === '--') {
      positional.push(...words.slice(at + 1));
      break;
    }
    if (EVERY_BRANCH.has(word)) everyBranch = true;
    else if (PUSH_VALUE_OPTIONS.has(word)) at++;
    else if (word.startsWith('--repo=')) positional.unshift(word.slice('--repo='.length));
    else if (!word.startsWith('-')) positional.push(word);
  }
  return {
    refspecs: positional.slice(1),
    everyBranch,
    ...(directory !== undefined ? { directory } : {}),
    ...(positional[0] !== undefined ? { remote: positional[0] } : {}),
    words,
    alone,
    configured,
  };
}

function isAssignment(word: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

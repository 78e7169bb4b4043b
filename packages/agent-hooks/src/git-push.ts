import { parse } from 'shell-quote';

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
  const commands = simpleCommands(command);
  for (const words of commands) {
    const push = gitPush(words, commands.length === 1);
    if (push) pushes.push(push);
    const [shell, flag, script] = words;
    if (shell !== undefined && SHELLS.has(basename(shell)) && flag === '-c' && script !== undefined) {
      // The rewrite of a push (commandActions) is of the whole command, never of a script inside it.
      pushes.push(...gitPushes(script).map((push) => ({ ...push, alone: false })));
    }
  }
  return pushes;
}

function simpleCommands(command: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let redirected = false;
  for (const entry of parse(command, (name) => `$${name}`)) {
    if (typeof entry === 'string') {
      if (redirected) redirected = false;
      else words.push(entry);
    } else if ('comment' in entry) {
      break;
    } else if (entry.op === 'glob') {
      if (redirected) redirected = false;
      else words.push(entry.pattern);
    } else if (REDIRECTIONS.has(entry.op)) {
      redirected = true;
    } else if (SEPARATORS.has(entry.op)) {
      if (words.length > 0) commands.push(words);
      words = [];
      redirected = false;
    }
  }
  if (words.length > 0) commands.push(words);
  return commands;
}

function gitPush(words: readonly string[], alone: boolean): GitPush | undefined {
  let at = 0;
  while (at < words.length && (isAssignment(words[at] ?? '') || PREFIX_COMMANDS.has(words[at] ?? ''))) at++;
  if (basename(words[at] ?? '') !== 'git') return undefined;
  at++;
  let directory: string | undefined;
  for (; at < words.length; at++) {
    const word = words[at] ?? '';
    if (!word.startsWith('-')) break;
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
  };
}

function isAssignment(word: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
}

function basename(word: string): string {
  return word.slice(word.lastIndexOf('/') + 1);
}

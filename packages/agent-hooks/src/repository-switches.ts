/**
 * Commands that may change, for the commands after them in the same shell, which repository or branch a `git push`
 * pushes: the hook reads the current branch before the command runs, so a push after one of these is not spelled out
 * (commandActions). Programs that switch branches themselves (a script running `git checkout`) are not seen.
 */

/** Shell builtins that change the shell's directory, environment or what later words mean (bash(1), SHELL BUILTIN COMMANDS). */
const SHELL_STATE = new Set([
  'cd', // bash(1): changes the directory the push runs in
  'pushd', // bash(1): likewise
  'popd', // bash(1): likewise
  'source', // bash(1): runs a file in this shell (it may cd or export)
  '.', // bash(1): same as source
  'eval', // bash(1): runs its arguments as shell text
  'export', // bash(1): GIT_DIR, GIT_WORK_TREE, ... reach git (git(1), ENVIRONMENT VARIABLES)
  'unset', // bash(1): may drop a variable git reads
  'declare', // bash(1): `declare -x` exports
  'typeset', // bash(1): same as declare
  'set', // bash(1): `set -a` exports every later assignment
  'alias', // bash(1): may redefine `git`
  'builtin', // bash(1): `builtin cd`
]);

/** Shells: a script they run may cd or switch branches in a way the hook cannot read. */
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh']);

/** git subcommands that change neither the current branch nor where it pushes (git-<name>(1)). */
const GIT_KEEPS_BRANCH = new Set([
  'add', // git-add(1): updates the index
  'commit', // git-commit(1): a commit on the current branch
  'status', // git-status(1): reads
  'diff', // git-diff(1): reads
  'log', // git-log(1): reads
  'show', // git-show(1): reads
  'fetch', // git-fetch(1): updates remote-tracking refs only
  'pull', // git-pull(1): fetches and merges into the current branch
  'rm', // git-rm(1): updates the index and tree
  'mv', // git-mv(1): likewise
  'restore', // git-restore(1): restores files, not HEAD
  'push', // git-push(1): updates the remote
]);

const PREFIX_COMMANDS = new Set(['env', 'command', 'nohup', 'time', 'nice']);

/** Whether the simple command `words` may change which repository or branch a later `git push` uses. */
export function switchesRepository(words: readonly string[]): boolean {
  let at = 0;
  while (at < words.length && (isAssignment(words[at] ?? '') || PREFIX_COMMANDS.has(words[at] ?? ''))) at++;
  // Assignments alone set shell variables (an exported GIT_DIR changes); `exec` replaces the shell.
  const name = words[at];
  if (name === undefined || name === 'exec') return true;
  const command = name.slice(name.lastIndexOf('/') + 1);
  if (SHELL_STATE.has(command) || SHELLS.has(command)) return true;
  if (command !== 'git') return false;
  // Any global option (`-C`, `-c`, `--git-dir`, ...) may point git elsewhere: only a bare subcommand is known.
  const subcommand = words[at + 1] ?? '';
  return !GIT_KEEPS_BRANCH.has(subcommand);
}

function isAssignment(word: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*=/.test(word);
}

import { posix } from 'node:path';

/**
 * Where each simple command of a command line may run, relative to where the line starts (`.`): a `cd` or `pushd`
 * changes what every later relative path means (`cd .git/hooks && cp ../../x pre-commit` writes
 * `.git/hooks/pre-commit`). The engine does not know which commands run (`cd a || cd b`, a subshell's `cd` that
 * does not outlast it, a `cd` that fails), so a command may run in the starting folder or in any folder an earlier
 * `cd` could have led to, and its paths are judged in each. A `cd` whose folder cannot be known from its words
 * (`cd -`, `pushd +1`, `pushd` alone) leaves the later commands' folder unknown (undefined).
 */
export function workingDirectories(
  forms: readonly (readonly (readonly string[])[])[],
): (readonly string[] | undefined)[] {
  const directories = new Set(['.']);
  let known = true;
  return forms.map((spellings) => {
    const here = known ? [...directories] : undefined;
    for (const form of spellings) {
      const target = changedDirectory(form);
      if (target === undefined) continue;
      if (target === UNKNOWN) known = false;
      else for (const directory of [...directories]) directories.add(resolvedIn(directory, target));
      if (directories.size > MAX_DIRECTORIES) known = false;
    }
    return here;
  });
}

// More folders than a person's command line reaches: the later commands' folder is unknown.
const MAX_DIRECTORIES = 16;
const UNKNOWN = Symbol('unknown directory');

// bash(1), `cd [-L|[-P [-e]] [-@]] [dir]` (no dir: HOME; `-`: OLDPWD), `pushd [-n] [+N | -N | dir]` (no dir:
// swaps the top two); `popd` returns to a folder named earlier, which is already among the candidates.
const CHANGERS = new Set(['cd', 'pushd', 'chdir']);

function changedDirectory(form: readonly string[]): string | typeof UNKNOWN | undefined {
  const [command = '', ...args] = form;
  if (!CHANGERS.has(command)) return undefined;
  const end = args.indexOf('--');
  const operand = end >= 0 ? args[end + 1] : args.find((arg) => !/^-[LPe@n]+$/.test(arg));
  if (operand === undefined) return command === 'cd' ? '~' : UNKNOWN;
  if (operand === '-' || /^[+-][0-9]+$/.test(operand)) return UNKNOWN;
  return operand;
}

/**
 * The folder a command changes to, as written (`cd -- .git/hooks` is `.git/hooks`), or undefined when it changes to
 * none or to one its words do not tell.
 */
export function directoryChange(form: readonly string[]): string | undefined {
  const target = changedDirectory(form);
  return target === UNKNOWN ? undefined : target;
}

/** A path as seen from a folder: rooted paths (`/x`, `~/x`) stay as they are; `..` segments are kept. */
export function resolvedIn(directory: string, path: string): string {
  if (/^[/~]/.test(path) || directory === '.') return posix.normalize(path);
  return posix.normalize(posix.join(directory, path));
}

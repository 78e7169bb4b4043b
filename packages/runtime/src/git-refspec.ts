/**
 * What a `git push` updates on the remote, read from its arguments the way git reads them (`git push [options]
 * [<repository> [<refspec>...]]`): the branch names it may update, or why they cannot be known from the words alone.
 * Everything the engine cannot know (the current branch, a glob, `--all`, an option it does not know) is reported as
 * unknown, which the rules decide as strictly as a push to a protected branch.
 */
export type PushDestinations =
  | { readonly known: true; readonly branches: readonly string[] }
  | { readonly known: false; readonly why: string };

/** `git push` arguments as git reads them (`git push [options] [<repository> [<refspec>...]]`). */
export interface PushArguments {
  /** Every positional word: the repository (unless `--repo` names it) and the refspecs. */
  readonly positional: readonly string[];
  /** The repository: `--repo`'s value or the first positional word (a remote name, a URL or a path). */
  readonly repository: string | undefined;
  readonly refspecs: readonly string[];
  readonly deleting: boolean;
  /** `--tags` */
  readonly tags: boolean;
  /** `--follow-tags` */
  readonly followTags: boolean;
  /** The values of `-o` / `--push-option` (server-side options such as GitLab's `merge_request.*`). */
  readonly pushOptions: readonly string[];
  /** Why the words cannot be read (an option that pushes every branch, an option git push does not know). */
  readonly unreadable: string | undefined;
}

/**
 * Reads `git push <args>` (the words after `push`). With `withRepository` false (a `git_push` target such as
 * `-f main`), no word is taken for the repository.
 */
export function readPushArguments(args: readonly string[], withRepository = true): PushArguments {
  const positional: string[] = [];
  const pushOptions: string[] = [];
  let deleting = false;
  let repository: string | undefined;
  let repoOption = !withRepository;
  let tags = false;
  let followTags = false;
  let unreadable: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] as string;
    if (word === '--') {
      positional.push(...args.slice(index + 1));
      break;
    }
    if (!word.startsWith('-') || word === '-') {
      positional.push(word);
      continue;
    }
    const [name = '', value] = splitOption(word);
    if (EVERY_BRANCH.has(name)) unreadable ??= `'${name}' pushes every branch`;
    else if (name === '--delete') deleting = true;
    else if (name === '--tags') tags = true;
    else if (name === '--follow-tags') followTags = true;
    else if (name === '--repo') {
      repoOption = true;
      if (value === undefined) index += 1;
      repository = value ?? args[index];
    } else if (VALUE_OPTIONS.has(name)) {
      if (value === undefined) index += 1;
      const given = value ?? args[index];
      if (name === '--push-option' && given !== undefined) pushOptions.push(given);
    } else if (name.startsWith('--')) {
      if (!FLAGS.has(name) && !EQUALS_OPTIONS.has(name))
        unreadable ??= `git push option '${name}' is not known`;
    } else {
      // A group of short flags (`-fu`); `-o` takes the rest of the word or the next word as its value.
      for (let at = 1; at < word.length; at += 1) {
        const flag = word.charAt(at);
        if (flag === 'o') {
          const last = at === word.length - 1;
          if (last) index += 1;
          const given = last ? args[index] : word.slice(at + 1);
          if (given !== undefined) pushOptions.push(given);
          break;
        }
        if (flag === 'd') deleting = true;
        else if (!SHORT_FLAGS.has(flag)) {
          unreadable ??= `git push option '-${flag}' is not known`;
          break;
        }
      }
    }
  }
  return {
    positional,
    repository: repoOption ? repository : positional[0],
    refspecs: repoOption ? positional : positional.slice(1),
    deleting,
    tags,
    followTags,
    pushOptions,
    unreadable,
  };
}

/**
 * The destinations of `git push <args>` (the words after `push`). Every positional word is read as a refspec,
 * the repository too, because `--repo` and remotes named like branches make the two indistinguishable; a remote name
 * such as `origin` is then a branch nobody protects. With `withRepository` false (a `git_push` target such as
 * `-f main`), no word is taken for the repository, so one positional word is a refspec.
 */
export function pushDestinations(args: readonly string[], withRepository = true): PushDestinations {
  const push = readPushArguments(args, withRepository);
  if (push.unreadable !== undefined) return unknown(push.unreadable);
  if (push.refspecs.length === 0) {
    // `--tags` alone pushes tags; otherwise git pushes what push.default and the current branch say.
    if (push.tags) return { known: true, branches: [] };
    return unknown('git push without a refspec pushes the current branch, which the engine cannot see');
  }
  const branches: string[] = [];
  for (const refspec of push.positional) {
    const destination = refspecDestination(refspec, push.deleting);
    if (!destination.known) return destination;
    branches.push(...destination.branches);
  }
  return { known: true, branches };
}

/**
 * The branches one refspec (`[+]<src>[:<dst>]`) may update: `main`, `refs/heads/main` and `heads/main` update
 * `main`; `origin/main` may be the remote-tracking spelling of `main` (upstream's `git_operation` targets look so),
 * so both names count. Without `:<dst>` the destination is the source, unless the source is not a branch name
 * (`HEAD`, `@`, `HEAD~1`): then it is the current branch, which is unknown. Globs are unknown too.
 */
export function refspecDestination(refspec: string, deleting = false): PushDestinations {
  const spec = refspec.startsWith('+') ? refspec.slice(1) : refspec;
  const colon = spec.indexOf(':');
  if (spec === '' || spec === ':') return unknown(`refspec '${refspec}' pushes every matching branch`);
  // With --delete a refspec names the branch to delete; otherwise the destination follows the colon.
  const destination = deleting ? spec : spec.slice(colon + 1);
  if (colon >= 0 && destination === '') return unknown(`refspec '${refspec}' names no destination`);
  if (/[*?[\\]/.test(destination))
    return unknown(`refspec '${refspec}' is a pattern that may match any branch`);
  if (colon < 0 && !isBranchName(destination)) {
    return unknown(`refspec '${refspec}' pushes to the current branch, which the engine cannot see`);
  }
  if (destination.startsWith('refs/')) {
    if (destination.startsWith('refs/heads/')) return branch(destination.slice('refs/heads/'.length));
    // Tags, notes and review refs (`refs/for/main`) are not branches.
    return { known: true, branches: [] };
  }
  const names = [destination];
  // git resolves a short destination like `git rev-parse` does, so `heads/main` updates `refs/heads/main`.
  const slash = destination.indexOf('/');
  if (slash > 0) names.push(destination.slice(slash + 1));
  return { known: true, branches: names };
}

function branch(name: string): PushDestinations {
  return name === '' ? unknown('refspec names no branch') : { known: true, branches: [name] };
}

function unknown(why: string): PushDestinations {
  return { known: false, why };
}

/** `--opt=value` -> [`--opt`, `value`]; other words -> [word]. */
function splitOption(word: string): [string, string | undefined] {
  const equals = word.indexOf('=');
  if (!word.startsWith('--') || equals < 0) return [word, undefined];
  return [word.slice(0, equals), word.slice(equals + 1)];
}

/** A ref name, not a revision expression (`HEAD`, `@`, `HEAD~1`, `main^`, `@{u}`). */
function isBranchName(name: string): boolean {
  return name !== 'HEAD' && name !== '@' && !/[~^@{}]/.test(name) && !name.startsWith('-');
}

const EVERY_BRANCH = new Set(['--all', '--branches', '--mirror']);
// Long options that take the next word as value when written without `=`.
const VALUE_OPTIONS = new Set(['--push-option', '--receive-pack', '--exec']);
// Long options whose value may only follow `=`.
const EQUALS_OPTIONS = new Set(['--force-with-lease', '--recurse-submodules', '--signed']);
const FLAGS = new Set([
  '--atomic',
  '--delete',
  '--dry-run',
  '--follow-tags',
  '--force',
  '--force-if-includes',
  '--force-with-lease',
  '--ipv4',
  '--ipv6',
  '--no-atomic',
  '--no-follow-tags',
  '--no-force-if-includes',
  '--no-force-with-lease',
  '--no-recurse-submodules',
  '--no-signed',
  '--no-thin',
  '--no-verify',
  '--porcelain',
  '--progress',
  '--no-progress',
  '--prune',
  '--quiet',
  '--set-upstream',
  '--signed',
  '--tags',
  '--thin',
  '--verbose',
  '--verify',
]);
// -f force, -u set-upstream, -n dry run, -q quiet, -v verbose, -4/-6 address family.
const SHORT_FLAGS = new Set(['f', 'u', 'n', 'q', 'v', '4', '6']);

/**
 * What a command's words push when they run `git push` (`git [global options] push …`), else undefined. Global
 * options are skipped the way git reads them (`-C <dir>`, `-c <name>=<value>`, `--git-dir=<dir>`, …); an alias
 * defined on the command line that pushes (`git -c alias.p='push origin main' p`) pushes what cannot be read.
 */
export function gitPush(words: readonly string[]): PushDestinations | undefined {
  const args = gitPushArguments(words);
  if (args !== undefined) return pushDestinations(args);
  return aliasPushes(words) ? unknown('a git alias defined on the command line pushes') : undefined;
}

/** The words after `push` when a command's words run `git [global options] push …`, else undefined. */
export function gitPushArguments(words: readonly string[]): string[] | undefined {
  const at = gitSubcommandIndex(words);
  return at !== undefined && words[at] === 'push' ? words.slice(at + 1) : undefined;
}

/** The index of git's subcommand word, after its global options, or undefined when the words are not git's. */
export function gitSubcommandIndex(words: readonly string[]): number | undefined {
  if (words[0] !== 'git') return undefined;
  for (let index = 1; index < words.length; index += 1) {
    const word = words[index] as string;
    if (GIT_GLOBAL_VALUE_OPTIONS.includes(word)) index += 1;
    else if (!word.startsWith('-')) return index;
  }
  return undefined;
}

function aliasPushes(words: readonly string[]): boolean {
  const at = gitSubcommandIndex(words) ?? words.length;
  return words
    .slice(1, at)
    .some(
      (value, index, globals) =>
        globals[index - 1] === '-c' && /^alias\./i.test(value) && /push/i.test(value),
    );
}

// git(1): the global options that take the next word as their value.
export const GIT_GLOBAL_VALUE_OPTIONS: readonly string[] = [
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--config-env',
];

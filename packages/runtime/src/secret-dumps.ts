import { programName, subcommandEnd } from './inner-commands.js';
import { EXACT_LONG, firstOption, GETOPT, operands, SINGLE_DASH } from './option-words.js';
import { normalizePath } from './path-pattern.js';
import { quoteTarget } from './quote-target.js';

/**
 * Commands that print secrets without naming a file the filesystem rules could match: the environment (`env`,
 * `printenv`, `export -p`, `jq -n env`), stored credentials (`gh auth token`), and recursive reads of a directory
 * that holds or may hold blocked files (`grep -r '' .`, `tar czf - .`, `cp -r . /tmp/x`). Knowledge as data, one
 * rule per program with the manual that says so, read by secretDump; each such command needs approval.
 *
 * A recursive read is judged by the directories it reads: the working directory (`.`, or none given where the
 * program then reads it), a parent (`..`), home (`~`), or an absolute path (which may be the repository root or
 * home) may hold `.env`, keys and state files, so the read asks; a subdirectory named relative to the working
 * directory (`grep -rn TODO src`) does not. ripgrep is recursive but skips hidden files (`.env`) and what
 * .gitignore lists unless told otherwise (rg(1) "AUTOMATIC FILTERING": "hidden files and directories are skipped",
 * "files ignored by .gitignore ... are skipped"), so only `--hidden`, `-.`, `-u…` and `--no-ignore…` make it one.
 */
type DumpRule =
  | {
      readonly kind: 'always';
      readonly programs: readonly string[];
      readonly subcommand?: readonly string[];
      readonly why: string;
    }
  | {
      /** Prints everything when given no operands (`env`, `set`, `export`) but those matching `still`. */
      readonly kind: 'bare';
      readonly programs: readonly string[];
      readonly valued: readonly string[];
      readonly still?: RegExp;
      /** Whether an option also stops it printing (`set -e` sets an option; `export -p` still prints). */
      readonly optionsAct?: true;
      readonly why: string;
    }
  | {
      /**
       * Prints the variables its operands name, all of them when none is named (`printenv HOME` prints one): a
       * dump unless every name is one of `public`, which hold no secret.
       */
      readonly kind: 'names';
      readonly programs: readonly string[];
      readonly public: ReadonlySet<string>;
      readonly why: string;
    }
  | {
      /** One of these options makes it print secrets (`gh auth status --show-token`). */
      readonly kind: 'option';
      readonly programs: readonly string[];
      readonly subcommand?: readonly string[];
      readonly options: readonly string[];
      readonly why: string;
    }
  | {
      /** A word of its program text reads the environment (`jq -n env`). */
      readonly kind: 'text';
      readonly programs: readonly string[];
      readonly subcommand?: readonly string[];
      readonly pattern: RegExp;
      readonly why: string;
    }
  | {
      /**
       * Reads the directories among its operands recursively when `recursive` options are given (always when
       * there are none); `skip` leading operands that are not read (grep's pattern), `last` when the last operand
       * is a destination; with no directory left, `none` is read (grep -r: the working directory).
       */
      readonly kind: 'recursive';
      readonly programs: readonly string[];
      readonly subcommand?: readonly string[];
      readonly recursive?: readonly string[];
      readonly valued: readonly string[];
      readonly skip?: { readonly unless: readonly string[] };
      readonly last?: 'destination';
      readonly none?: string;
      /** tar(1) "traditional usage": the first word is a cluster of options without a dash (`tar czf - .`). */
      readonly clustered?: true;
      /** find(1): the directories read are the starting points before the expression (`.` when none). */
      readonly startingPoints?: true;
    };

const ENVIRONMENT = 'prints the environment, which holds secrets';
// Variables that hold where things are and how output looks, never a credential: bash(1) "Shell Variables" (HOME,
// PATH, PWD, OLDPWD, SHELL, HOSTNAME, COLUMNS, LINES), environ(7) (USER, LOGNAME, LANG, TERM, TMPDIR), locale(7)
// (LC_ALL), tzset(3) (TZ), and the mode variables of harmless-variables (NODE_ENV, CI).
const PUBLIC_VARIABLES: ReadonlySet<string> = new Set([
  'HOME',
  'PATH',
  'PWD',
  'OLDPWD',
  'SHELL',
  'HOSTNAME',
  'COLUMNS',
  'LINES',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TERM',
  'TMPDIR',
  'TZ',
  'NODE_ENV',
  'CI',
]);
const CREDENTIALS = 'prints stored credentials';
const GREP_VALUED = [
  '-e',
  '-f',
  '-m',
  '-A',
  '-B',
  '-C',
  '-d',
  '-D',
  '--regexp',
  '--file',
  '--max-count',
  '--after-context',
  '--before-context',
  '--context',
  '--directories',
  '--devices',
  '--include',
  '--exclude',
  '--exclude-dir',
  '--exclude-from',
  '--label',
  '--binary-files',
];

const DUMP_RULES: readonly DumpRule[] = [
  // env(1) "If no COMMAND, print the resulting environment"; printenv(1) "Print the values of the specified
  // environment VARIABLE(s). If no VARIABLE is specified, print name and value pairs for them all".
  {
    kind: 'bare',
    programs: ['env'],
    valued: ['-u', '-C', '-S', '--unset', '--chdir', '--split-string'],
    still: /^[A-Za-z_][A-Za-z0-9_]*=/,
    why: ENVIRONMENT,
  },
  { kind: 'names', programs: ['printenv'], public: PUBLIC_VARIABLES, why: ENVIRONMENT },
  // bash(1) "set: Without options, display the name and value of each shell variable"; "export ... If no names
  // are given, or if the -p option is supplied, a list of names of all exported variables is printed"; "declare /
  // typeset ... If no names are given then display the values of variables".
  { kind: 'bare', programs: ['set'], valued: [], optionsAct: true, why: ENVIRONMENT },
  { kind: 'bare', programs: ['export', 'declare', 'typeset', 'readonly'], valued: [], why: ENVIRONMENT },
  // jq manual "$ENV, env: $ENV is an object representing the environment variables"; "-f file / --from-file" and
  // modules ("import", "include") hold programs the words do not show.
  {
    kind: 'text',
    programs: ['jq', 'gojq', 'jaq'],
    pattern: /\$ENV\b|(?<![\w.$])(env|import|include)\b/,
    why: ENVIRONMENT,
  },
  {
    kind: 'option',
    programs: ['jq', 'gojq', 'jaq'],
    options: ['-f', '--from-file'],
    why: 'runs a jq program from a file, which may print the environment',
  },
  // ps(1) "e: Show the environment after the command" (a BSD-style option, without a dash: `ps auxe`, `ps eww`).
  {
    kind: 'text',
    programs: ['ps'],
    pattern: /^[A-Za-z]*e[A-Za-z]*$/,
    why: 'prints the environment of processes, which holds secrets',
  },
  // git-config(1) "--list", "--get-regexp", and keys that hold credentials (http.<url>.extraHeader, a remote URL
  // with a token, credential.*).
  {
    kind: 'text',
    programs: ['git'],
    subcommand: ['config'],
    pattern:
      /^(-l|--list|--get-regexp|--show-origin|list)$|extraheader|credential|token|password|secret|\.url$|pushurl|proxy/i,
    why: 'prints git configuration, which may hold tokens',
  },
  // gh auth token ("Print the authentication token gh uses"), gh auth status -t/--show-token; git-credential(1)
  // "fill"; aws configure export-credentials / get; gcloud auth print-access-token and print-identity-token;
  // az account get-access-token; security(1) find-*-password; pass(1) show; op read; vault read / kv get.
  // npm-run-script(1): "env: a special built-in command that can be used to list environment variables"; yarn
  // (v1) run env likewise.
  { kind: 'always', programs: ['npm'], subcommand: ['run', 'env'], why: ENVIRONMENT },
  { kind: 'always', programs: ['npm'], subcommand: ['run-script', 'env'], why: ENVIRONMENT },
  { kind: 'always', programs: ['yarn', 'yarnpkg'], subcommand: ['run', 'env'], why: ENVIRONMENT },
  { kind: 'always', programs: ['yarn', 'yarnpkg'], subcommand: ['env'], why: ENVIRONMENT },
  { kind: 'always', programs: ['gh'], subcommand: ['auth', 'token'], why: CREDENTIALS },
  {
    kind: 'option',
    programs: ['gh'],
    subcommand: ['auth', 'status'],
    options: ['-t', '--show-token'],
    why: CREDENTIALS,
  },
  { kind: 'always', programs: ['git'], subcommand: ['credential'], why: CREDENTIALS },
  { kind: 'always', programs: ['aws'], subcommand: ['configure', 'export-credentials'], why: CREDENTIALS },
  { kind: 'always', programs: ['aws'], subcommand: ['configure', 'get'], why: CREDENTIALS },
  { kind: 'always', programs: ['aws'], subcommand: ['ecr', 'get-login-password'], why: CREDENTIALS },
  { kind: 'always', programs: ['aws'], subcommand: ['sts', 'get-session-token'], why: CREDENTIALS },
  { kind: 'always', programs: ['aws'], subcommand: ['sts', 'assume-role'], why: CREDENTIALS },
  { kind: 'always', programs: ['gcloud'], subcommand: ['auth', 'print-access-token'], why: CREDENTIALS },
  { kind: 'always', programs: ['gcloud'], subcommand: ['auth', 'print-identity-token'], why: CREDENTIALS },
  { kind: 'always', programs: ['az'], subcommand: ['account', 'get-access-token'], why: CREDENTIALS },
  { kind: 'always', programs: ['security'], subcommand: ['find-generic-password'], why: CREDENTIALS },
  { kind: 'always', programs: ['security'], subcommand: ['find-internet-password'], why: CREDENTIALS },
  { kind: 'always', programs: ['pass', 'gopass'], subcommand: ['show'], why: CREDENTIALS },
  { kind: 'always', programs: ['op'], subcommand: ['read'], why: CREDENTIALS },
  { kind: 'always', programs: ['vault'], subcommand: ['read'], why: CREDENTIALS },
  { kind: 'always', programs: ['vault'], subcommand: ['kv', 'get'], why: CREDENTIALS },
  // grep(1) "-r, --recursive: Read all files under each directory, recursively ... if no file operand is given,
  // grep searches the working directory"; "-d recurse" is -r; the first operand is the pattern unless -e or -f.
  {
    kind: 'recursive',
    programs: ['grep', 'egrep', 'fgrep', 'ggrep'],
    recursive: ['-r', '-R', '--recursive', '--dereference-recursive', '-d', '--directories'],
    valued: GREP_VALUED,
    skip: { unless: ['-e', '-f', '--regexp', '--file'] },
    none: '.',
  },
  {
    kind: 'recursive',
    programs: ['rgrep'],
    valued: GREP_VALUED,
    skip: { unless: ['-e', '-f', '--regexp', '--file'] },
    none: '.',
  },
  // rg(1) "-., --hidden", "-u, --unrestricted" (-u: no ignore files, -uu: and hidden, -uuu: and binary),
  // "--no-ignore", "--no-ignore-vcs", "--no-ignore-dot", ...; with no path it searches the working directory.
  {
    kind: 'recursive',
    programs: ['rg'],
    recursive: [
      '-.',
      '-u',
      '--hidden',
      '--unrestricted',
      '--no-ignore',
      '--no-ignore-vcs',
      '--no-ignore-dot',
      '--no-ignore-files',
      '--no-ignore-exclude',
      '--no-ignore-global',
      '--no-ignore-parent',
    ],
    valued: [
      '-e',
      '-f',
      '--regexp',
      '--file',
      '-g',
      '--glob',
      '--iglob',
      '-t',
      '-T',
      '--type',
      '--type-not',
      '-m',
      '-A',
      '-B',
      '-C',
      '-M',
      '-j',
      '-r',
      '--replace',
      '-d',
      '--max-depth',
      '--pre',
      '--pre-glob',
      '--type-add',
      '--sort',
      '--sortr',
      '--colors',
      '--ignore-file',
      '-E',
      '--encoding',
      '--engine',
      '--max-filesize',
      '--path-separator',
      '--threads',
    ],
    skip: { unless: ['-e', '-f', '--regexp', '--file', '--files', '--type-list'] },
    none: '.',
  },
  // git-diff(1) "--no-index: compare the given two paths on the filesystem"; git-grep(1) "--untracked",
  // "--no-index", "--no-exclude-standard: Also search in ignored files".
  {
    kind: 'recursive',
    programs: ['git'],
    subcommand: ['diff'],
    recursive: ['--no-index'],
    valued: ['-O', '--output'],
  },
  {
    kind: 'option',
    programs: ['git'],
    subcommand: ['grep'],
    options: ['--untracked', '--no-index', '--no-exclude-standard'],
    why: 'searches files git does not track, secrets included',
  },
  // tar(1) "-c, --create" (directories are archived recursively), "-r, --append", "-u, --update".
  {
    kind: 'recursive',
    programs: ['tar', 'bsdtar', 'gtar'],
    recursive: ['-c', '--create', '-r', '--append', '-u', '--update'],
    valued: [
      '-f',
      '-C',
      '-T',
      '-X',
      '-I',
      '-F',
      '-b',
      '-L',
      '-N',
      '-g',
      '-V',
      '-H',
      '--file',
      '--directory',
      '--files-from',
      '--exclude-from',
      '--exclude',
    ],
    clustered: true,
  },
  // zip(1) "-r, --recurse-paths", "-R"; 7z(1) "a: Add files to archive".
  {
    kind: 'recursive',
    programs: ['zip'],
    recursive: ['-r', '-R', '--recurse-paths', '--recurse-patterns'],
    valued: ['-b', '-n', '-t', '-x', '-i', '-O', '--out'],
  },
  { kind: 'recursive', programs: ['7z', '7za', '7zz'], subcommand: ['a'], valued: [] },
  // cp(1) "-R, -r, --recursive", "-a, --archive"; rsync(1) "-r, --recursive", "-a, --archive"; scp(1) "-r": the
  // last operand is the destination unless -t/--target-directory names it.
  {
    kind: 'recursive',
    programs: ['cp', 'gcp'],
    recursive: ['-r', '-R', '-a', '--recursive', '--archive'],
    valued: ['-t', '-S', '--target-directory', '--suffix'],
    last: 'destination',
  },
  {
    kind: 'recursive',
    programs: ['rsync'],
    recursive: ['-r', '-a', '--recursive', '--archive'],
    valued: [
      '-e',
      '--rsh',
      '--rsync-path',
      '--exclude',
      '--include',
      '--exclude-from',
      '--include-from',
      '--files-from',
      '-f',
      '--filter',
      '-T',
      '--temp-dir',
      '--backup-dir',
      '--log-file',
    ],
    last: 'destination',
  },
  {
    kind: 'recursive',
    programs: ['scp'],
    recursive: ['-r'],
    valued: ['-P', '-i', '-o', '-F', '-J', '-c', '-l', '-S'],
    last: 'destination',
  },
  // find(1) "-exec command {} +": runs a command on every file found, which may read each; the starting points
  // precede the expression, and with none find searches `.`.
  {
    kind: 'recursive',
    programs: ['find'],
    recursive: ['-exec', '-execdir', '-ok', '-okdir'],
    valued: [],
    startingPoints: true,
  },
];

/** Why one spelling of a simple command (its words, command word first) prints secrets, or undefined. */
export function secretDump(form: readonly string[]): string | undefined {
  const name = programName(form[0] ?? '');
  for (const rule of DUMP_RULES) {
    if (!rule.programs.includes(name)) continue;
    const from = subcommandEnd(form, 'subcommand' in rule ? rule.subcommand : undefined);
    if (from < 0) continue;
    const why = dumpWhy(rule, form, from);
    if (why !== undefined) return why;
  }
  return undefined;
}

function dumpWhy(rule: DumpRule, form: readonly string[], from: number): string | undefined {
  switch (rule.kind) {
    case 'always':
      return rule.why;
    case 'names': {
      const names = operands(form, [], from);
      return names.length > 0 && names.every((name) => rule.public.has(name)) ? undefined : rule.why;
    }
    case 'bare': {
      const given = rule.optionsAct ? form.slice(from) : operands(form, rule.valued, from);
      return given.some((word) => !rule.still?.test(word)) ? undefined : rule.why;
    }
    case 'option': {
      const option = firstOption(form, rule.options, from);
      return option === undefined ? undefined : rule.why;
    }
    case 'text':
      return form.slice(from).some((word) => rule.pattern.test(word)) ? rule.why : undefined;
    case 'recursive':
      return recursiveRead(rule, form, from);
  }
}

function recursiveRead(
  rule: Extract<DumpRule, { kind: 'recursive' }>,
  form: readonly string[],
  from: number,
) {
  const words =
    rule.clustered && form[1] !== undefined && !form[1].startsWith('-')
      ? [form[0] as string, `-${form[1]}`, ...form.slice(2)]
      : form;
  // find's options are single-dash words (`-exec`); ripgrep takes no prefixes of its long options.
  const reading = rule.startingPoints
    ? SINGLE_DASH
    : programName(words[0] ?? '') === 'rg'
      ? EXACT_LONG
      : GETOPT;
  if (rule.recursive && firstOption(words, rule.recursive, from, reading) === undefined) return undefined;
  if (rule.startingPoints) {
    const starts = words.slice(from, firstExpression(words, from));
    return readsRoot(starts.length === 0 ? ['.'] : starts);
  }
  let read = operands(words, rule.valued, from);
  if (rule.skip && firstOption(words, rule.skip.unless, from) === undefined) read = read.slice(1);
  if (rule.last === 'destination' && firstOption(words, ['-t', '--target-directory'], from) === undefined) {
    read = read.slice(0, -1);
  }
  if (read.length === 0 && rule.none !== undefined) read = [rule.none];
  return readsRoot(read);
}

/** find's starting points end at the first word of the expression (`-name`, `(`, `!`). */
function firstExpression(form: readonly string[], from: number): number {
  const at = form.findIndex((word, index) => index >= from && /^[-(!]/.test(word));
  return at < 0 ? form.length : at;
}

/** The reason when one of these directories may hold blocked files: see the module comment. */
function readsRoot(paths: readonly string[]): string | undefined {
  const root = paths.find(isRootLike);
  return root === undefined
    ? undefined
    : `reads every file under ${quoteTarget(root)} recursively, which may hold secrets the filesystem rules block`;
}

function isRootLike(path: string): boolean {
  if (/^~|^\/|^[A-Za-z]:/.test(path)) return true;
  const normal = normalizePath(path).replace(/\/+$/, '');
  return normal === '' || normal === '.' || path.split(/[\\/]/).includes('..');
}

import { programName, subcommandEnd } from './inner-commands.js';
import { EXACT_LONG, GETOPT, type OptionReading, optionAt, SINGLE_DASH } from './option-words.js';

/**
 * Options through which a runner an allow rule names (`pytest *`, `npm test -- *`, `go test *`, `make *`) loads code,
 * configuration or a project the rule does not speak for, or acts outside it (`pytest --basetemp=src` empties
 * `src`): knowledge as data, one rule per runner with the manual that lists the options, read by codeLoadingOption.
 * Such a command is covered by no allow rule and needs approval. A rule may name the values that stay harmless
 * (`safe`: a built-in reporter name, `-p no:cacheprovider`) or the only values that load code (`unsafe`).
 */
interface CodeLoadingRule {
  readonly programs: readonly string[];
  /** The subcommand the options belong to (`docker build`), when they are not the program's own. */
  readonly subcommand?: readonly string[];
  readonly options: readonly string[];
  readonly safe?: RegExp;
  readonly unsafe?: RegExp;
  /** How the runner reads its options (GETOPT when not given). */
  readonly reading?: OptionReading;
}

// A directory outside the project: absolute, home-relative, or walking up with `..`.
const OUTSIDE = /^([\\/~]|[A-Za-z]:)|(^|[\\/])\.\.([\\/]|$)/;
// A name, not a path: a built-in reporter, or a package the project installed (`dot`, `junit`, `vitest-sonar`).
const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * JavaScript runners and tools that `npm test -- …`, `pnpm test …`, `npx <tool>` and `pnpm exec <tool>` may run.
 * yargs and commander read `--setup-files` as `--setupFiles`, so names are compared without dashes and case.
 */
const JS_TOOL_OPTIONS: readonly CodeLoadingRule[] = [
  // node(1): -r/--require, --import, --loader, --test-reporter, --env-file (NODE_OPTIONS inside), --inspect (a
  // debugger port that runs code), --openssl-config (loads engines), -e/-p.
  {
    programs: ['node'],
    options: [
      '-r',
      '--require',
      '--import',
      '--loader',
      '--experimental-loader',
      '--env-file',
      '--env-file-if-exists',
      '--inspect',
      '--inspect-brk',
      '--inspect-wait',
      '--inspect-port',
      '--openssl-config',
      '--experimental-policy',
      '--snapshot-blob',
      '--node-options',
      '-e',
      '--eval',
      '-p',
      '--print',
    ],
  },
  { programs: ['node'], options: ['--test-reporter'], safe: NAME },
  // Jest CLI options (jestjs.io/docs/cli and configuration): modules and configuration it loads.
  {
    programs: ['jest'],
    options: [
      '-c',
      '--config',
      '--transform',
      '--setupFiles',
      '--setupFilesAfterEnv',
      '--resolver',
      '--globalSetup',
      '--globalTeardown',
      '--projects',
      '--rootDir',
      '--roots',
      '--snapshotResolver',
      '--testSequencer',
      '--testResultsProcessor',
      '--watchPlugins',
      '--moduleNameMapper',
      '--modulePaths',
      '--moduleDirectories',
      '--dependencyExtractor',
      '--prettierPath',
      '--haste',
    ],
  },
  // Given by name, these are installed packages (`--testEnvironment=jsdom`, `--preset=ts-jest`); a path asks.
  {
    programs: ['jest'],
    options: ['--reporters', '--testRunner', '--testEnvironment', '--env', '--preset', '--runner'],
    safe: NAME,
  },
  // Jest's --filter is a module path; turbo's and pnpm's `--filter` select packages by name.
  { programs: ['jest'], options: ['--filter'], unsafe: /\.[cm]?[jt]sx?$|^\.{0,2}\// },
  // Vitest CLI (vitest.dev/guide/cli): configuration, root, environment, pool and provider modules, servers.
  {
    programs: ['vitest'],
    options: [
      '-c',
      '-r',
      '--config',
      '--configLoader',
      '--root',
      '--dir',
      '--workspace',
      '--globalSetup',
      '--setupFiles',
      '--coverage.customProviderModule',
      '--coverage.provider',
      '--typecheck.checker',
      '--browser.provider',
      '--api',
      '--ui',
      '--inspect',
      '--inspect-brk',
    ],
  },
  { programs: ['vitest', 'mocha', 'playwright'], options: ['--reporter', '-R'], safe: NAME },
  { programs: ['vitest'], options: ['--environment', '--pool'], safe: NAME },
  // Mocha CLI (mochajs.org/#command-line-usage): -r/--require, -u/--ui, --file, --config, --package,
  // -n/--node-option, --loader.
  {
    programs: ['mocha'],
    options: [
      '-r',
      '--require',
      '-u',
      '--ui',
      '--file',
      '--config',
      '--package',
      '-n',
      '--node-option',
      '--loader',
    ],
  },
  // ESLint CLI: --rulesdir, --plugin, --resolve-plugins-relative-to, -c/--config, --parser; -f/--format takes a
  // formatter module. Prettier CLI: --plugin, --config, --plugin-search-dir.
  {
    programs: ['eslint', 'prettier'],
    options: [
      '--rulesdir',
      '--plugin',
      '--resolve-plugins-relative-to',
      '--config',
      '-c',
      '--parser',
      '--plugin-search-dir',
    ],
  },
  { programs: ['eslint'], options: ['--format', '-f'], safe: NAME },
  // Options of the other tools scripts commonly run (webpack, rollup, vite, tsx, ts-node, bun, c8, nyc): load a
  // configuration or module, or change the shell and project a script runs in.
  {
    programs: ['*'],
    options: [
      '--preload',
      '--configLoader',
      '--shell',
      '--script-shell',
      '--prefix',
      '--cwd',
      '--compiler',
      '--transpiler',
    ],
  },
];

const RUNNER_OPTIONS: readonly CodeLoadingRule[] = [
  // pytest --help and docs.pytest.org "Command-line Flags": -p loads a plugin (`no:name` disables one), -c and
  // --config-file/--inifile pick another configuration, --rootdir and --confcutdir where conftest.py files load from,
  // -o/--override-ini any ini option (addopts, python_files), --pyargs and -W (warning categories) import modules,
  // --pdbcls imports a debugger class, --basetemp is emptied before the run, --pastebin uploads the output,
  // --cov-config loads coverage plugins, xdist's --tx starts python interpreters it names.
  { programs: ['pytest', 'py.test'], options: ['-p'], safe: /^no:/, reading: EXACT_LONG },
  {
    programs: ['pytest', 'py.test'],
    options: [
      '-c',
      '--config-file',
      '--inifile',
      '--rootdir',
      '--confcutdir',
      '-o',
      '--override-ini',
      '--pyargs',
      '-W',
      '--pythonwarnings',
      '--pdbcls',
      '--basetemp',
      '--pastebin',
      '--cov-config',
      '--tx',
      '--rsyncdir',
    ],
    reading: EXACT_LONG,
  },
  // terraform(1) "-chdir=DIR" runs the configuration in DIR: one of the project's (`-chdir=infra`, whose .tf files
  // need approval to change) passes, one outside it asks; terraform init "-plugin-dir" loads providers from a
  // directory, "-from-module" copies a module in.
  { programs: ['terraform', 'tofu'], options: ['-chdir'], unsafe: OUTSIDE, reading: SINGLE_DASH },
  { programs: ['terraform', 'tofu'], options: ['-plugin-dir', '-from-module'], reading: SINGLE_DASH },
  // go help build: -modfile, -overlay and -pkgdir replace the module, its files or compiled packages; -C runs in
  // another directory; -ldflags=-extld/-extar and -compiler name programs the linker runs.
  {
    programs: ['go'],
    options: ['-modfile', '-overlay', '-pkgdir', '-compiler', '-gccgoflags'],
    reading: SINGLE_DASH,
  },
  { programs: ['go'], options: ['-C'], unsafe: OUTSIDE, reading: SINGLE_DASH },
  { programs: ['go'], options: ['-ldflags', '--ldflags'], unsafe: /-ext(ld|ar)\b/, reading: SINGLE_DASH },
  // The Cargo Book: --manifest-path builds another package (its build.rs runs), -C (unstable) another directory,
  // -Z enables unstable behaviour.
  { programs: ['cargo'], options: ['--manifest-path', '-C', '-Z'], reading: EXACT_LONG },
  // make(1): -f/--file/--makefile read another makefile (any file the agent wrote); -C/--directory run the
  // makefile of another directory and -I/--include-dir look for included makefiles there: the project's own
  // (`make -C docs html`, whose Makefile needs approval to change) pass, one outside it asks.
  { programs: ['make', 'gmake'], options: ['-f', '--file', '--makefile'] },
  { programs: ['make', 'gmake'], options: ['-C', '--directory', '-I', '--include-dir'], unsafe: OUTSIDE },
  // docker build / docker buildx build: -f/--file builds from another Dockerfile (its RUN steps run), --ssh
  // forwards the SSH agent, --secret mounts a file or variable, --build-context adds another directory, --allow
  // grants entitlements (network.host, security.insecure).
  ...[['build'], ['buildx', 'build'], ['image', 'build']].map(
    (subcommand): CodeLoadingRule => ({
      programs: ['docker', 'podman'],
      subcommand,
      options: ['-f', '--file', '--ssh', '--secret', '--build-context', '--allow'],
      reading: EXACT_LONG,
    }),
  ),
];

// Package runners whose tool arguments are the JavaScript tools' (after `--`, after the tool an exec form runs, and
// for pnpm and yarn any option after the script name, which they pass to the script).
const PACKAGE_RUNNERS = new Set(['npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'bun', 'bunx']);

/**
 * The first option in a simple command's words (one spelling, command word first) through which its runner loads
 * code or acts outside what an allow rule speaks for, or undefined. `python -m pytest …` is pytest.
 */
export function codeLoadingOption(form: readonly string[]): string | undefined {
  const name = programName(form[0] ?? '');
  const words = (name === 'python' || name === 'pypy') && form[1] === '-m' ? form.slice(2) : form;
  const runner = programName(words[0] ?? '');
  for (const rule of RUNNER_OPTIONS) {
    if (!rule.programs.includes(runner)) continue;
    const from = subcommandEnd(words, rule.subcommand);
    if (from < 0) continue;
    const reading = rule.reading ?? GETOPT;
    for (let index = from; index < words.length; index += 1) {
      if (words[index] === '--') break;
      const value = optionAt(words, index, rule.options, reading);
      if (value !== undefined && loadsCode(rule, value)) return words[index];
    }
  }
  if (PACKAGE_RUNNERS.has(runner) || !JS_TOOL_OPTIONS.some((rule) => rule.programs.includes(runner))) {
    return undefined;
  }
  return jsToolOption(words.slice(1), runner);
}

/**
 * The first word among a JavaScript tool's arguments that is one of its code-loading options, or undefined. When
 * the tool is not known (`npm test -- …` runs whatever the script says, `npx <package>`), every tool's long options
 * count, and of the one-letter ones only `-r` and `-c` (require and config for most): others mean different things
 * to different tools (`-p` is tsc's project, `-u` jest's snapshot update).
 */
export function jsToolOption(args: readonly string[], tool?: string): string | undefined {
  const own = JS_TOOL_OPTIONS.filter(
    (rule) => tool !== undefined && rule.programs.includes(programName(tool)),
  );
  const rules =
    own.length > 0
      ? [...own, ...JS_TOOL_OPTIONS.filter((rule) => rule.programs.includes('*'))]
      : JS_TOOL_OPTIONS;
  const counts = (option: string) =>
    own.length > 0 || !/^-[^-]$/.test(option) || UNKNOWN_TOOL_LETTERS.has(option);
  for (let index = 0; index < args.length; index += 1) {
    const word = args[index] as string;
    if (!word.startsWith('-') || word === '-' || word === '--') continue;
    const equals = word.indexOf('=');
    const name = equals < 0 ? word : word.slice(0, equals);
    const value = equals < 0 ? (args[index + 1] ?? '') : word.slice(equals + 1);
    const rule = rules.find((candidate) =>
      candidate.options.some((option) => counts(option) && sameJsOption(option, name)),
    );
    if (rule && loadsCode(rule, value)) return word;
  }
  return undefined;
}

const UNKNOWN_TOOL_LETTERS = new Set(['-r', '-c']);

/** yargs' reading: `--setup-files`, `--setupFiles` and `-setupFiles` are one option; one letter is exact. */
function sameJsOption(option: string, name: string): boolean {
  if (/^-[^-]$/.test(option)) return option === name;
  const bare = (text: string) => text.replace(/^-+/, '').replace(/[-_]/g, '').toLowerCase();
  return name.length > 2 && bare(option) === bare(name);
}

function loadsCode(rule: CodeLoadingRule, value: string): boolean {
  if (rule.safe) return !rule.safe.test(value);
  if (rule.unsafe) return rule.unsafe.test(value);
  return true;
}

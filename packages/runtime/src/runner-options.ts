import { jsToolOption } from './code-loading-options.js';

/**
 * Package runners (npm, pnpm, yarn, bun and their `x` forms) take options that change what they run: the shell
 * that runs scripts (`--script-shell`, `--config.script-shell`), code loaded into node (`--node-options`), the
 * project whose scripts run (`--prefix`, `-C`, `--cwd`, `--filter=./../../evil`), and any config key (npm and pnpm
 * read every `--<key>=<value>` as configuration). An allow rule such as `npm run *` speaks for the project's own
 * scripts, so a runner word that is an option is covered only when it is known to leave what runs unchanged.
 */

/**
 * The first option in a command's words that may change what a package runner runs, or undefined. The words after
 * `--`, and those after the package an exec form runs (`npx tsc --noEmit`, `pnpm exec vitest run`), belong to the
 * tool that runs: only its options that load code or configuration from a file (`--require`, `--config`: the
 * JavaScript tools' table in code-loading-options) count.
 */
export function runnerOverride(words: readonly string[]): string | undefined {
  const runner = words[0] ?? '';
  if (!RUNNERS.has(runner)) return undefined;
  let subcommand: string | undefined;
  for (let index = 1; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--') return jsToolOption(words.slice(index + 1));
    if (!word.startsWith('-') || word === '-') {
      // `npx <tool> …`, `<runner> exec|dlx|x <tool> …`: the words after the tool are its own.
      if (EXEC_RUNNERS.has(runner) || EXEC_SUBCOMMANDS.has(subcommand ?? '')) {
        return jsToolOption(words.slice(index + 1), word);
      }
      subcommand ??= word;
      continue;
    }
    // pnpm and yarn pass the options after a script's name to the script (`pnpm test --reporter=./x.js`).
    if (subcommand !== undefined && SCRIPT_OPTION_RUNNERS.has(runner)) {
      if (jsToolOption(words.slice(index, index + 2)) === word) return word;
    }
    const equals = word.indexOf('=');
    const name = equals < 0 ? word : word.slice(0, equals);
    if (HARMLESS_FLAGS.has(name) && equals < 0) continue;
    if (HARMLESS_VALUED.has(name)) {
      if (equals < 0) index += 1;
      continue;
    }
    if (SELECTORS.has(name)) {
      if (equals < 0) index += 1;
      const value = equals < 0 ? words[index] : word.slice(equals + 1);
      if (value !== undefined && isPackageSelector(value)) continue;
    }
    return word;
  }
  return undefined;
}

/**
 * A runner command's words without the options that only pick which of the project's own workspace packages run
 * (`pnpm --filter @cavra/runtime run test` is `pnpm run test`), for the allow list: a pattern naming a script speaks
 * for it in every package of the workspace, whose manifests the filesystem rules protect alike. A selector naming a
 * path or a range (`--filter=./../../evil`) stays, as do the words after `--` or after the runner's subcommand.
 */
export function withoutPackageSelectors(words: readonly string[]): readonly string[] {
  const selectors = PACKAGE_SELECTORS.get(words[0] ?? '');
  if (selectors === undefined) return words;
  const kept = [words[0] as string];
  for (let index = 1; index < words.length; index += 1) {
    const word = words[index] as string;
    if (word === '--' || !word.startsWith('-')) return [...kept, ...words.slice(index)];
    const equals = word.indexOf('=');
    const name = equals < 0 ? word : word.slice(0, equals);
    const value = equals < 0 ? words[index + 1] : word.slice(equals + 1);
    if (selectors.includes(name) && value !== undefined && isPackageSelector(value)) {
      if (equals < 0) index += 1;
      continue;
    }
    kept.push(word);
  }
  return kept;
}

/** A workspace package selected by name (`@cavra/runtime`, `app...`, `^web`), not by a path or a git range. */
function isPackageSelector(value: string): boolean {
  const name = value.replace(/^(?:\.\.\.)?\^?/, '').replace(/\.\.\.$/, '');
  return /^[@A-Za-z0-9_][@A-Za-z0-9._/*-]*$/.test(name) && !name.includes('..');
}

const RUNNERS = new Set(['npm', 'npx', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'bun', 'bunx', 'corepack']);
// Runners whose first positional word is the package they run, and the subcommands that make the others do so.
const EXEC_RUNNERS = new Set(['npx', 'pnpx', 'bunx']);
const EXEC_SUBCOMMANDS = new Set(['exec', 'dlx', 'x']);
// Runners that pass the options after a script's name to the script (pnpm run: "Any options after the script's
// name are passed to the executed script"; yarn run and bun run likewise); npm reads them as its own.
const SCRIPT_OPTION_RUNNERS = new Set(['pnpm', 'yarn', 'yarnpkg', 'bun']);
// Flags that only change output or which of the project's own packages run.
const HARMLESS_FLAGS = new Set([
  '--silent',
  '-s',
  '--quiet',
  '-q',
  '--verbose',
  '-d',
  '--json',
  '--parseable',
  '--color',
  '--no-color',
  '--if-present',
  '--recursive',
  '-r',
  '--parallel',
  '--stream',
  '--workspaces',
  '-ws',
  '--include-workspace-root',
  '--no-bail',
  '--aggregate-output',
  '--sequential',
  '--frozen-lockfile',
  '--ignore-scripts',
  '--save',
  '-S',
  '--save-dev',
  '-D',
  '--save-exact',
  '-E',
  '--save-optional',
  '-O',
  '--save-peer',
  '--no-save',
  '--yes',
  '-y',
  '--prefer-offline',
  '--offline',
  '--help',
  '-h',
  '--version',
  '-v',
]);
// Options whose value only changes output.
const HARMLESS_VALUED = new Set(['--loglevel', '--reporter']);
// Options that pick workspace packages: harmless when they name packages, not paths outside the project.
const SELECTORS = new Set(['--filter', '-F', '--workspace', '-w']);
// Each runner's own package-selecting options: pnpm docs, Filtering ("--filter <package_selector>", "-F"; pnpm's
// `-w` is --workspace-root, a flag); npm docs, config ("workspace", "-w").
const PACKAGE_SELECTORS: ReadonlyMap<string, readonly string[]> = new Map([
  ['pnpm', ['--filter', '-F']],
  ['npm', ['--workspace', '-w']],
]);

import { type SpawnOptions, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commandForms } from '../src/command-forms.js';
import { compilePolicyPack, loadBaselinePack, parseCommand, parsePolicyPack } from '../src/index.js';
import { innerCommands } from '../src/inner-commands.js';
import { exactEngine, request } from './support/engine.js';

// bash itself is the reference: every command the engine would allow is run by bash with no external command to
// be found (PATH names no folder), and bash's command_not_found_handle logs each external command it would have run.
// Every one of them must be a command the engine judged. Builtins run for real, so only allowed commands are run.
const BASH = '/bin/bash';
const sandbox = mkdtempSync(join(tmpdir(), 'cavra-bash-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
const LOG = join(sandbox, 'ran.log');
// One write per command: the commands of a pipeline run at once, and two writes each could interleave. Words end
// with a unit separator and commands with a record separator, since a word may hold a newline.
const PRELUDE = `command_not_found_handle() { local line; printf -v line '%s\\037' "$@"; printf '%s\\036' "$line" >> '${LOG}'; return 0; }\n`;

/**
 * Runs a program to its end, whatever its exit status. Never synchronously: vitest's worker answers its runner between
 * turns of the loop, and a worker held 60 s fails the run (`Timeout calling "onTaskUpdate"`), which these hundreds of
 * bash processes took on a loaded CI machine.
 */
function runToEnd(program: string, args: readonly string[], options: SpawnOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    spawn(program, args, { ...options, stdio: 'ignore' })
      .on('error', reject)
      .on('close', () => resolve());
  });
}

/** The external commands bash runs for a command line, each as its words joined by spaces. */
async function bashRuns(command: string): Promise<string[]> {
  rmSync(LOG, { force: true });
  await runToEnd(BASH, ['-c', PRELUDE + command], {
    cwd: sandbox,
    env: { PATH: '/nonexistent', HOME: sandbox },
    timeout: 5_000,
  });
  if (!existsSync(LOG)) return [];
  return (
    readFileSync(LOG, 'utf8')
      .split('\u001e')
      .filter((line) => line !== '')
      .map((line) =>
        line
          .split('\u001f')
          // Every word is followed by the separator, so the last piece is empty.
          .slice(0, -1)
          .join(' '),
      )
      // Tilde expansion is left to the path rules, which read `~/x` as a home-rooted path.
      .map((line) => line.replaceAll(sandbox, '~'))
  );
}

// Each test starts hundreds of bash processes; on a loaded machine that can take longer than the default 30 s.
const SPAWNING_TIMEOUT = 120_000;

const corpus = (name: string) =>
  JSON.parse(readFileSync(new URL(`corpora/${name}`, import.meta.url), 'utf8'));
const EVASION_FILES = readdirSync(new URL('corpora/', import.meta.url)).filter((name) =>
  /^evasion.*\.json$/.test(name),
);
const evasionCommands = (name: string): string[] =>
  corpus(name).flatMap((entry: { steps: [string, string][] }) =>
    entry.steps.filter(([actionType]) => actionType === 'execute_command').map(([, target]) => target),
  );
// Spellings where a shell grammar and bash could part ways: comments, heredocs, continuations, globs, braces.
const PROBES = [
  'git log x#; sudo reboot',
  'git status;#x\nsudo reboot',
  'ls \\\n; sudo reboot',
  'x <<EOF\nEOF\nsudo reboot',
  'x <<-EOF\n\tEOF\nsudo reboot',
  'git log \'a\'"b"c',
  'echo a{b a}b \\{a,b\\}',
  'ls a=b; a=b x',
  'echo !x ! x',
];

describe('commands as bash runs them', () => {
  it(
    'runs no external command the engine did not judge, for every corpus command the engine allows',
    async () => {
      const baseline = await loadBaselinePack();
      const allow = [...corpus('developer-allow.json'), 'x *', 'a=b x'];
      const document = {
        ...baseline.resolved,
        metadata: { id: 'developer', version: '1' },
        commands: { ...baseline.resolved.commands, allow },
      };
      const engine = exactEngine([
        compilePolicyPack(parsePolicyPack(JSON.stringify(document), { format: 'json' })),
      ]);
      const commands: string[] = [
        ...EVASION_FILES.flatMap(evasionCommands),
        ...corpus('benign.json').map((entry: { command: string }) => entry.command),
        ...PROBES,
      ];
      const allowed = commands.filter(
        (command) =>
          engine.evaluate(request('execute_command', command, { policy_pack: 'developer' })).decision ===
          'allow',
      );
      const unjudged: string[] = [];
      for (const command of allowed) unjudged.push(...unread(command, await bashRuns(command)));
      expect(allowed.length).toBeGreaterThan(150);
      expect(unjudged).toEqual([]);
    },
    SPAWNING_TIMEOUT,
  );
});

/**
 * Each command bash ran (`command -> words`) whose words are not those of a simple command the parser read, in one of
 * the spellings the rules judge (commandForms: `command sudo x` and `time sudo x` run `sudo x`), or of one in the
 * script an `eval` runs (its words joined by blanks, as bash joins them).
 */
function unread(command: string, ran: readonly string[]): string[] {
  const read = new Set<string>();
  const readAll = (text: string, depth: number) => {
    for (const { words } of parseCommand(text).commands) {
      // bash passes leading assignments as environment, not as words.
      read.add(words.join(' ').replace(/^(?:[A-Za-z_][A-Za-z0-9_]*=\S* )+/, ''));
      for (const form of commandForms(words)) {
        read.add(form.join(' '));
        if (depth >= 3) continue;
        // The inner commands the engine reads (`eval x`, `trap 'x' EXIT`, `find -exec x \;`), as it reads them.
        const { scripts, commands } = innerCommands(form);
        for (const script of scripts) readAll(script.text, depth + 1);
        for (const inner of commands) readAll(inner.join(' '), depth + 1);
      }
    }
  };
  readAll(command, 0);
  return ran.filter((words) => !read.has(words)).map((words) => `${command} -> ${words}`);
}

// Every corpus command, allowed or not, is run by bash inside bubblewrap: the file system read-only but for a
// scratch folder, no program to run (the folders of programs are empty; bash and timeout are copies in the scratch
// folder), no network, its own process tree and no capabilities. There any command line is safe to run, so bash's
// words can be compared with the parser's for every command whose words the parser says it knows (no expansion,
// substitution or unreadable text, which keep a command from being allowed unasked anyway). One bubblewrap runs
// them all, each in its own bash, killed after a second (`while true; …` runs until then; what it ran still counts).
const BWRAP = '/usr/bin/bwrap';
const TIMEOUT = '/usr/bin/timeout';
const confined = join(sandbox, 'confined');
const CONFINED_HOME = join(confined, 'home');
const DRIVER = `for script in ${confined}/scripts/*; do ${confined}/timeout -s KILL 1 ${confined}/bash -c "$(<"$script")"; done`;

/** The external commands bash runs for each command line inside bubblewrap, each as its words joined by spaces. */
async function confinedBashRuns(commands: readonly string[]): Promise<string[][]> {
  mkdirSync(join(CONFINED_HOME, 'work'), { recursive: true });
  mkdirSync(join(confined, 'scripts'));
  mkdirSync(join(confined, 'logs'));
  copyFileSync(BASH, join(confined, 'bash'));
  copyFileSync(TIMEOUT, join(confined, 'timeout'));
  const logs = commands.map((command, index) => {
    const name = String(index).padStart(5, '0');
    const log = join(confined, 'logs', name);
    writeFileSync(join(confined, 'scripts', name), PRELUDE.replace(LOG, log) + command);
    return log;
  });
  await runToEnd(
    BWRAP,
    [
      ...['--ro-bind', '/', '/', '--tmpfs', '/usr/bin', '--tmpfs', '/usr/sbin', '--tmpfs', '/usr/local/bin'],
      ...['--bind', confined, confined, '--dev', '/dev', '--proc', '/proc', '--unshare-all'],
      ...['--die-with-parent', '--new-session', '--cap-drop', 'ALL', '--chdir', join(CONFINED_HOME, 'work')],
      ...['--clearenv', '--setenv', 'PATH', '/nonexistent', '--setenv', 'HOME', CONFINED_HOME],
      ...[join(confined, 'bash'), '-c', DRIVER],
    ],
    { timeout: 120_000 },
  );
  return logs.map((log) =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\u001e')
          .filter((line) => line !== '')
          .map((line) => line.split('\u001f').slice(0, -1).join(' ').replaceAll(CONFINED_HOME, '~'))
      : [],
  );
}

// Never skipped: `npm test` installs bubblewrap first (tooling/system-packages.mjs), and a run without it fails here.
describe('every corpus command as confined bash runs it', () => {
  it(
    'passes the words the parser reads, for every command whose words the parser knows',
    async () => {
      expect(
        [BASH, BWRAP, TIMEOUT].filter((program) => !existsSync(program)),
        'missing programs: `node tooling/system-packages.mjs` installs them (npm test runs it)',
      ).toEqual([]);
      const commands = [
        ...EVASION_FILES.flatMap(evasionCommands),
        ...corpus('benign.json').map((entry: { command: string }) => entry.command),
        ...PROBES,
      ];
      const knowable = commands.filter((command) => {
        const { expansion, substitution, unreadable } = parseCommand(command);
        return !expansion && !substitution && !unreadable;
      });
      const ran = await confinedBashRuns(knowable);
      const misread = knowable.flatMap((command, index) => unread(command, ran[index] ?? []));
      expect(EVASION_FILES).toContain('evasion-line-continuation.json');
      expect(knowable.length).toBeGreaterThan(300);
      // bash ran external commands for most of them: the comparison is not empty.
      expect(ran.filter((words) => words.length > 0).length).toBeGreaterThan(300);
      expect(misread).toEqual([]);
    },
    SPAWNING_TIMEOUT,
  );
});

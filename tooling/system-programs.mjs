// The system programs the test suites run for real, and how to get them: on Debian as root, apt-get installs what
// is missing; anywhere else the caller stops and names the exact install command (no suite is ever skipped).
// Used by tooling/system-packages.mjs (by hand) and tooling/test-suite.mjs (`npm test`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Which program each Debian package provides, who needs it, and which part of `npm test` first needs it: `tests`
 * (the packages' test tasks) or `browser` (the console's browser tests, which run last, so that Chromium, by far the
 * largest download, installs while everything else builds and runs).
 */
export const PROGRAMS = [
  // @anthropic-ai/sandbox-runtime on Linux: the sandbox itself (its README, "How It Works").
  // It also confines the runtime's real-bash check of every corpus command (packages/runtime/test/bash-differential).
  {
    program: 'bwrap',
    debian: 'bubblewrap',
    needed: 'agent-hooks confinement tests (srt on Linux), runtime bash check',
    part: 'tests',
  },
  // Bridges the sandbox's network to srt's proxies over Unix sockets (its README, "Network Isolation Architecture").
  {
    program: 'socat',
    debian: 'socat',
    needed: 'agent-hooks confinement tests (srt on Linux)',
    part: 'tests',
  },
  // srt scans writable trees for its mandatory deny paths with ripgrep (its README, "Linux search depth").
  { program: 'rg', debian: 'ripgrep', needed: 'agent-hooks confinement tests (srt on Linux)', part: 'tests' },
  // Fleet mode runs on NATS JetStream; its tests start real clusters (tooling/nats-cluster, issue 22).
  {
    program: 'nats-server',
    debian: 'nats-server',
    needed: 'fleet tests and `npm run fleet:up` (tooling/nats-cluster)',
    part: 'tests',
  },
  // The console's browser tests drive the system's Chromium through playwright-core's `executablePath`, so no
  // browser is downloaded at install time (issue 24; Debian's package installs /usr/bin/chromium).
  {
    program: 'chromium',
    debian: 'chromium',
    needed: 'console browser tests (packages/console/test/browser)',
    part: 'browser',
  },
];

/** The programs not on PATH. Only Linux needs any: macOS confines with sandbox-exec, which ships with the system. */
export function missingPrograms() {
  if (process.platform !== 'linux') return [];
  return PROGRAMS.filter(({ program }) => !onPath(program));
}

/** Whether this process may install them itself: Debian (or a derivative), as root. */
export function canInstall() {
  return isDebian() && process.getuid?.() === 0;
}

/** The message that stops a run which cannot install what is missing: what needs each program, and the command. */
export function installAdvice(missing) {
  const packages = missing.map(({ debian }) => debian);
  const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
  const needs = missing.map(({ program, needed }) => `  ${program}: ${needed}`).join('\n');
  const how = !isDebian()
    ? `install ${packages.join(', ')} with your system's package manager`
    : process.getuid?.() === 0
      ? command
      : `sudo sh -c '${command}'`;
  return `missing system programs the tests need:\n${needs}\ninstall them: ${how}\n`;
}

/** `apt-get update`; rejects naming the command when it fails. `output`: an inherited stdio or a file descriptor. */
export function aptUpdate(output = 'inherit') {
  return run('apt-get', ['update'], output);
}

/**
 * `apt-get install` of the programs' packages (after `aptUpdate`; apt allows one install at a time). Resolves when
 * all are on PATH; rejects naming the failed command or the programs still missing.
 */
export async function aptInstall(programs, output = 'inherit') {
  await run(
    'apt-get',
    ['install', '-y', '--no-install-recommends', ...programs.map(({ debian }) => debian)],
    output,
  );
  const still = programs.filter(({ program }) => !onPath(program));
  if (still.length > 0)
    throw new Error(`still missing after apt-get install: ${still.map(({ program }) => program).join(', ')}`);
}

function run(command, args, output) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', output, output],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} failed (exit ${code ?? signal})`)),
    );
  });
}

function onPath(program) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' }).status === 0;
}

function isDebian() {
  if (!existsSync('/etc/os-release')) return false;
  const release = readFileSync('/etc/os-release', 'utf8');
  return /^ID=debian$/m.test(release) || /^ID_LIKE=.*\bdebian\b/m.test(release);
}

#!/usr/bin/env node
// The system programs the test suites run for real (`npm test` runs this first, so no suite skips for want of one):
// on Debian as root, installs what is missing; anywhere else, stops and names the exact install command.
//   node tooling/system-packages.mjs            install what is missing (Debian, root) or fail naming the command
//   node tooling/system-packages.mjs --check    fail naming the command when one is missing, install nothing
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

// Which program each Debian package provides, and who needs it.
const PROGRAMS = [
  // @anthropic-ai/sandbox-runtime on Linux: the sandbox itself (its README, "How It Works").
  // It also confines the runtime's real-bash check of every corpus command (packages/runtime/test/bash-differential).
  { program: 'bwrap', debian: 'bubblewrap', needed: 'agent-hooks confinement tests (srt on Linux), runtime bash check' },
  // Bridges the sandbox's network to srt's proxies over Unix sockets (its README, "Network Isolation Architecture").
  { program: 'socat', debian: 'socat', needed: 'agent-hooks confinement tests (srt on Linux)' },
  // srt scans writable trees for its mandatory deny paths with ripgrep (its README, "Linux search depth").
  { program: 'rg', debian: 'ripgrep', needed: 'agent-hooks confinement tests (srt on Linux)' },
  // Fleet mode runs on NATS JetStream; its tests start real clusters (tooling/nats-cluster, issue 22).
  {
    program: 'nats-server',
    debian: 'nats-server',
    needed: 'fleet tests and `npm run fleet:up` (tooling/nats-cluster)',
  },
  // The console's browser tests drive the system's Chromium through playwright-core's `executablePath`, so no
  // browser is downloaded at install time (issue 24; Debian's package installs /usr/bin/chromium).
  {
    program: 'chromium',
    debian: 'chromium',
    needed: 'console browser tests (packages/console/test/browser)',
  },
];

// Only Linux runs these: macOS confines with sandbox-exec, which ships with the system.
if (process.platform !== 'linux') process.exit(0);

const missing = PROGRAMS.filter(({ program }) => !onPath(program));
if (missing.length === 0) process.exit(0);

const packages = missing.map(({ debian }) => debian);
const installCommand = `apt-get update && apt-get install -y ${packages.join(' ')}`;
const isRoot = process.getuid?.() === 0;

if (process.argv.includes('--check') || !isDebian() || !isRoot) {
  const needs = missing.map(({ program, needed }) => `  ${program}: ${needed}`).join('\n');
  const how = !isDebian()
    ? `install ${packages.join(', ')} with your system's package manager`
    : isRoot
      ? installCommand
      : `sudo sh -c '${installCommand}'`;
  process.stderr.write(`missing system programs the tests need:\n${needs}\ninstall them: ${how}\n`);
  process.exit(1);
}

process.stderr.write(`installing ${packages.join(' ')} (${installCommand})\n`);
run('apt-get', ['update']);
run('apt-get', ['install', '-y', '--no-install-recommends', ...packages]);
const still = missing.filter(({ program }) => !onPath(program));
if (still.length > 0) {
  process.stderr.write(
    `still missing after apt-get install: ${still.map(({ program }) => program).join(', ')}\n`,
  );
  process.exit(1);
}

function onPath(program) {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' }).status === 0;
}

function isDebian() {
  if (!existsSync('/etc/os-release')) return false;
  const release = readFileSync('/etc/os-release', 'utf8');
  return /^ID=debian$/m.test(release) || /^ID_LIKE=.*\bdebian\b/m.test(release);
}

function run(command, args) {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    process.stderr.write(`${command} ${args.join(' ')} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(1);
  }
}

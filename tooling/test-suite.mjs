#!/usr/bin/env node
// What `npm test` runs once the workspace is installed: every package's build, lint, typecheck, tests and package
// checks (turbo), the console's browser tests (after the others when Chromium was still being installed), then the
// fleet acceptance run when all of them passed. It prints how long each part took, and fails when any part failed.
//
// The system programs the suites need come first (tooling/system-programs.mjs): missing ones are installed on Debian
// as root, and anywhere else the run stops at once naming the install command. Chromium, the one large download, is
// installed in the background while the other parts run; only the browser tests wait for it.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailureLines, printFailures } from './failed-tests.mjs';
import { aptInstall, aptUpdate, canInstall, installAdvice, missingPrograms } from './system-programs.mjs';

const CHECKS = ['build', 'lint', 'typecheck', 'test', 'check:package', 'check:api', 'check:proto'];
// Two tasks a core rather than turbo's 10 at once (here and in .ci/run's Node 24 pass): the suites wait on the
// servers and processes they start, yet ten of them on 2 cores slowed each test 2 to 3 times (the daemon's fleet-mode
// tests took 232 s beside the others, 125 s two a core) for no shorter run (510 s, 499 s), and every wait a test
// bounds met that load.
const CONCURRENCY = '--concurrency=200%';
const parts = [];
const failures = [];

const missing = missingPrograms();
if (missing.length > 0 && !canInstall()) {
  process.stderr.write(installAdvice(missing));
  process.exit(1);
}
const forTests = missing.filter(({ part }) => part === 'tests');
const forBrowser = missing.filter(({ part }) => part === 'browser');
if (missing.length > 0) {
  await timed(`system packages (${forTests.map(({ debian }) => debian).join(' ') || 'none'})`, async () => {
    await aptUpdate();
    if (forTests.length > 0) await aptInstall(forTests);
  });
}
const browserInstall = forBrowser.length > 0 ? installInBackground(forBrowser) : undefined;

// With Chromium already there, the browser tests run with the other suites; otherwise once it is installed.
const checked = await timed('turbo: build, lint, typecheck, tests, package checks', () =>
  execTurbo(['run', ...CHECKS, ...(browserInstall ? [] : ['test:browser']), '--continue', CONCURRENCY]),
);
if (browserInstall) {
  const installed = await timed('waiting for the background install of chromium', () => browserInstall);
  if (installed) await timed('console browser tests', () => execTurbo(['run', 'test:browser']));
}
// Last and alone: the acceptance run prints timing figures, which other work beside it would distort.
if (checked)
  await timed('fleet acceptance (npm run fleet:acceptance)', () => exec('npm', ['run', 'fleet:acceptance']));
else notRun('fleet acceptance, since an earlier part failed');

printFailures(failures);
process.stdout.write('\nnpm test, part by part:\n');
for (const { name, ok, seconds } of parts)
  process.stdout.write(`  ${ok ? 'ok  ' : 'FAIL'} ${String(seconds).padStart(5)} s  ${name}\n`);
process.exit(parts.every(({ ok }) => ok) ? 0 : 1);

/** Records a part that did not run as failed. */
function notRun(name) {
  parts.push({ name: `not run: ${name}`, ok: false, seconds: 0 });
}

/** Runs one part, recording whether it succeeded and how long it took; resolves to the success. */
async function timed(name, work) {
  const started = performance.now();
  const ok = await Promise.resolve()
    .then(work)
    .then(
      (result) => result !== false,
      (error) => {
        process.stderr.write(`${name}: ${error.message}\n`);
        return false;
      },
    );
  parts.push({ name, ok, seconds: Math.round((performance.now() - started) / 1000) });
  return ok;
}

/** Runs a command with the terminal's output; resolves to whether it exited 0. */
function exec(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code === 0));
  });
}

/** Runs turbo with its output passed through as it comes, keeping the lines that name a failed test. */
function execTurbo(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('turbo', args, { stdio: ['inherit', 'pipe', 'inherit'] });
    const failed = new FailureLines();
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      failed.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      failures.push(...failed.end());
      resolve(code === 0);
    });
  });
}

/** apt-get install with its output kept in a file, printed only when it fails; resolves to the success. */
function installInBackground(programs) {
  const folder = mkdtempSync(join(tmpdir(), 'cavra-apt-'));
  const log = join(folder, 'apt.log');
  const fd = openSync(log, 'w');
  process.stderr.write(
    `installing ${programs.map(({ debian }) => debian).join(' ')} in the background (${log})\n`,
  );
  return aptInstall(programs, fd)
    .then(
      () => true,
      (error) => {
        process.stderr.write(`${readFileSync(log, 'utf8')}\n${error.message}\n`);
        return false;
      },
    )
    .finally(() => {
      closeSync(fd);
      rmSync(folder, { recursive: true, force: true });
    });
}

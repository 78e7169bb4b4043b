#!/usr/bin/env node
// The system programs the test suites run for real (tooling/system-programs.mjs lists them): on Debian as root,
// installs what is missing; anywhere else, stops and names the exact install command. `npm test` does the same
// itself (tooling/test-suite.mjs), installing Chromium while the other suites run.
//   node tooling/system-packages.mjs            install what is missing (Debian, root) or fail naming the command
//   node tooling/system-packages.mjs --check    fail naming the command when one is missing, install nothing
import { aptInstall, aptUpdate, canInstall, installAdvice, missingPrograms } from './system-programs.mjs';

const missing = missingPrograms();
if (missing.length === 0) process.exit(0);
if (process.argv.includes('--check') || !canInstall()) {
  process.stderr.write(installAdvice(missing));
  process.exit(1);
}
process.stderr.write(`installing ${missing.map(({ debian }) => debian).join(' ')}\n`);
try {
  await aptUpdate();
  await aptInstall(missing);
} catch (error) {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

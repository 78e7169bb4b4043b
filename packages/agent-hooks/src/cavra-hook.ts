#!/usr/bin/env node
import { runCavraHook } from './hook-cli.js';

// runCavraHook answers every failure itself; the catch is the last line of fail-closed: exit 2, never exit 1
// (which the agents let through) and never a stack trace on stdout.
runCavraHook(process.argv.slice(2), process.stdin, process.env).then(
  (answer) => {
    process.stdout.write(answer.stdout);
    process.stderr.write(answer.stderr);
    process.exitCode = answer.exitCode;
  },
  (error: unknown) => {
    process.stderr.write(`cavra-hook: no decision, denied: ${String(error)}\n`);
    process.exitCode = 2;
  },
);

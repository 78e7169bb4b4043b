#!/usr/bin/env node
import { runCavraHook } from './hook-cli.js';

// runCavraHook answers every failure itself; the catch is the last line of fail-closed: exit 2, never exit 1
// (which the agents let through) and never a stack trace on stdout.
runCavraHook(process.argv.slice(2), process.stdin, process.env).then(
  (answer) => give(answer.stdout, answer.stderr, answer.exitCode),
  (error: unknown) => give('', `cavra-hook: no decision, denied: ${String(error)}\n`, 2),
);

/**
 * Writes the answer; the process exits with `exitCode` once both streams have taken it. An answer the agent could not
 * be given is a block (exit 2): a write error (the agent closed the hook's stdout: EPIPE) would otherwise be an
 * unhandled error event, exit 1, which the agents let through, and an `allow` or a `deny` lost on a closed stdout
 * must not read as a pass either.
 */
function give(stdout: string, stderr: string, exitCode: number): void {
  process.exitCode = exitCode;
  const unwritten = () => {
    process.exitCode = 2;
  };
  process.stdout.on('error', unwritten);
  process.stderr.on('error', unwritten);
  process.stdout.write(stdout);
  process.stderr.write(stderr);
}

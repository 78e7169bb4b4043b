#!/usr/bin/env node
import { runCavraHook } from './hook-cli.js';

// runCavraHook answers every failure itself; the catch is the last line of fail-closed: exit 2, never exit 1
// (which the agents let through) and never a stack trace on stdout.
runCavraHook(process.argv.slice(2), process.stdin, process.env).then(
  (answer) => answerAndExit(answer.stdout, answer.stderr, answer.exitCode),
  (error: unknown) => answerAndExit('', `cavra-hook: no decision, denied: ${String(error)}\n`, 2),
);

/**
 * Writes the answer, then exits as soon as both streams have taken it. Nothing is left to run by then (runCavraHook
 * settles once its daemon calls are answered, the connection ended and the record of an asked call written), and an
 * explicit exit skips freeing the heap piece by piece, as a natural exit does: about 3.5 ms of every tool call
 * (docs/performance.md, issue 25 round 10). The callbacks, not the writes' return, say when: Node writes a pipe on
 * stdout asynchronously on POSIX. An answer the agent could not be given is a block (exit 2): an `allow` or a `deny`
 * lost on a closed stdout must not read as exit 0 with nothing said.
 */
function answerAndExit(stdout: string, stderr: string, exitCode: number): void {
  process.exitCode = exitCode;
  let pending = 2;
  const written = (error?: Error | null) => {
    if (error) process.exitCode = 2;
    pending -= 1;
    if (pending === 0) process.exit();
  };
  process.stdout.write(stdout, written);
  process.stderr.write(stderr, written);
}

#!/usr/bin/env node
import { readSync, writeSync } from 'node:fs';
import { runCavraHook } from './hook-cli.js';

// runCavraHook answers every failure itself; the catch is the last line of fail-closed: exit 2, never exit 1
// (which the agents let through) and never a stack trace on stdout.
runCavraHook(process.argv.slice(2), standardInput(), process.env).then(
  (answer) => give(answer.stdout, answer.stderr, answer.exitCode),
  (error: unknown) => give('', `cavra-hook: no decision, denied: ${String(error)}\n`, 2),
);

/**
 * The payload, read from descriptor 0 with blocking reads rather than through `process.stdin`: a call that never
 * reaches the daemon (a pass-through tool, a PostToolUse call nothing was asked about: one per tool call) then loads
 * none of Node's stream and socket modules, about a tenth of the hook's start. Nothing else runs while the hook reads
 * its payload, so blocking costs nothing. A descriptor in non-blocking mode (EAGAIN) is read through `process.stdin`.
 */
async function* standardInput(): AsyncGenerator<Uint8Array> {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    let read: number;
    try {
      read = readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EOF') return; // the end of a pipe, on Windows
      if (code !== 'EAGAIN') throw error;
      yield* process.stdin;
      return;
    }
    if (read === 0) return;
    yield Buffer.from(buffer.subarray(0, read));
  }
}

/**
 * Writes the answer; the process exits with `exitCode` once both are written. An answer the agent could not be
 * given is a block (exit 2): an `allow` or a `deny` lost on a closed stdout (EPIPE) must not read as a pass, and
 * neither may exit 1 (an unhandled stream error), which the agents let through.
 */
function give(stdout: string, stderr: string, exitCode: number): void {
  process.exitCode = exitCode;
  write(1, stdout);
  write(2, stderr);
}

/** Writes `text` to descriptor 1 or 2 with blocking writes (as `standardInput` reads); a non-blocking one as a stream. */
function write(fd: 1 | 2, text: string): void {
  let data = Buffer.from(text, 'utf8');
  try {
    while (data.length > 0) data = data.subarray(writeSync(fd, data));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') {
      process.exitCode = 2;
      return;
    }
    const stream = fd === 1 ? process.stdout : process.stderr;
    stream.on('error', () => {
      process.exitCode = 2;
    });
    stream.write(data);
  }
}

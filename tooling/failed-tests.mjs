#!/usr/bin/env node
// The failed tests of a test run's output, for the tail of a CI log (a CI page shows a few dozen lines): imported by
// tooling/test-suite.mjs, and run by .ci/run on a saved log (`node tooling/failed-tests.mjs FILE`).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const MAX_LINES = 20;

/**
 * Picks the failed tests out of turbo's output, each with its first line of error and the task that printed it:
 * vitest's `FAIL  file > test`, node:test's `not ok N - test` (TAP) and `✖ test` (its spec reporter).
 */
export class FailureLines {
  #rest = '';
  #lines = [];
  #wantNext = false;

  push(chunk) {
    const text = this.#rest + chunk.toString('utf8');
    const lines = text.split('\n');
    this.#rest = lines.pop();
    for (const line of lines) this.#take(line);
  }

  end() {
    if (this.#rest) this.#take(this.#rest);
    return [...new Set(this.#lines)];
  }

  #take(raw) {
    const line = stripVTControlCharacters(raw).trimEnd();
    const body = line.replace(/^\S+:\S+: /, '').trim();
    // TAP puts a YAML block between a failed test and its error: its other keys are skipped.
    if (this.#wantNext && body !== '' && !/^(---|duration_ms:|location:|failureType:|type:)/.test(body)) {
      this.#wantNext = false;
      this.#lines.push(`    ${body.slice(0, 300)}`);
      return;
    }
    if (/^FAIL\s+\S.* > /.test(body) || /^(not ok \d+ - |✖ )/.test(body)) {
      this.#lines.push(line.slice(0, 300));
      this.#wantNext = true;
    }
  }
}

/** Prints the failed tests' lines, at most MAX_LINES of them; nothing when there are none. */
export function printFailures(lines) {
  if (lines.length === 0) return;
  process.stdout.write('\nfailed, as their suites reported it (the whole report is above):\n');
  for (const line of lines.slice(0, MAX_LINES)) process.stdout.write(`  ${line}\n`);
  if (lines.length > MAX_LINES) process.stdout.write(`  ... and ${lines.length - MAX_LINES} lines more\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const lines = new FailureLines();
  lines.push(readFileSync(process.argv[2]));
  printFailures(lines.end());
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary file of a test run under one folder, removed when the run ends: tests and the processes they start
 * (hooks, daemons, sandboxes) make their folders with `os.tmpdir()`, which reads TMPDIR, and the workers inherit it.
 * Without it a run left about ten folders in /tmp (a test's fixtures made at import, a process killed by the runner
 * before its exit handler ran) and every confined command one socket of the sandbox library's.
 */
export default function temporaryRoot(): () => void {
  // A short name: the tests' socket paths are under it, and macOS allows 104 bytes for one (its TMPDIR is ~50 already).
  const root = mkdtempSync(join(tmpdir(), 'cvt-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}

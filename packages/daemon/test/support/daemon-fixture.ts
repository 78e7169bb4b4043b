import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Daemon, type DaemonConfig, resolveDaemonConfig, startDaemon } from '../../src/index.js';

export const FIXED_NOW = new Date('2026-11-25T10:00:00.000Z');

/** The version in this package's package.json, which health, logs and `start` report. */
export const PACKAGE_VERSION: string = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
).version;

const made = new Set<string>();

/** A temp dir with a short path (Unix socket paths are limited to ~100 bytes), removed by `removeTempDirs`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cvd-'));
  made.add(dir);
  return dir;
}

/** Removes every temp dir made so far: call it after the daemons using them are stopped. */
export async function removeTempDirs(): Promise<void> {
  await Promise.all([...made].map((dir) => rm(dir, { recursive: true, force: true })));
  made.clear();
}

export interface Started {
  readonly daemon: Daemon;
  readonly config: DaemonConfig;
  readonly dir: string;
}

/** Starts a daemon in this process with a fixed clock and counting ids; `raw` is the config file's content. */
export async function startTestDaemon(
  raw: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<Started> {
  const dir = tempDir();
  const config = resolveDaemonConfig(
    { evidence_log: 'evidence.jsonl', socket_path: 'run/d.sock', ...raw },
    { baseDir: dir },
  );
  let next = 0;
  const daemon = await startDaemon(config, {
    clock: () => FIXED_NOW,
    ids: () => `id-${++next}`,
    env,
    drainTimeoutMs: 2000,
  });
  return { daemon, config, dir };
}

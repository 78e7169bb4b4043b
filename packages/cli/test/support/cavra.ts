import { type ExecFileOptions, execFile } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bin, as npm links it. */
export const CAVRA = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

const made = new Set<string>();

/** A temp dir with a short path (the daemon's socket path must fit), removed by `removeTempDirs`. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cvc-'));
  made.add(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all([...made].map((dir) => rm(dir, { recursive: true, force: true })));
  made.clear();
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[], options: ExecFileOptions, stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(file, [...args], { ...options, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error.code as number | undefined) ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });
}

/** Runs `cavra ARGS` in `cwd` to completion (a failing exit is a result, not an exception). */
export function cavra(args: readonly string[], cwd: string, stdin?: string): Promise<Run> {
  return run(CAVRA, args, { cwd }, stdin);
}

const FORBID = fileURLToPath(new URL('../../../../tooling/forbid-imports.mjs', import.meta.url));

/**
 * Runs `cavra ARGS` as `cavra` does, except that an import of a package in `forbidden` fails (with
 * `forbidden import: <specifier>`): a command that succeeds so never loaded them.
 */
export function cavraWithout(
  forbidden: readonly string[],
  args: readonly string[],
  cwd: string,
): Promise<Run> {
  return run(process.execPath, ['--import', FORBID, CAVRA, ...args], {
    cwd,
    env: { ...process.env, CAVRA_FORBIDDEN_IMPORTS: forbidden.join(',') },
  });
}

/** A folder holding a `cavra` link to the built bin, to put first on PATH as a global install would. */
export function binDir(): string {
  const dir = tempDir();
  symlinkSync(CAVRA, join(dir, 'cavra'));
  return dir;
}

/**
 * Runs a shell command line as a user would type it, stderr merged into stdout. Asynchronous, as every wait of a test
 * must be: vitest's worker answers its runner between turns of the loop, and one held longer than 60 s fails the run.
 */
export async function shell(line: string, cwd: string, bin: string): Promise<string> {
  const { stdout } = await run('/bin/sh', ['-c', `exec 2>&1; ${line}`], {
    cwd,
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  return stdout;
}

import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resolveDaemonConfig, startDaemon } from '@cavra/daemon';

export const HOOK_BIN = fileURLToPath(new URL('../../dist/bin/cavra-hook.cjs', import.meta.url));
export const GATEWAY_BIN = fileURLToPath(new URL('../../dist/bin/cavra-mcp-gateway.js', import.meta.url));

export interface TestDaemon {
  readonly dir: string;
  readonly socketPath: string;
  evidence(): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** A real daemon on a socket in a temp dir of its own, deciding by the shipped baseline pack. */
export async function startTestDaemon(config: Record<string, unknown> = {}): Promise<TestDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'cavra-hooks-'));
  const socketPath = join(dir, 'daemon.sock');
  const evidenceLog = join(dir, 'evidence.jsonl');
  const daemon = await startDaemon(
    resolveDaemonConfig({ socket_path: socketPath, evidence_log: evidenceLog, ...config }, { baseDir: dir }),
  );
  return {
    dir,
    socketPath,
    async evidence() {
      const text = await readFile(evidenceLog, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async close() {
      await daemon.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface ProcessResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/**
 * The hook's state folder in these tests (the calls it answered `ask`), instead of the user's
 * `~/.local/state/cavra-hook`; removed when the test process exits.
 */
export const HOOK_STATE_DIR = mkdtempSync(join(tmpdir(), 'cavra-hook-state-'));
/** The hook's code cache folder in these tests ($XDG_CACHE_HOME), instead of the user's `~/.cache`. */
export const HOOK_CACHE_HOME = mkdtempSync(join(tmpdir(), 'cavra-hook-cache-'));
process.on('exit', () => {
  rmSync(HOOK_STATE_DIR, { recursive: true, force: true });
  rmSync(HOOK_CACHE_HOME, { recursive: true, force: true });
});

/** Runs the built `cavra-hook` with `input` on stdin, as an agent does. */
export function runHookProcess(
  args: readonly string[],
  input: string,
  env: NodeJS.ProcessEnv = {},
): Promise<ProcessResult> {
  const child = spawn(process.execPath, [HOOK_BIN, ...args], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: tmpdir(),
      CAVRA_HOOK_STATE_DIR: HOOK_STATE_DIR,
      XDG_CACHE_HOME: HOOK_CACHE_HOME,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The hook may stop reading early (a payload over its bound): a broken pipe is then expected.
  child.stdin.on('error', () => {});
  child.stdin.end(input);
  return processResult(child);
}

/** What a started process prints and how it ends. */
export function processResult(
  child: ChildProcessByStdio<Writable | null, Readable, Readable>,
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}

/** A Claude Code PreToolUse payload for one tool call. */
export function claudePayload(toolName: string, toolInput: unknown, cwd = '/work/project'): string {
  return JSON.stringify({
    session_id: 'session-7',
    transcript_path: '/home/dev/.claude/projects/p/session-7.jsonl',
    cwd,
    permission_mode: 'default',
    hook_event_name: 'PreToolUse',
    tool_name: toolName,
    tool_input: toolInput,
    tool_use_id: 'toolu_01',
  });
}

/**
 * A policy pack of the tests' own for MCP calls, written into `dir`: the `filesystem` and `docs` servers trusted,
 * `shell` blocked, any other refused. Its id is `agent-hooks-test-mcp`; approvals go to `mcp-owners`.
 */
export function writeMcpPack(dir: string): string {
  const file = join(dir, 'mcp-pack.yaml');
  writeFileSync(
    file,
    'metadata: { id: agent-hooks-test-mcp, version: 1.0.0, approver_group: mcp-owners }\n' +
      'mcp: { allowlist_enabled: true, allowed_servers: [filesystem, docs], blocked_servers: [shell] }\n',
  );
  return file;
}

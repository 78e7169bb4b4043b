// The approval round trip (issue 20, "Measure"), machine time only: a real daemon with approvals (the local store,
// self_approval_at_keyboard false, wait_ms set) holds an evaluate that needs approval; `cavra approval approve` runs
// as a real process; the figure is the time from that process's exit to the held evaluate's `allow`. Each trial
// asks for another action (`npm publish --tag t<n>`), so no grant of an earlier trial can answer it.
// Usage: npx tsx bench/approval-round-trip.ts [--trials N] (or pnpm --filter @cavra/cli bench) (default 200). Prints `approvals: round trip ...`.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EvaluateRequestInit } from '@cavra/contracts';
import { createClient, type DaemonClient } from '@cavra/daemon-client';

const CAVRA = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const DAEMON = join(
  dirname(createRequire(import.meta.url).resolve('@cavra/daemon/package.json')),
  'dist',
  'cli.js',
);

/** The approver of the daemon's `Repository Owners` group (the baseline pack's group for `npm publish`). */
export const APPROVER = 'alice@example.com';

/** Runs `cavra ARGS` in `cwd`; resolves with its exit code, output, and the instant it exited. */
export function cavra(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string; startedAt: number; exitedAt: number }> {
  const startedAt = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [CAVRA, ...args], { cwd }, (error, stdout, stderr) =>
      resolve({
        code: error ? ((error.code as number | undefined) ?? 1) : 0,
        stdout,
        stderr,
        startedAt,
        exitedAt: performance.now(),
      }),
    );
  });
}

/** A daemon from startApprovalDaemon. */
export interface ApprovalDaemon {
  readonly dir: string;
  readonly socket: string;
  readonly client: DaemonClient;
  stop(): Promise<void>;
}

/**
 * One round trip: the held evaluate's decision and rule, the approve command's exit code, and the ms from the
 * command's exit (`ms`; negative: the answer came first) and from its start (`fromStartMs`) to the answer.
 */
export interface RoundTrip {
  readonly decision: string;
  readonly ruleId: string;
  readonly approve: number;
  readonly ms: number;
  readonly fromStartMs: number;
}

/**
 * A real daemon (`cavra-daemon start --foreground`) in a fresh folder, with approvals configured: group
 * `Repository Owners` approved by each of `approvers` (`{id, key}`: a key file made there with
 * `cavra approval keygen`; default APPROVER with `alice.pem`), `wait_ms` as given, self-approval at the keyboard
 * off (`oidc`: ID-token reviews accepted too). `approvals: false`: no approvals section. Resolves once it answers health; `stop()` ends it.
 */
export async function startApprovalDaemon({
  waitMs = 30_000,
  approvers = [{ id: APPROVER, key: 'alice.pem' }],
  approvals = true,
  oidc,
}: {
  waitMs?: number;
  approvers?: readonly { id: string; key: string }[];
  approvals?: boolean;
  /** `approvals.oidc`: reviews by an ID token of this issuer are accepted too. */
  oidc?: { issuer: string; audience: string; jwksUrl: string };
} = {}): Promise<ApprovalDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'cva-'));
  for (const approver of approvers) {
    const keygen = await cavra(['approval', 'keygen', '--out', approver.key, '--as', approver.id], dir);
    if (keygen.code !== 0) throw new Error(`cavra approval keygen failed: ${keygen.stderr}`);
  }
  const listed = approvers.map((approver) => `{ id: "${approver.id}", public_key: ${approver.key}.pub.pem }`);
  await writeFile(
    join(dir, 'cavra-daemon.yaml'),
    [
      'socket_path: run/d.sock',
      'evidence_log: evidence.jsonl',
      ...(approvals
        ? [
            'approvals:',
            '  store: local',
            `  wait_ms: ${waitMs}`,
            '  self_approval_at_keyboard: false',
            ...(oidc
              ? [
                  `  oidc: { issuer: "${oidc.issuer}", audience: ${oidc.audience}, jwks_url: "${oidc.jwksUrl}" }`,
                ]
              : []),
            '  groups:',
            '    Repository Owners:',
            `      approvers: [${listed.join(', ')}]`,
          ]
        : []),
      '',
    ].join('\n'),
  );
  const daemon = spawn(process.execPath, [DAEMON, 'start', '--foreground', '--config', 'cavra-daemon.yaml'], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  daemon.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => daemon.once('exit', resolve));
  const socket = join(dir, 'run', 'd.sock');
  const client = createClient({ socketPath: socket, timeoutMs: waitMs + 10_000 });
  for (let attempt = 0; ; attempt++) {
    if ((await client.health().catch(() => undefined))?.pid === daemon.pid) break;
    if (attempt === 400 || daemon.exitCode !== null) {
      daemon.kill('SIGKILL');
      await client.close();
      throw new Error(`the daemon did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    dir,
    socket,
    client,
    async stop() {
      await client.close();
      daemon.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A request that needs approval from `Repository Owners` under the baseline pack. */
export function publishRequest(trial: number): EvaluateRequestInit {
  return {
    session_id: 'ci-session',
    agent_id: 'ci-runner',
    actor: 'ci-bot@example.com',
    action_type: 'execute_command',
    target: `npm publish --tag t${trial}`,
    policy_pack: 'cavra-ai-agent-baseline',
  };
}

/** The pending request for `target`, once the held evaluate has created it (polled: nothing announces it). */
async function pendingRequestId(client: DaemonClient, target: string): Promise<string> {
  for (;;) {
    const pending = await client.listApprovals({ status: 'pending' });
    const found = pending.find((state) => state.request.action.target === target);
    if (found) return found.request.request_id;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Runs `trials` round trips on a daemon from startApprovalDaemon. Resolves with each trial's answer
 * (`{decision, ruleId, approve}`: the held evaluate's decision and rule, the approve command's exit code) and its
 * milliseconds from the approve command's exit to the answer (negative: the answer came first).
 */
export async function measureApprovalRoundTrip(daemon: ApprovalDaemon, trials: number): Promise<RoundTrip[]> {
  const results: RoundTrip[] = [];
  for (let trial = 0; trial < trials; trial++) {
    const request = publishRequest(trial);
    const target = request.target as string;
    let answeredAt = 0;
    const held = daemon.client.evaluate(request).then((decision) => {
      answeredAt = performance.now();
      return decision;
    });
    const id = await pendingRequestId(daemon.client, target);
    const approve = await cavra(
      ['approval', 'approve', id, '--key', 'alice.pem', '--as', APPROVER, '--socket', daemon.socket],
      daemon.dir,
    );
    const decision = await held;
    results.push({
      decision: decision.decision,
      ruleId: decision.rule_id,
      approve: approve.code,
      ms: answeredAt - approve.exitedAt,
      fromStartMs: answeredAt - approve.startedAt,
    });
  }
  return results;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;

const figures = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (value: number) => `${value.toFixed(1)}ms`;
  return `p50=${ms(quantile(sorted, 0.5))} p99=${ms(quantile(sorted, 0.99))} max=${ms(sorted[sorted.length - 1] as number)} (n=${sorted.length}`;
};

/**
 * The two lines printed: `approvals: round trip p50=… p99=… max=… (n=…)`, from the approve command's exit to the
 * `allow` (issue 20's measure; an answer before the exit counts as 0), and the same from the command's start (the
 * person's whole wait, Node's start-up included).
 */
export function roundTripLines(results: readonly RoundTrip[]): string {
  const early = results.filter((result) => result.ms < 0).length;
  return `approvals: round trip ${figures(results.map((result) => Math.max(0, result.ms)))}, local store, ${early} answered before approve exited)
approvals: approve start to allow ${figures(results.map((result) => result.fromStartMs))}, local store)`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { trials: { type: 'string', default: '200' } } });
  const daemon = await startApprovalDaemon();
  try {
    const results = await measureApprovalRoundTrip(daemon, Number(values.trials));
    const wrong = results.filter((result) => result.decision !== 'allow' || result.approve !== 0);
    if (wrong.length > 0)
      throw new Error(`${wrong.length} trial(s) did not end in allow: ${JSON.stringify(wrong[0])}`);
    console.log(roundTripLines(results));
  } finally {
    await daemon.stop();
  }
}

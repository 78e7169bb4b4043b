import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateApproverKey, signReview } from '@cavra/approvals';
import type { EvaluateRequestInit } from '@cavra/contracts';
import { createClient, type DaemonClient } from '@cavra/daemon-client';
import type { ReviewToSign } from '../../src/index.js';

const DAEMON = join(
  dirname(createRequire(import.meta.url).resolve('@cavra/daemon/package.json')),
  'dist',
  'cli.js',
);

/** The approver of the daemon's `Repository Owners` group (the baseline pack's group for `npm publish`). */
export const APPROVER = 'alice@example.com';
/** Another member of the group: the requester in tests of self-review. */
export const REQUESTER = 'ci-bot@example.com';

export interface ApprovalDaemon {
  readonly dir: string;
  readonly socket: string;
  readonly evidenceLog: string;
  readonly client: DaemonClient;
  /** Signs a review as `as` (default APPROVER) with that approver's key: the console's `sign` callback. */
  signAs(as?: string): (review: ReviewToSign) => Promise<string>;
  stop(): Promise<void>;
}

/**
 * A real daemon (`cavra-daemon start --foreground`) in a fresh folder with approvals on the local store: group
 * `Repository Owners` approved by APPROVER and REQUESTER, each with a key made here, evaluates held `waitMs`,
 * requests expiring after `expiry` when given.
 * Resolves once it answers health.
 */
export async function startApprovalDaemon({
  waitMs = 0,
  expiry,
}: {
  waitMs?: number;
  /** `approvals.expiry` of both kinds of requester (e.g. `1s`), instead of the defaults. */
  expiry?: string;
} = {}): Promise<ApprovalDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'cvk-'));
  const keys = new Map<string, string>();
  const listed: string[] = [];
  for (const [index, id] of [APPROVER, REQUESTER].entries()) {
    const key = await generateApproverKey();
    keys.set(id, key.privateKeyPem);
    await writeFile(join(dir, `approver-${index}.pub.pem`), key.publicKeyPem);
    listed.push(`{ id: "${id}", public_key: approver-${index}.pub.pem }`);
  }
  await writeFile(
    join(dir, 'cavra-daemon.yaml'),
    [
      'socket_path: run/d.sock',
      'evidence_log: evidence.jsonl',
      'approvals:',
      '  store: local',
      `  wait_ms: ${waitMs}`,
      '  self_approval_at_keyboard: false',
      ...(expiry ? [`  expiry: { interactive: ${expiry}, ci: ${expiry} }`] : []),
      '  groups:',
      '    Repository Owners:',
      `      approvers: [${listed.join(', ')}]`,
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
  const client = createClient({ socketPath: socket, timeoutMs: waitMs + 20_000 });
  for (let attempt = 0; ; attempt++) {
    if ((await client.health().catch(() => undefined))?.pid === daemon.pid) break;
    if (attempt === 800 || daemon.exitCode !== null) {
      daemon.kill('SIGKILL');
      await client.close();
      throw new Error(`the daemon did not start: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    dir,
    socket,
    evidenceLog: join(dir, 'evidence.jsonl'),
    client,
    signAs:
      (as = APPROVER) =>
      (review) =>
        signReview(
          {
            request_id: review.id,
            verdict: review.verdict,
            reviewer: as,
            ...(review.scope ? { scope: review.scope } : {}),
            ...(review.reason ? { reason: review.reason } : {}),
          },
          keys.get(as) as string,
        ),
    async stop() {
      await client.close();
      daemon.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A request that needs approval from `Repository Owners` under the baseline pack (`npm publish`). */
export function publishRequest(
  tag: string,
  overrides: Partial<EvaluateRequestInit> = {},
): EvaluateRequestInit {
  return {
    session_id: 'console-session',
    agent_id: 'ci-runner',
    actor: REQUESTER,
    action_type: 'execute_command',
    target: `npm publish --tag ${tag}`,
    policy_pack: 'cavra-ai-agent-baseline',
    ...overrides,
  };
}

/** The request id a `require_approval` answer created (its `cavra-approval://` evidence ref). */
export function requestIdOf(decision: { evidence_refs: readonly string[] }): string {
  const ref = decision.evidence_refs.find((value) => value.startsWith('cavra-approval://'));
  if (!ref) throw new Error(`no approval ref in ${JSON.stringify(decision.evidence_refs)}`);
  return ref.slice('cavra-approval://'.length);
}

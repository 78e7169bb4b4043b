import { mkdtempSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApproverKey, signReview } from '@cavra/approvals';
import { type Daemon, resolveDaemonConfig, startDaemon } from '@cavra/daemon';
import { createClient, type DaemonClient } from '@cavra/daemon-client';
import { until } from './until.js';

/** The approver of the daemon's `Repository Owners` group: the identity the console signs reviews as. */
export const APPROVER = 'alice@example.com';

/** A running daemon of startApprovalDaemon. */
export interface ApprovalDaemon {
  readonly dir: string;
  readonly daemon: Daemon;
  readonly socketPath: string;
  readonly evidenceLog: string;
  /** A client whose evaluates wait as long as the daemon holds them (`wait_ms` + 10 s). */
  readonly client: DaemonClient;
  /** Signs a review as APPROVER, as `cavra approval approve --key alice.pem --as alice@example.com` does. */
  sign(review: { id: string; verdict: 'approve' | 'deny'; scope?: string; reason?: string }): Promise<string>;
  stop(): Promise<void>;
}

const WAIT_MS = 30_000;

/**
 * A real daemon (this process, its real Unix socket and evidence log) with approvals on the local store:
 * self-approval at the keyboard off and `wait_ms` 30 s, so an evaluate that needs approval is held until a person
 * answers; APPROVER (an Ed25519 key made here) approves for `Repository Owners`. `approvals: false`: no approvals
 * section (a `require_approval` is answered at once). `settings` adds to the config.
 */
export async function startApprovalDaemon({
  approvals = true,
  settings = {},
}: {
  approvals?: boolean;
  settings?: Record<string, unknown>;
} = {}): Promise<ApprovalDaemon> {
  // A short path: Unix socket paths are limited to ~100 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'cvb-'));
  const key = await generateApproverKey();
  await writeFile(join(dir, 'alice.pub.pem'), key.publicKeyPem);
  const config = resolveDaemonConfig(
    {
      socket_path: 'run/d.sock',
      evidence_log: 'evidence.jsonl',
      ...(approvals
        ? {
            approvals: {
              store: 'local',
              wait_ms: WAIT_MS,
              self_approval_at_keyboard: false,
              groups: { 'Repository Owners': { approvers: [{ id: APPROVER, public_key: 'alice.pub.pem' }] } },
            },
          }
        : {}),
      ...settings,
    },
    { baseDir: dir },
  );
  const daemon = await startDaemon(config, { drainTimeoutMs: 2000 });
  const client = createClient({ socketPath: daemon.socketPath, timeoutMs: WAIT_MS + 10_000 });
  return {
    dir,
    daemon,
    socketPath: daemon.socketPath,
    evidenceLog: join(dir, 'evidence.jsonl'),
    client,
    sign: (review) =>
      signReview(
        {
          request_id: review.id,
          verdict: review.verdict,
          ...(review.scope !== undefined ? { scope: review.scope } : {}),
          ...(review.reason !== undefined ? { reason: review.reason } : {}),
          reviewer: APPROVER,
        },
        key.privateKeyPem,
        { kid: key.kid },
      ),
    async stop() {
      await client.close();
      await daemon.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `npm publish --tag <tag>` by a CI bot: the baseline pack asks `Repository Owners` to approve it. */
export function publishRequest(tag: string): Parameters<DaemonClient['evaluate']>[0] {
  return {
    session_id: 'release-session',
    agent_id: 'ci-runner',
    actor: 'ci-bot@example.com',
    action_type: 'execute_command',
    target: `npm publish --tag ${tag}`,
    policy_pack: 'cavra-ai-agent-baseline',
  };
}

/** The id of the pending request for `target`, once the held evaluate has made it (nothing announces it: polled). */
export function pendingRequestId(client: DaemonClient, target: string): Promise<string> {
  return until(`the pending approval request for ${target}`, async () => {
    const pending = await client.listApprovals({ status: 'pending' });
    return pending.find((state) => state.request.action.target === target)?.request.request_id;
  });
}

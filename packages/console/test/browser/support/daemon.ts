import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDaemonConfig, startDaemon } from '@cavra/daemon';
import { createClient, type DaemonClient } from '@cavra/daemon-client';
import { until } from './until.js';

/** A daemon of startPlainDaemon. */
export interface PlainDaemon {
  readonly dir: string;
  readonly evidenceLog: string;
  readonly client: DaemonClient;
  stop(): Promise<void>;
}

/**
 * A real daemon (in this process, on its real Unix socket and evidence log) without approvals: every decision is
 * answered at once and written to the log as the engine made it.
 */
export async function startPlainDaemon(): Promise<PlainDaemon> {
  // A short path: Unix socket paths are limited to ~100 bytes.
  const dir = mkdtempSync(join(tmpdir(), 'cvb-'));
  const config = resolveDaemonConfig(
    { socket_path: 'run/d.sock', evidence_log: 'evidence.jsonl' },
    { baseDir: dir },
  );
  const daemon = await startDaemon(config, { drainTimeoutMs: 2000 });
  const client = createClient({ socketPath: daemon.socketPath });
  return {
    dir,
    evidenceLog: join(dir, 'evidence.jsonl'),
    client,
    async stop() {
      await client.close();
      await daemon.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The id of the pending request for `target`, once the held evaluate has made it (nothing announces it: polled). */
export function pendingRequestId(client: DaemonClient, target: string): Promise<string> {
  return until(`the pending approval request for ${target}`, async () => {
    const pending = await client.listApprovals({ status: 'pending' });
    return pending.find((state) => state.request.action.target === target)?.request.request_id;
  });
}

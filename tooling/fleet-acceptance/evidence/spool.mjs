// The 5 MiB spool of issue 23 with the cluster down: a fleet daemon asked as fast as it answers until its spool
// refuses, the disk watched throughout; then what its log says about where warnings and blocks began.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createClient } from '@cavra/daemon-client';
import { sleep } from '../wait.mjs';
import { readLocalLog } from './local-log.mjs';

export const SPOOL_MAX_BYTES = 5 * 1024 * 1024;
/** Concurrent clients filling it (as agents of one machine would). */
export const SPOOL_FILL_CLIENTS = 4;
/** The daemon keeps a tenth of the spool (at least 64 KiB) for the records of its blocks (docs/fleet.md, sizing). */
export const SPOOL_HEADROOM = Math.max(64 * 1024, SPOOL_MAX_BYTES / 10);

/**
 * The bytes of the log and its segments on disk. A file renamed between listing and measuring (the active file closed
 * as a segment, a segment pruned) makes the pass start again: its bytes are then counted under its new name, or not.
 */
export async function spoolBytes(evidenceLog) {
  const dir = dirname(evidenceLog);
  const name = basename(evidenceLog);
  for (;;) {
    let total = 0;
    let moved = false;
    for (const file of await readdir(dir)) {
      if (file !== name && !file.startsWith(`${name}.seg-`)) continue;
      const size = await stat(join(dir, file)).then(
        (stats) => stats.size,
        (error) => {
          if (error.code !== 'ENOENT') throw error;
          moved = true;
          return 0;
        },
      );
      total += size;
    }
    if (!moved) return total;
  }
}

/**
 * Asks `daemon` with `clients` concurrent clients until a request is refused (the spool past its headroom) or
 * `deadline` (ms since the epoch); the disk is measured every 100 ms. `{ decisions, refused, maxDisk }`.
 */
export async function fillSpool(daemon, deadline, clients = SPOOL_FILL_CLIENTS) {
  let refused = false;
  let decisions = 0;
  let maxDisk = 0;
  const watch = (async () => {
    while (!refused && Date.now() < deadline) {
      maxDisk = Math.max(maxDisk, await spoolBytes(daemon.evidenceLog));
      await sleep(100);
    }
  })();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const client = createClient({ socketPath: daemon.socketPath, timeoutMs: 30_000 });
      try {
        while (!refused && Date.now() < deadline) {
          await client
            .evaluate({
              session_id: 'spool',
              agent_id: 'acceptance',
              actor: 'ci@example.com',
              action_type: 'execute_command',
              target: `echo ${c}-${decisions}`,
              requested_operation: 'execute',
            })
            .then(
              () => {
                decisions += 1;
              },
              () => {
                refused = true;
              },
            );
        }
      } finally {
        await client.close();
      }
    }),
  );
  await watch;
  maxDisk = Math.max(maxDisk, await spoolBytes(daemon.evidenceLog));
  return { decisions, refused, maxDisk };
}

/**
 * Where in the spool (bytes before the record) the first `fleet_spool_high` warning and the first `fleet.spool_full`
 * block were written, how many blocks, and the decision records after each start that lack it (should be none).
 */
export async function spoolLevels(evidenceLog) {
  const log = await readLocalLog(evidenceLog);
  const levels = { warnedAt: undefined, blockedAt: undefined, blocks: 0, unwarned: 0, allowedAfterFull: 0 };
  let start = 0;
  for (const end of log.ends) {
    const record = JSON.parse(log.bytes.subarray(start, end).toString('utf8'));
    if (record.decision !== undefined) {
      const warned = (record.contract_warnings ?? []).some((w) => w.code === 'fleet_spool_high');
      const blocked = record.decision.rule_id === 'fleet.spool_full';
      if (warned) levels.warnedAt ??= start;
      if (blocked) {
        levels.blockedAt ??= start;
        levels.blocks += 1;
      }
      if (levels.warnedAt !== undefined && !warned) levels.unwarned += 1;
      if (levels.blockedAt !== undefined && !blocked) levels.allowedAfterFull += 1;
    }
    start = end;
  }
  return levels;
}

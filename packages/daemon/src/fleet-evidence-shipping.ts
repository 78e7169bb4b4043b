import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { FleetShippingHealth } from '@cavra/daemon-client';
import { evidenceEpoch, type Fleet, readShipCursor, type ShipperHandle, startShipper } from '@cavra/fleet';
import type { EvidenceLog } from './evidence-log.js';
import { listSegments, readPruneMark } from './evidence-segments.js';
import { spoolSource } from './evidence-spool-reader.js';
import type { FleetEvidenceConfig } from './fleet-config.js';
import { readLines } from './log-lines.js';
import type { Logger } from './logger.js';

/** The cursor file of the shipper, in the fleet state folder (`cavra-daemon stop` reads it too). */
export function shipCursorFile(stateDir: string): string {
  return join(stateDir, 'evidence-ship.json');
}

/** The daemon's evidence shipping: started once the follower is connected to NATS; drained when the daemon stops. */
export interface EvidenceShipping {
  /** The follower's connection is up: start shipping on it (once). */
  connected(fleet: Fleet): void;
  /** Resolves once record `seq` is acknowledged by the stream; rejects after `timeoutMs` or when shipping stops. */
  shipped(seq: number, timeoutMs: number): Promise<void>;
  /** Ships what the log holds, waiting at most `timeoutMs`; the records left unshipped. */
  drain(timeoutMs: number): Promise<number>;
  health(): FleetShippingHealth;
  close(): Promise<void>;
}

export function createEvidenceShipping(options: {
  readonly config: FleetEvidenceConfig;
  readonly stateDir: string;
  readonly daemonId: string;
  readonly log: EvidenceLog;
  readonly logger: Logger;
}): EvidenceShipping {
  const { config, daemonId, log, logger } = options;
  const source = spoolSource(log);
  const cursorFile = shipCursorFile(options.stateDir);
  let shipper: ShipperHandle | undefined;
  let started: () => void = () => {};
  const starting = new Promise<void>((resolve) => {
    started = resolve;
  });
  let closed = false;

  /** Runs `task` on the shipper once it exists, or resolves `undefined` after `timeoutMs` without one. */
  const withShipper = async <T>(
    timeoutMs: number,
    task: (handle: ShipperHandle, left: number) => Promise<T>,
  ) => {
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([starting, new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    return shipper ? task(shipper, Math.max(0, deadline - Date.now())) : undefined;
  };

  return {
    connected(fleet) {
      if (shipper || closed) return;
      shipper = startShipper({
        fleet,
        daemonId,
        source,
        cursorFile,
        logger,
        batchMaxRecords: config.batchMaxRecords,
        // A sync decision waits for its batch: ship at once. Async: let a burst gather into one batch.
        ...(config.shipMode === 'sync' ? { lingerMs: 0 } : {}),
      });
      started();
    },
    async shipped(seq, timeoutMs) {
      const done = await withShipper(timeoutMs, async (handle, left) => {
        let timer: NodeJS.Timeout | undefined;
        const ok = await Promise.race([
          handle.waitShipped(seq).then(() => true),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), left))),
        ]).finally(() => clearTimeout(timer));
        return ok;
      });
      if (!done)
        throw new Error(
          `evidence record ${seq} was not acknowledged by the fleet stream within ${config.drainTimeout} (ship_mode: sync)`,
        );
    },
    async drain(timeoutMs) {
      const drained = await withShipper(timeoutMs, (handle, left) => handle.drain(left));
      if (drained) return drained.unshipped;
      // Never connected: what the cursor file says was acknowledged, in this log, is all that was shipped.
      const { cursor } = await readShipCursor(cursorFile);
      const shipped = cursor && cursor.epoch === (await source.epoch()) ? cursor.seq : 0;
      return Math.max(0, log.records - shipped);
    },
    health() {
      const state = shipper?.state();
      return {
        connected: shipper !== undefined,
        shipped_seq: state?.shippedSeq ?? 0,
        pending: state ? state.pending : null,
        last_error: state?.lastError ?? null,
        lost_acks_repaired: state?.lostAcksRepaired ?? 0,
        conflicts: state?.conflicts ?? 0,
        resends: state?.resends ?? 0,
        cursor_problem: state?.cursorProblem ?? null,
        ship_mode: config.shipMode,
      };
    },
    async close() {
      closed = true;
      await shipper?.close();
    },
  };
}

/**
 * The records of a stopped daemon's log that its cursor file does not name as acknowledged (`cavra-daemon stop`
 * reports them): all of them when the cursor belongs to another log (epoch) or is missing or unreadable. A segmented
 * log is read as one: its epoch from its first segment (or its prune mark), its last seq from its newest record.
 */
export async function unshippedRecords(logPath: string, stateDir: string): Promise<number> {
  const mark = await readPruneMark(logPath);
  const files = [...(await listSegments(logPath)).map((segment) => segment.path), logPath];
  let firstHash: string | undefined;
  let last = mark?.seq ?? 0;
  for (const path of files) {
    const file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' && path === logPath) return undefined; // a crash between two segments
        throw error;
      },
    );
    if (!file) break;
    try {
      await readLines(file, 0, (await file.stat()).size, (line) => {
        const record = JSON.parse(line) as { seq: number; hash: string };
        if (record.seq === 1) firstHash = record.hash;
        last = record.seq;
      });
    } finally {
      await file.close();
    }
  }
  const epoch = mark?.epoch ?? (firstHash ? evidenceEpoch(firstHash) : undefined);
  const { cursor } = await readShipCursor(shipCursorFile(stateDir));
  const shipped = cursor && epoch && cursor.epoch === epoch ? cursor.seq : 0;
  return Math.max(0, last - shipped);
}

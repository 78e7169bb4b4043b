import { readFile, stat } from 'node:fs/promises';
import { parseDuration } from '@cavra/approvals';
import { type Fleet, openEvidenceBucket, verifyEvidenceReceipt } from '@cavra/fleet';
import type { EvidenceLog } from './evidence-log.js';
import type { ClosedSegment } from './evidence-segments.js';
import { SpoolReader } from './evidence-spool-reader.js';
import type { FleetSpoolConfig } from './fleet-config.js';
import type { Logger } from './logger.js';

/** What one pruning pass did: the segments deleted, and why it stopped where it did. */
export interface PruneOutcome {
  readonly pruned: readonly ClosedSegment[];
  /** Why nothing (more) was pruned, for the log: `no_receipt`, `receipt_too_new`, `segment_too_new`, ... */
  readonly held?: string;
}

export interface PruneHost {
  readonly log: EvidenceLog;
  readonly config: FleetSpoolConfig;
  readonly daemonId: string;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

/**
 * One pass: deletes the closed segments the receipt (the compact JWS the central verifier wrote to KV
 * `cavra_evidence_receipts`) covers, when all of these hold; else deletes nothing. The receipt verifies with
 * `receipt_public_key` and names this daemon and this log's epoch; the local record at its seq has its hash (the
 * verifier checked the chain this log holds, not another); it is older than `prune_delay` (nats-server 2.9
 * acknowledges before it syncs, so a fresh receipt's records may still be lost by the servers); and each segment was
 * closed at least `prune_delay` ago here too (the local minimum age: a verifier's clock running ahead cannot
 * shorten it).
 */
export async function pruneWithReceipt(jws: string | undefined, host: PruneHost): Promise<PruneOutcome> {
  const { log, config } = host;
  if (!config.receiptPublicKey) return { pruned: [], held: 'no_receipt_public_key' };
  if (jws === undefined) return { pruned: [], held: 'no_receipt' };
  const receipt = await verifyEvidenceReceipt(jws, await readFile(config.receiptPublicKey, 'utf8'));
  if (receipt.daemon_id !== host.daemonId) return { pruned: [], held: 'receipt_of_another_daemon' };
  if (receipt.epoch !== (await log.epoch())) return { pruned: [], held: 'receipt_of_another_epoch' };
  const delayMs = parseDuration(config.pruneDelay) * 1000;
  const now = host.now();
  const verifiedAt = Date.parse(receipt.verified_at);
  if (!(verifiedAt + delayMs <= now)) return { pruned: [], held: 'receipt_too_new' };
  const layout = log.layout();
  let through = 0;
  let held: string | undefined;
  for (const [index, segment] of layout.closed.entries()) {
    const last = (layout.closed[index + 1]?.first ?? layout.active.first) - 1;
    if (last > receipt.seq) {
      held = 'not_receipted';
      break;
    }
    if ((await stat(segment.path)).mtimeMs + delayMs > now) {
      held = 'segment_too_new';
      break;
    }
    through = last;
  }
  if (through === 0) return { pruned: [], held: held ?? 'no_closed_segment' };
  const at = await new SpoolReader(() => layout).readAfter(receipt.seq - 1, 1, 1);
  if (at?.last !== receipt.seq || at.lastHash !== receipt.hash)
    throw new Error(
      `the receipt names record ${receipt.seq} with hash ${receipt.hash}, which this log does not hold: nothing is pruned`,
    );
  return { pruned: await log.pruneThrough(through), ...(held ? { held } : {}) };
}

/**
 * Prunes now and then beside the daemon (never on a decision's path), and on `wake`: each pass reads the receipt,
 * prunes what it covers, and logs what was deleted or why pruning failed. `readReceipt` reads KV `cavra_evidence_receipts` (undefined
 * while NATS is unreachable or there is no receipt yet).
 */
export function startPruner(
  host: PruneHost & {
    readonly logger: Logger;
    readonly readReceipt: () => Promise<string | undefined>;
    readonly everyMs: number;
  },
): { wake(): Promise<void>; close(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  /** What the last pass said when it pruned nothing: said again only when it changes (a pass runs every minute). */
  let said: string | undefined;
  const once = (what: string, say: () => void) => {
    if (what !== said) say();
    said = what;
  };
  const pass = async () => {
    try {
      const outcome = await pruneWithReceipt(await host.readReceipt(), host);
      if (outcome.pruned.length > 0) {
        said = undefined;
        host.logger.info('fleet: receipted evidence segments pruned', {
          segments: outcome.pruned.length,
          bytes: outcome.pruned.reduce((sum, segment) => sum + segment.bytes, 0),
          through_first: outcome.pruned[outcome.pruned.length - 1]?.first,
          held: outcome.held ?? null,
        });
      } else if (outcome.held) {
        const reason = outcome.held;
        once(reason, () => host.logger.info('fleet: no evidence segment pruned', { reason }));
      }
    } catch (error) {
      const message = (error as Error).message;
      once(message, () => host.logger.warn('fleet: evidence segments not pruned', { error: message }));
    }
  };
  const wake = () => {
    running = running.then(pass);
    return running;
  };
  const timer = setInterval(() => void wake(), host.everyMs);
  timer.unref();
  return {
    /** A pass now (the connection is up: a receipt may be waiting), in turn with the others; resolves after it. */
    wake,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * Reads this daemon's receipt (KV `cavra_evidence_receipts`, key = daemon id) over the connection there is, if any:
 * undefined without a connection or a receipt. The bucket is bound once per connection.
 */
export function receiptReader(
  daemonId: string,
  connection: () => Fleet | undefined,
): () => Promise<string | undefined> {
  let bound: { fleet: Fleet; kv: Awaited<ReturnType<typeof openEvidenceBucket>> } | undefined;
  return async () => {
    const fleet = connection();
    if (!fleet) return undefined;
    if (bound?.fleet !== fleet) bound = { fleet, kv: await openEvidenceBucket(fleet, 'receipts') };
    const entry = await bound.kv.get(daemonId);
    return entry?.operation === 'PUT' ? entry.string() : undefined;
  };
}

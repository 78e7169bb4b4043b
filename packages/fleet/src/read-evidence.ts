import { DeliverPolicy } from '@nats-io/jetstream';
import type { Fleet } from './connect-fleet.js';
import { readEvidenceBatch } from './evidence-batch.js';
import { EVIDENCE_STREAM, EVIDENCE_SUBJECTS, type EvidenceHead, evidenceSubject } from './evidence-names.js';
import { checkEvidenceStream, openEvidenceBucket } from './evidence-streams.js';
import { FleetError } from './fleet-error.js';
import { toFleetError } from './nats-failure.js';

/** What {@link readEvidence} reads: every daemon's records unless narrowed. */
export interface EvidenceQuery {
  /** One daemon's records only. */
  readonly daemonId?: string;
  /** Records recorded at or after this time only. */
  readonly since?: Date;
  /** Decision records with this decision only (`allow`, `block`, ...); event records are then left out. */
  readonly decision?: string;
}

/** A record of the central stream, once per daemon, epoch and seq (a batch re-sent by a shipper is not repeated). */
export interface QueriedEvidenceRecord {
  readonly daemon_id: string;
  readonly epoch: string;
  readonly seq: number;
  /** The stream sequence of the batch it came in. */
  readonly stream_seq: number;
  /** Whether the central verifier's head of its daemon covers it (same epoch, seq at or below the head's). */
  readonly verified: boolean;
  /** The record as the daemon wrote it (`recorded_at`, `decision` or `event`, ...). */
  readonly record: Readonly<Record<string, unknown>>;
}

const FETCH = { max_messages: 256, expires: 2_000 } as const;

/**
 * Reads the shipped evidence of `CAVRA_EVIDENCE` in stream order, from the first batch published at or after `since`
 * (a record is published after it is recorded, so none recorded since then is missed), as it stood when the read
 * began. Batches the verifier refuses (another daemon's records, bad headers) are left out: they are its alerts.
 * Rejects with a FleetError when NATS cannot be read.
 */
export async function* readEvidence(
  fleet: Pick<Fleet, 'js' | 'jsm' | 'kvm'>,
  query: EvidenceQuery = {},
): AsyncGenerator<QueriedEvidenceRecord> {
  if (query.daemonId !== undefined && !/^[\w-]{1,128}$/.test(query.daemonId))
    throw new FleetError('invalid_options', 'the daemon id must be letters, digits, - and _ (at most 128)');
  if (query.since !== undefined && Number.isNaN(query.since.getTime()))
    throw new FleetError('invalid_options', 'since is not a valid time');
  await checkEvidenceStream(fleet, EVIDENCE_STREAM);
  const heads = await openEvidenceBucket(fleet, 'heads');
  const headOf = memo(async (daemonId: string) => {
    const entry = await heads.get(daemonId);
    return entry?.operation === 'PUT' ? entry.json<EvidenceHead>() : undefined;
  });
  const seen = new Set<string>();
  const since = query.since?.getTime();
  try {
    const consumer = await fleet.js.consumers.get(EVIDENCE_STREAM, {
      // One subject as a string: the array form needs nats-server 2.10, Debian ships 2.9.
      filter_subjects: query.daemonId === undefined ? EVIDENCE_SUBJECTS : evidenceSubject(query.daemonId),
      ...(query.since === undefined
        ? {}
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: query.since.toISOString() }),
    });
    for (let done = false; !done; ) {
      done = true;
      for await (const message of await consumer.fetch(FETCH)) {
        done = message.info.pending === 0;
        const batch = readEvidenceBatch(message);
        if ('problem' in batch) continue;
        const head = await headOf(batch.daemonId);
        for (const [index, line] of batch.lines.entries()) {
          const seq = batch.firstSeq + index;
          const key = `${batch.daemonId}:${batch.epoch}:${seq}`;
          const record = parseRecord(line);
          if (record === undefined || seen.has(key)) continue;
          seen.add(key);
          if (since !== undefined && !(Date.parse(String(record.recorded_at)) >= since)) continue;
          const decision = record.decision as { decision?: unknown } | undefined;
          if (query.decision !== undefined && decision?.decision !== query.decision) continue;
          yield {
            daemon_id: batch.daemonId,
            epoch: batch.epoch,
            seq,
            stream_seq: batch.streamSeq,
            verified: head?.epoch === batch.epoch && seq <= head.seq,
            record,
          };
        }
        if (done) break;
      }
    }
  } catch (error) {
    throw toFleetError(error);
  }
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function memo<T>(read: (key: string) => Promise<T>): (key: string) => Promise<T> {
  const known = new Map<string, Promise<T>>();
  return (key) => {
    let value = known.get(key);
    if (value === undefined) {
      value = read(key);
      known.set(key, value);
    }
    return value;
  };
}

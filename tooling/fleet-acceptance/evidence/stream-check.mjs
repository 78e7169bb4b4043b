// What the central stream holds for one daemon, compared with its local log: every record 1..N exactly once, in
// order, byte for byte. Read with an ordered consumer on the daemon's subject (one pass, no per-message requests).
import { EVIDENCE_HEADERS, EVIDENCE_STREAM, evidenceSubject } from '@cavra/fleet';
import { recordBytes } from './local-log.mjs';

const FETCH = { max_messages: 512, expires: 5_000 };

/**
 * `{ records, missing, duplicated, reordered, differ, epochs }` for `daemonId`'s batches against `log`
 * (readLocalLog): `missing` records of 1..log.lastSeq not in the stream, `duplicated` records shipped twice,
 * `reordered` batches starting before their predecessor's end, `differ` batches whose bytes are not the log's, `prunedLocally` records shipped and since pruned locally.
 */
export async function checkStream(fleet, daemonId, log) {
  const consumer = await fleet.js.consumers.get(EVIDENCE_STREAM, {
    filter_subjects: evidenceSubject(daemonId),
  });
  const figures = {
    batches: 0,
    records: 0,
    missing: 0,
    duplicated: 0,
    reordered: 0,
    differ: 0,
    prunedLocally: 0,
    epochs: new Set(),
  };
  let next = 1;
  for (let done = false; !done; ) {
    done = true;
    for await (const message of await consumer.fetch(FETCH)) {
      done = message.info.pending === 0;
      const first = Number(message.headers?.get(EVIDENCE_HEADERS.firstSeq));
      const last = Number(message.headers?.get(EVIDENCE_HEADERS.lastSeq));
      figures.epochs.add(message.headers?.get(EVIDENCE_HEADERS.epoch));
      figures.batches += 1;
      figures.records += last - first + 1;
      if (first > next) figures.missing += first - next;
      if (first < next) {
        figures.reordered += 1;
        figures.duplicated += Math.min(last, next - 1) - first + 1;
      }
      // Records pruned locally (a receipt covered them) cannot be compared byte for byte: counted apart.
      if (last < log.firstSeq) figures.prunedLocally += last - first + 1;
      else if (!recordBytes(log, first, last)?.equals(message.data)) figures.differ += 1;
      next = Math.max(next, last + 1);
      if (done) break;
    }
  }
  if (next <= log.lastSeq) figures.missing += log.lastSeq - next + 1;
  return figures;
}

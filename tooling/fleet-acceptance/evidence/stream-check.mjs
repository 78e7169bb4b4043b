// What the central stream holds for one daemon, compared with its local log: every record 1..N, byte for byte, and
// whether each came once and in order. Read with an ordered consumer on the daemon's subject (one pass, no
// per-message requests).
import { EVIDENCE_HEADERS, EVIDENCE_STREAM, evidenceSubject } from '@cavra/fleet';
import { recordBytes } from './local-log.mjs';

const FETCH = { max_messages: 512, expires: 5_000 };

/**
 * For `daemonId`'s batches against `log` (readLocalLog): `absent` records of 1..log.lastSeq the stream does not hold
 * at all; `copies` records held more than once; `late` batches that came after a hole (records missing at that point
 * of the stream, sent later); `differ` batches whose bytes are not the log's; `prunedLocally` records shipped and
 * since pruned locally (not compared); `epochs` seen; `where`: the first few late batches and copies, with their
 * stream sequences, for reading a failure.
 */
export async function checkStream(fleet, daemonId, log) {
  const consumer = await fleet.js.consumers.get(EVIDENCE_STREAM, {
    filter_subjects: evidenceSubject(daemonId),
  });
  const figures = {
    batches: 0,
    records: 0,
    absent: 0,
    copies: 0,
    late: 0,
    differ: 0,
    prunedLocally: 0,
    epochs: new Set(),
    where: [],
  };
  const at = (kind, message, first, last, expected) => {
    if (figures.where.length < 6)
      figures.where.push({ kind, stream_seq: message.seq, batch: [first, last], expected });
  };
  const held = new Uint8Array(log.lastSeq + 1);
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
      if (first > next) {
        figures.late += 1;
        at('after a hole', message, first, last, next);
      }
      if (held[first]) at('copy', message, first, last, next);
      for (let seq = first; seq <= Math.min(last, log.lastSeq); seq++) {
        if (held[seq]) figures.copies += 1;
        held[seq] = 1;
      }
      // Records pruned locally (a receipt covered them) cannot be compared byte for byte: counted apart.
      if (last < log.firstSeq) figures.prunedLocally += last - first + 1;
      else if (!recordBytes(log, first, last)?.equals(message.data)) figures.differ += 1;
      next = Math.max(next, last + 1);
      if (done) break;
    }
  }
  for (let seq = 1; seq <= log.lastSeq; seq++) if (!held[seq]) figures.absent += 1;
  return figures;
}

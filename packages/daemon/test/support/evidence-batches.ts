// Shipped evidence for the verifier's tests: real sealed, signed records, published as the shipper publishes them.
import { EVIDENCE_HEADERS, evidenceEpoch, evidenceMsgId, evidenceSubject, type Fleet } from '@cavra/fleet';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { GENESIS_HASH, sealRecord } from '../../src/evidence-record.js';
import { evidenceRef } from '../../src/evidence-ref.js';
import { signRecord } from '../../src/evidence-signature.js';

/** The log id the records' evidence refs name (their signatures are bound to it). */
export const LOG_ID = '0123456789abcdef';
/** The fleet's evidence signing secret in these tests. */
export const EVIDENCE_SECRET = 'evidence-secret-of-the-fleet-0123456789';

/**
 * A daemon's log: `count` sealed, signed decision records (`change` alters record 2, every hash recomputed; another
 * `minute` makes another log, of another epoch).
 */
export function sealedLog(daemonId: string, count: number, change = '', minute = '00'): string[] {
  const key = { keyId: 'evidence', secret: new TextEncoder().encode(EVIDENCE_SECRET) };
  const lines: string[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const { record, line } = sealRecord(
      {
        seq,
        prev,
        recorded_at: `2026-12-06T08:${minute}:${String(seq).padStart(2, '0')}.000Z`,
        decision: {
          decision: seq === 2 && change ? change : 'allow',
          evidence_refs: [evidenceRef(LOG_ID, seq)],
        },
        runner: null,
        release_governance: null,
        daemon_id: daemonId,
      },
      (hash) => signRecord(key, LOG_ID, prev, hash),
    );
    lines.push(line);
    prev = record.hash;
  }
  return lines;
}

export const hashOf = (line: string) => JSON.parse(line).hash as string;

/**
 * Publishes records `first`..`last` of `lines` as one batch on `subject`'s daemon (as the shipper does); `msgId`
 * false publishes without a Nats-Msg-Id (a re-send after the duplicate window).
 */
export async function publishBatch(
  fleet: Pick<Fleet, 'js'>,
  daemonId: string,
  lines: string[],
  first: number,
  last: number,
  options: { subject?: string; msgId?: boolean; headerDaemonId?: string } = {},
): Promise<number> {
  const epoch = evidenceEpoch(hashOf(lines[0] as string));
  const batch = { daemonId: options.headerDaemonId ?? daemonId, epoch, firstSeq: first, lastSeq: last };
  const headers = natsHeaders();
  headers.set(EVIDENCE_HEADERS.daemonId, options.headerDaemonId ?? daemonId);
  headers.set(EVIDENCE_HEADERS.epoch, epoch);
  headers.set(EVIDENCE_HEADERS.firstSeq, String(first));
  headers.set(EVIDENCE_HEADERS.lastSeq, String(last));
  const ack = await fleet.js.publish(
    options.subject ?? evidenceSubject(daemonId),
    lines.slice(first - 1, last).join(''),
    { headers, ...(options.msgId === false ? {} : { msgID: evidenceMsgId(batch) }) },
  );
  return ack.seq;
}

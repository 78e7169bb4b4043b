import type { KeyObject } from 'node:crypto';
import type { FleetConnectionOptions } from '@cavra/fleet';
import { ConsoleError } from './console-error.js';
import type { EvidenceStore } from './evidence-store.js';

/**
 * The central verifier's latest receipt for the daemon whose log the console reads, checked: `verified` only when
 * its signature verifies with the configured key AND it names a record this log holds with that hash (the epoch
 * of this log). Anything else says why, and never reads as verified.
 */
export interface ReceiptStatus {
  readonly state: 'verified' | 'missing' | 'not_checked' | 'refused' | 'mismatch';
  /** What the page shows, starting "Receipt: ". */
  readonly message: string;
  readonly daemon_id: string | null;
  /** The record the receipt names (unverified unless `state` is `verified`). */
  readonly seq: number | null;
  readonly verified_at: string | null;
}

/** Reads and checks the receipt of the log's daemon in KV `cavra_evidence_receipts`. */
export async function receiptStatus(
  store: EvidenceStore,
  connection: FleetConnectionOptions,
  receiptKey: string | KeyObject | undefined,
): Promise<ReceiptStatus> {
  const answer = (
    state: ReceiptStatus['state'],
    message: string,
    fields: Partial<Omit<ReceiptStatus, 'state' | 'message'>> = {},
  ): ReceiptStatus => ({
    state,
    message: `Receipt: ${message}`,
    daemon_id: null,
    seq: null,
    verified_at: null,
    ...fields,
  });
  const last = await store.last();
  const daemonId = (last?.record as { daemon_id?: unknown } | null | undefined)?.daemon_id;
  if (typeof daemonId !== 'string')
    return answer('missing', "none: the log's last record names no daemon id (the daemon is not enrolled)");
  const { connectFleet, evidenceEpoch, FleetError, openEvidenceBucket, verifyEvidenceReceipt } = await import(
    '@cavra/fleet'
  );
  let jws: string | undefined;
  try {
    const fleet = await connectFleet({ ...connection, name: 'cavra console' });
    try {
      const entry = await (await openEvidenceBucket(fleet, 'receipts')).get(daemonId);
      jws = entry?.operation === 'PUT' ? entry.string() : undefined;
    } finally {
      await fleet.close();
    }
  } catch (error) {
    if (error instanceof FleetError)
      throw new ConsoleError('fleet_unavailable', `${error.code}: ${error.message}`);
    throw error;
  }
  const ids = { daemon_id: daemonId };
  if (jws === undefined)
    return answer(
      'missing',
      `none yet for daemon ${daemonId} (the central verifier has not verified its records)`,
      ids,
    );
  if (receiptKey === undefined)
    return answer(
      'not_checked',
      "not checked: start cavra console with --receipt-key (the verifier's public key)",
      ids,
    );
  let receipt: Awaited<ReturnType<typeof verifyEvidenceReceipt>>;
  try {
    receipt = await verifyEvidenceReceipt(jws, receiptKey);
  } catch (error) {
    if (error instanceof FleetError)
      return answer('refused', `not valid: ${error.code}: ${error.message}`, ids);
    throw error;
  }
  const named = { ...ids, seq: receipt.seq, verified_at: receipt.verified_at };
  if (receipt.daemon_id !== daemonId)
    return answer('mismatch', `names daemon ${receipt.daemon_id}, not this log's ${daemonId}`, named);
  const first = await store.recordAt(1);
  const hashOf = (found: { record: unknown } | undefined) =>
    (found?.record as { hash?: unknown } | null | undefined)?.hash;
  const firstHash = hashOf(first);
  if (typeof firstHash !== 'string' || evidenceEpoch(firstHash) !== receipt.epoch)
    return answer('mismatch', `belongs to another log (epoch ${receipt.epoch}) than this one`, named);
  const local = await store.recordAt(receipt.seq);
  if (!local)
    return answer(
      'mismatch',
      `verified through record ${receipt.seq}, which this log does not hold (it ends at ${store.lines}): records the verifier verified are missing`,
      named,
    );
  if (hashOf(local) !== receipt.hash)
    return answer(
      'mismatch',
      `does not match the local record ${receipt.seq} (the verifier verified another hash: the record was rewritten)`,
      named,
    );
  return answer('verified', `verified through record ${receipt.seq} at ${receipt.verified_at}`, named);
}

/**
 * The fixed names of fleet evidence (issue 23): the streams, subjects, KV buckets, message headers and ids that the
 * shipper, the central verifier, the query reader, NATS permissions and docs/fleet.md all name.
 */

/** The stream of shipped evidence: one subject per daemon, one message per batch of raw log lines. */
export const EVIDENCE_STREAM = 'CAVRA_EVIDENCE';
/** The stream of the verifier's alerts: one subject per daemon. */
export const EVIDENCE_ALERTS_STREAM = 'CAVRA_EVIDENCE_ALERTS';
/** The verifier's durable pull consumer on {@link EVIDENCE_STREAM}. */
export const EVIDENCE_VERIFIER_CONSUMER = 'cavra_evidence_verifier';

/** The KV buckets of fleet evidence (the stream of each is `KV_<name>`). */
export const EVIDENCE_BUCKETS = {
  /** KV, key = daemon id: the verifier's head `{ epoch, seq, hash, stream_seq, verified_at }` (CAS on revision). */
  heads: 'cavra_evidence_heads',
  /** KV, key = daemon id: the newest signed receipt (compact JWS). */
  receipts: 'cavra_evidence_receipts',
  /** KV, key = daemon id: a re-send request `{ epoch, from_seq, reason, at }` the daemon's shipper watches. */
  resend: 'cavra_evidence_resend',
} as const;

/** Every daemon's evidence subject (the stream's subject filter). */
export const EVIDENCE_SUBJECTS = 'cavra.evidence.>';
/** Every daemon's alert subject. */
export const EVIDENCE_ALERT_SUBJECTS = 'cavra.evidence_alerts.>';

/** The subject a daemon ships its batches to. */
export function evidenceSubject(daemonId: string): string {
  return `cavra.evidence.${daemonId}`;
}

/** The subject of the verifier's alerts about one daemon. */
export function evidenceAlertSubject(daemonId: string): string {
  return `cavra.evidence_alerts.${daemonId}`;
}

/** The headers of a batch message (the `Nats-*` ones are JetStream's own). */
export const EVIDENCE_HEADERS = {
  msgId: 'Nats-Msg-Id',
  expectedLastSubjectSequence: 'Nats-Expected-Last-Subject-Sequence',
  daemonId: 'Cavra-Daemon-Id',
  epoch: 'Cavra-Epoch',
  firstSeq: 'Cavra-First-Seq',
  lastSeq: 'Cavra-Last-Seq',
} as const;

/** Where a batch sits in a daemon's log: which log (epoch) and which records. */
export interface EvidenceBatchId {
  readonly daemonId: string;
  readonly epoch: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/**
 * The batch's `Nats-Msg-Id`: the same records of the same log always get the same id, so a re-send within the
 * stream's duplicate window is dropped by the server.
 */
export function evidenceMsgId(batch: EvidenceBatchId): string {
  return `${batch.daemonId}:${batch.epoch}:${batch.firstSeq}-${batch.lastSeq}`;
}

/** The epoch of a log: the first 16 hex characters of the hash of its record with seq 1 (a new log, a new epoch). */
export function evidenceEpoch(firstRecordHash: string): string {
  return firstRecordHash.slice(0, 16);
}

/** Limits of one batch message: what a publish may carry (the stream's `max_msg_size` leaves room for headers). */
export const EVIDENCE_BATCH_LIMITS = {
  maxBytes: 256 * 1024,
  maxRecords: 1_000,
} as const;

/** The stored head of a daemon's verified chain (KV `cavra_evidence_heads`). */
export interface EvidenceHead {
  readonly epoch: string;
  readonly seq: number;
  readonly hash: string;
  readonly stream_seq: number;
  readonly verified_at: string;
}

/** A re-send request from the verifier (KV `cavra_evidence_resend`). */
export interface EvidenceResendRequest {
  readonly epoch: string;
  readonly from_seq: number;
  /**
   * The last missing record, when the stream holds what follows it (a hole): only `from_seq`..`to_seq` is published
   * again. Absent: everything from `from_seq` (a shipper that predates the field does that for every request).
   */
  readonly to_seq?: number;
  readonly reason: string;
  readonly at: string;
}

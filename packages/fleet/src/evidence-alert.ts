/** The `schema` of an alert in `CAVRA_EVIDENCE_ALERTS`. */
export const EVIDENCE_ALERT_SCHEMA = 'cavra.fleet.evidence-alert.v1';

/**
 * Every problem the central verifier names, the one table of them: the chain's own problems (as `cavra-daemon evidence
 * verify` names them) and those only the stream can show. What each means:
 */
export const EVIDENCE_ALERT_PROBLEMS = {
  // The chain, checked as `cavra-daemon evidence verify` checks a log (the daemon's verify-evidence-log.ts).
  not_json: 'a shipped line is not JSON',
  bad_shape: 'a shipped line is not an evidence record',
  hash_mismatch: 'a record does not match its hash (edited)',
  not_canonical: 'a record has keys or formatting outside its hashed form (edited)',
  broken_chain: 'a record does not link to the one before it (removed, reordered or rewritten)',
  sequence_gap: 'records are missing between the verified head and a batch',
  unsigned: 'a record carries no signature while the verifier holds the evidence key',
  bad_signature: 'a record signature does not verify with the evidence key',
  wrong_key: 'a record is signed with another evidence key',
  wrong_log: 'a record was signed for another evidence log',
  legacy_after_bound: 'a record signed in the legacy form follows records bound to the log',
  signature_unchecked: 'a record is signed but the verifier holds no evidence key to check it',
  bearer_token: 'a record holds a bearer credential',
  mixed_log: 'a record of upstream’s format was shipped in a cavra-daemon log',
  // What only the stream shows.
  rewritten_record: 'a batch re-sent for records already verified does not hash to what was verified',
  new_epoch: 'a daemon started a new log (a new epoch) without a signed rotation record',
  daemon_id_mismatch: 'a batch holds records of another daemon than the subject it was published to',
  bad_batch: 'a batch message does not have the headers or lines of a batch',
} as const;

export type EvidenceAlertProblem = keyof typeof EVIDENCE_ALERT_PROBLEMS;

/** An alert about one daemon's evidence (subject `cavra.evidence_alerts.<daemon_id>`). */
export interface EvidenceAlert {
  readonly schema: typeof EVIDENCE_ALERT_SCHEMA;
  readonly daemon_id: string;
  /** The epoch of the batch concerned. */
  readonly epoch: string;
  /** The seq of the record concerned (the batch's first when no single record is). */
  readonly seq: number;
  readonly problem: EvidenceAlertProblem;
  /** What was found, in words (identifiers, seqs and hashes only). */
  readonly message: string;
  /** RFC 3339 UTC. */
  readonly at: string;
}

/** True when `value` names a problem of the table. */
export function isEvidenceAlertProblem(value: unknown): value is EvidenceAlertProblem {
  return typeof value === 'string' && Object.hasOwn(EVIDENCE_ALERT_PROBLEMS, value);
}

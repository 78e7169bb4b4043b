import type { EvidenceAlertProblem } from './evidence-alert.js';
import { EVIDENCE_HEADERS, type EvidenceBatchId, evidenceEpoch, evidenceSubject } from './evidence-names.js';

/** The few fields of a record this package reads (the chain itself is checked by the daemon's verification). */
export interface EvidenceRecordFields {
  readonly seq: number;
  readonly hash: string;
  readonly prev: string;
}

/** A batch message of `CAVRA_EVIDENCE` as read: its place in the log and in the stream, and its lines. */
export interface ReceivedEvidenceBatch extends EvidenceBatchId {
  readonly streamSeq: number;
  /** The records' lines as written, without their newlines. */
  readonly lines: readonly string[];
  /** Each line's fields, or undefined for a line that is not JSON with them (the chain check names it). */
  readonly records: readonly (EvidenceRecordFields | undefined)[];
}

/** Why a message cannot be taken as its subject's batch. */
export interface EvidenceBatchRefusal {
  /** The daemon of the subject, the one the message claims to be of. */
  readonly daemonId: string;
  readonly epoch: string;
  readonly firstSeq: number;
  readonly streamSeq: number;
  readonly problem: Extract<EvidenceAlertProblem, 'bad_batch' | 'daemon_id_mismatch'>;
  readonly message: string;
}

/** What a batch message carries (a consumed JsMsg or a stored message). */
export interface EvidenceMessage {
  readonly subject: string;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly headers?: { get(key: string): string } | undefined;
}

const SUBJECT_PREFIX = evidenceSubject('');
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a batch message: its Cavra-* headers must agree with its subject and its lines (as many as the seqs they
 * name, each ending in a newline), and every record must name the subject's daemon (`daemon_id_mismatch`: NATS
 * permissions refuse a daemon publishing on another's subject in the documented setup; this refuses it anyway).
 */
export function readEvidenceBatch(message: EvidenceMessage): ReceivedEvidenceBatch | EvidenceBatchRefusal {
  const daemonId = message.subject.startsWith(SUBJECT_PREFIX)
    ? message.subject.slice(SUBJECT_PREFIX.length)
    : message.subject;
  const header = (name: string) => message.headers?.get(name) ?? '';
  const epoch = header(EVIDENCE_HEADERS.epoch);
  const firstSeq = seqOf(header(EVIDENCE_HEADERS.firstSeq));
  const lastSeq = seqOf(header(EVIDENCE_HEADERS.lastSeq));
  const refuse = (problem: EvidenceBatchRefusal['problem'], text: string): EvidenceBatchRefusal => ({
    daemonId,
    epoch: /^[0-9a-f]{16}$/.test(epoch) ? epoch : '',
    firstSeq: firstSeq ?? 0,
    streamSeq: message.seq,
    problem,
    message: `stream message ${message.seq}: ${text}`,
  });
  if (!/^[0-9a-f]{16}$/.test(epoch) || firstSeq === undefined || lastSeq === undefined || lastSeq < firstSeq)
    return refuse(
      'bad_batch',
      'its Cavra-Epoch, Cavra-First-Seq or Cavra-Last-Seq header is missing or not valid',
    );
  const claimed = header(EVIDENCE_HEADERS.daemonId);
  if (claimed !== daemonId)
    return refuse('daemon_id_mismatch', `its Cavra-Daemon-Id header names another daemon than its subject's`);
  let text: string;
  try {
    text = decoder.decode(message.data);
  } catch {
    return refuse('bad_batch', 'its payload is not UTF-8');
  }
  const lines = text.split('\n');
  if (lines.pop() !== '' || lines.length !== lastSeq - firstSeq + 1)
    return refuse(
      'bad_batch',
      `its headers name records ${firstSeq}-${lastSeq}, its payload is not that many complete lines`,
    );
  const records: (EvidenceRecordFields | undefined)[] = [];
  for (const [index, line] of lines.entries()) {
    const record = parseFields(line);
    if (record?.daemonId !== daemonId && record !== undefined)
      return refuse(
        'daemon_id_mismatch',
        `record ${firstSeq + index} is not of daemon ${daemonId}, whose subject it was published to`,
      );
    records.push(record?.fields);
  }
  const first = records[0];
  if (firstSeq === 1 && first !== undefined && evidenceEpoch(first.hash) !== epoch)
    return refuse('bad_batch', `its Cavra-Epoch ${epoch} is not the epoch of its first record`);
  return { daemonId, epoch, firstSeq, lastSeq, streamSeq: message.seq, lines, records };
}

function seqOf(text: string): number | undefined {
  return /^[1-9][0-9]{0,15}$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
}

function parseFields(
  line: string,
): { readonly fields: EvidenceRecordFields | undefined; readonly daemonId: unknown } | undefined {
  let record: { seq?: unknown; hash?: unknown; prev?: unknown; daemon_id?: unknown };
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null) return undefined;
  const { seq, hash, prev, daemon_id } = record;
  const fields =
    typeof seq === 'number' && typeof hash === 'string' && typeof prev === 'string'
      ? { seq, hash, prev }
      : undefined;
  return { fields, daemonId: daemon_id };
}

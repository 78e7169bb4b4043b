import { readFile } from 'node:fs/promises';
import {
  type EvidenceBody,
  type EvidenceRecord,
  GENESIS_HASH,
  hashBody,
  recordLine,
} from './evidence-record.js';

export interface EvidenceProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly problem:
    | 'not_json'
    | 'bad_shape'
    | 'hash_mismatch'
    | 'not_canonical'
    | 'broken_chain'
    | 'sequence_gap'
    | 'anchor_missing';
  readonly message: string;
}

export interface EvidenceVerification {
  readonly ok: boolean;
  /** Complete records read. */
  readonly records: number;
  /** Hash of the last good record: anchor it elsewhere to detect truncation of the end of the log. */
  readonly lastHash: string;
  /**
   * A final line without its newline: a write the daemon crashed in. It was never acknowledged (the daemon answers
   * only after the fsync of the full line), so it is reported but does not fail verification.
   */
  readonly tornTail: boolean;
  readonly problems: readonly EvidenceProblem[];
}

export interface VerifyOptions {
  /**
   * A `hash` recorded earlier (health's `evidence.last_hash`, kept elsewhere): the log must still hold that record.
   * The chain alone cannot tell records cut off the end from records never written; the anchor can.
   */
  readonly anchor?: string;
}

/**
 * Verifies the hash chain of an evidence log: every record's hash matches its content (detects edits), every `prev`
 * is the previous hash (detects removal and reordering), and `seq` counts up from 1 without gaps; with an anchor,
 * that the anchored record is still there (detects removal from the end). Rejects with the fs error when the file
 * cannot be read.
 */
export async function verifyEvidenceLog(
  path: string,
  options: VerifyOptions = {},
): Promise<EvidenceVerification> {
  const text = await readFile(path, 'utf8');
  const tornTail = text.length > 0 && !text.endsWith('\n');
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: '' or the torn tail
  return verifyLines(lines, tornTail, options.anchor);
}

export function verifyLines(
  lines: readonly string[],
  tornTail: boolean,
  anchor?: string,
): EvidenceVerification {
  let anchored = anchor === undefined;
  const problems: EvidenceProblem[] = [];
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  lines.forEach((text, index) => {
    const line = index + 1;
    let record: EvidenceBody & { hash?: unknown };
    try {
      record = JSON.parse(text);
    } catch {
      problems.push({ line, problem: 'not_json', message: 'line is not JSON' });
      expectedSeq += 1; // an unreadable line still takes a place in the sequence
      return;
    }
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.hash !== 'string' ||
      typeof record.seq !== 'number'
    ) {
      problems.push({ line, problem: 'bad_shape', message: 'line is not an evidence record' });
      expectedSeq += 1;
      return;
    }
    if (hashBody(record) !== record.hash) {
      problems.push({
        line,
        problem: 'hash_mismatch',
        message: 'record content does not match its hash (edited)',
      });
    } else if (recordLine(record as EvidenceRecord) !== `${text}\n`) {
      // The hash covers the known keys only, so an added key or reformatting would otherwise pass unseen.
      problems.push({
        line,
        problem: 'not_canonical',
        message: 'record has keys or formatting outside its hashed form (edited)',
      });
    }
    if (record.prev !== prev) {
      problems.push({
        line,
        problem: 'broken_chain',
        message: 'prev is not the hash of the record before it (removed or reordered)',
      });
    }
    if (record.seq !== expectedSeq) {
      problems.push({
        line,
        problem: 'sequence_gap',
        message: `seq is ${record.seq}, expected ${expectedSeq}`,
      });
    }
    if (record.hash === anchor) anchored = true;
    prev = record.hash;
    expectedSeq = record.seq + 1;
  });
  if (!anchored) {
    problems.push({
      line: lines.length + 1,
      problem: 'anchor_missing',
      message: `no record has the anchored hash ${anchor}: records were removed from the end (or the anchor is from another log)`,
    });
  }
  return { ok: problems.length === 0, records: lines.length, lastHash: prev, tornTail, problems };
}

import { open } from 'node:fs/promises';
import { holdsBearerToken } from './bearer-token-check.js';
import {
  type EvidenceBody,
  type EvidenceRecord,
  type EvidenceSignature,
  GENESIS_HASH,
  hashBody,
  recordLine,
} from './evidence-record.js';
import { evidenceLogId, parseEvidenceRef } from './evidence-ref.js';
import { listSegments, readPruneMark } from './evidence-segments.js';
import { EVIDENCE_SCHEMA_V1, signatureForm } from './evidence-signature.js';
import { readLines } from './log-lines.js';
import { isUpstreamRecord, isUpstreamRecordLine, UpstreamChainVerifier } from './upstream-evidence.js';

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
    | 'anchor_missing'
    | 'anchor_mismatch'
    | 'unsigned'
    | 'bad_signature'
    | 'wrong_key'
    | 'wrong_log'
    | 'legacy_after_bound'
    | 'signature_unchecked'
    | 'bearer_token'
    | 'mixed_log'
    | 'torn_segment';
  readonly message: string;
}

export interface EvidenceVerification {
  readonly ok: boolean;
  /**
   * Which records the log holds, told by its first line: `cavra` (this daemon's) or `upstream` (upstream's Go daemon,
   * `cavra.go-daemon.evidence.v1`, verified as upstream defines its chain: see upstream-evidence.ts). A line of the
   * other kind is a `mixed_log` problem: the two chains cannot link to each other.
   */
  readonly format: 'cavra' | 'upstream';
  /** Records in the chain: the complete records read, plus those before the position verification started from. */
  readonly records: number;
  /** Hash of the last good record: anchor it elsewhere to detect truncation of the end of the log. */
  readonly lastHash: string;
  /**
   * A final line without its newline: a write the daemon crashed in. It was never acknowledged (the daemon answers
   * only after the fsync of the full line), so it is reported but does not fail verification.
   */
  readonly tornTail: boolean;
  /** Records carrying a signature (checked against the key when one was given). */
  readonly signedRecords: number;
  /**
   * Of those, with a key: records whose signature is in the legacy form (`cavra.daemon.evidence.v1`, written before
   * 0.3), which binds them to the key but not to this log. They may only come before the first bound one.
   */
  readonly legacySignedRecords: number;
  readonly problems: readonly EvidenceProblem[];
}

/**
 * A record known to be in the log (a fleet evidence receipt's): the record with this seq must have this hash, and
 * with `epoch`, the log's record with seq 1 must have a hash starting with it (the log the receipt is of).
 */
export interface EvidenceAnchor extends ChainPosition {
  readonly epoch?: string;
}

export interface VerifyOptions {
  /**
   * A `hash` recorded earlier (health's `evidence.last_hash`, kept elsewhere), or the record a receipt names: the log
   * must still hold that record (`anchor_missing`), and a record at the anchor's seq with another hash, or a log of
   * another epoch, is `anchor_mismatch`. The chain alone cannot tell records cut off the end from records never
   * written; the anchor can.
   */
  readonly anchor?: string | EvidenceAnchor;
  /**
   * The evidence signing key: every record must then carry a valid HMAC by it (`unsigned`, `bad_signature`, and
   * `wrong_key` when `keyId` is given and a signature names another). Without a key, a signed record is a problem too
   * (`signature_unchecked`): the chain alone cannot tell a rewritten log from the real one, so an unchecked signed log
   * is never reported intact.
   */
  readonly key?: { readonly secret: Uint8Array; readonly keyId?: string };
  /**
   * The id of the log being verified (evidenceLogId of its path when the daemon wrote it, the id in its evidence refs):
   * with a key, every signature must be bound to it (`wrong_log` otherwise). verifyEvidenceLog derives it from the
   * file's path; give it to verify a copy kept elsewhere. Without it, only legacy signatures can verify.
   */
  readonly logId?: string;
}

/**
 * Verifies the hash chain of an evidence log: every record's hash matches its content (detects edits), every `prev`
 * is the previous hash (detects removal and reordering), and `seq` counts up from 1 without gaps; with an anchor,
 * that the anchored record is still there (detects removal from the end). Reads the file in chunks, so a log of any
 * size is checked in bounded memory. Rejects with the fs error when the file cannot be read, and when a line is
 * longer than any record can be (MAX_LINE_BYTES). A segmented log (fleet mode: `<path>.seg-*` beside it) is
 * verified as one chain, its closed segments first, from its prune mark when segments were pruned.
 */
export async function verifyEvidenceLog(
  path: string,
  options: VerifyOptions = {},
): Promise<EvidenceVerification> {
  const segments = await listSegments(path);
  const mark = await readPruneMark(path);
  if (segments.length > 0 || mark) {
    return verifySegments([...segments.map((segment) => segment.path), path], {
      ...options,
      logId: options.logId ?? evidenceLogId(path),
      ...(mark ? { from: { seq: mark.seq, hash: mark.hash }, fromEpoch: mark.epoch } : {}),
    });
  }
  const file = await open(path, 'r');
  try {
    let chain: ChainVerifier | UpstreamChainVerifier | undefined;
    const { trailingBytes } = await readLines(file, 0, (await file.stat()).size, (line) => {
      chain ??= isUpstreamRecordLine(line)
        ? new UpstreamChainVerifier(options)
        : new ChainVerifier({ ...options, logId: options.logId ?? evidenceLogId(path) });
      chain.add(line);
    });
    return (chain ?? new ChainVerifier(options)).result({ tornTail: trailingBytes > 0 });
  } finally {
    await file.close();
  }
}

/**
 * One chain through `paths` in order (line numbers count through all of them). Only the last may end in a torn
 * line: a closed segment was closed after a complete write, so bytes after its last newline are damage.
 */
async function verifySegments(
  paths: readonly string[],
  options: VerifyOptions & { readonly from?: ChainPosition; readonly fromEpoch?: string },
): Promise<EvidenceVerification> {
  const chain = new ChainVerifier(options);
  let tornTail = false;
  for (const [index, path] of paths.entries()) {
    const file = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      // The active file is missing only after a crash between closing a segment and creating the next one.
      if (error.code === 'ENOENT' && index === paths.length - 1) return undefined;
      throw error;
    });
    if (!file) break;
    try {
      const read = await readLines(file, 0, (await file.stat()).size, (line) => chain.add(line));
      tornTail = read.trailingBytes > 0;
      if (tornTail && index < paths.length - 1) chain.damaged(path);
    } finally {
      await file.close();
    }
  }
  return chain.result({ tornTail });
}

/** Where a verification picks up the chain: after the record with this seq and hash. */
export interface ChainPosition {
  readonly seq: number;
  readonly hash: string;
}

/**
 * Verifies complete lines (the daemon checks a log this way before extending it), from the genesis or, with `from`,
 * as the continuation of the chain after that record (line numbers then count from the first line given).
 */
export function verifyLines(
  lines: readonly string[],
  options: VerifyOptions & { readonly tornTail?: boolean; readonly from?: ChainPosition } = {},
): EvidenceVerification {
  const chain = new ChainVerifier(options);
  for (const line of lines) chain.add(line);
  return chain.result({ tornTail: options.tornTail ?? false });
}

/** The chain check of verifyLines, one line at a time, for logs read as a stream. */
export class ChainVerifier {
  readonly #anchor: (Partial<EvidenceAnchor> & { readonly hash: string }) | undefined;
  readonly #key: VerifyOptions['key'];
  readonly #logId: string | undefined;
  readonly #from: ChainPosition;
  #legacySignedRecords = 0;
  #bound = false;
  #anchored: boolean;
  #signedRecords = 0;
  readonly #problems: EvidenceProblem[] = [];
  #prev: string;
  #expectedSeq: number;
  #lines = 0;

  constructor(options: VerifyOptions & { readonly from?: ChainPosition; readonly fromEpoch?: string } = {}) {
    this.#anchor = typeof options.anchor === 'string' ? { hash: options.anchor } : options.anchor;
    this.#key = options.key;
    this.#logId = options.logId;
    this.#from = options.from ?? { seq: 0, hash: GENESIS_HASH };
    this.#anchored = options.anchor === undefined;
    this.#prev = this.#from.hash;
    this.#expectedSeq = this.#from.seq + 1;
    this.#checkPruned(options.fromEpoch);
  }

  /**
   * A segmented log verified from its prune mark (`from`, `fromEpoch`): an anchored record at or before the mark was
   * pruned once a receipt covered it, so only the mark itself can be compared.
   */
  #checkPruned(fromEpoch: string | undefined): void {
    const anchor = this.#anchor;
    if (anchor?.seq === undefined || fromEpoch === undefined) return;
    if (anchor.epoch !== undefined && anchor.epoch !== fromEpoch) {
      this.#problems.push({
        line: 0,
        problem: 'anchor_mismatch',
        message: `the log's epoch is ${fromEpoch} (its prune mark), the anchor's ${anchor.epoch}: the anchor is of another log (or this one was replaced)`,
      });
    }
    if (anchor.seq > this.#from.seq) return;
    this.#anchored = true;
    if (anchor.seq === this.#from.seq && anchor.hash !== this.#from.hash)
      this.#problems.push({
        line: 0,
        problem: 'anchor_mismatch',
        message: `record ${anchor.seq} (the last pruned) had hash ${this.#from.hash}, the anchor ${anchor.hash}: rewritten after it was anchored`,
      });
  }

  /** Checks the next line; returns its record when it is JSON shaped like one (checked or not), else undefined. */
  add(text: string): EvidenceRecord | undefined {
    this.#lines += 1;
    const line = this.#lines;
    const problems = this.#problems;
    let record: EvidenceBody & { hash?: unknown; signature?: EvidenceSignature };
    try {
      record = JSON.parse(text);
    } catch {
      problems.push({ line, problem: 'not_json', message: 'line is not JSON' });
      this.#expectedSeq += 1; // an unreadable line still takes a place in the sequence
      return undefined;
    }
    if (
      typeof record !== 'object' ||
      record === null ||
      typeof record.hash !== 'string' ||
      typeof record.seq !== 'number'
    ) {
      problems.push(
        isUpstreamRecord(record)
          ? {
              line,
              problem: 'mixed_log',
              message: 'an upstream record in a cavra-daemon log: two logs were joined',
            }
          : { line, problem: 'bad_shape', message: 'line is not an evidence record' },
      );
      this.#expectedSeq += 1;
      return undefined;
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
    if (holdsBearerToken(record as unknown as Record<string, unknown>)) {
      problems.push({
        line,
        problem: 'bearer_token',
        message:
          'an approval review holds an OIDC ID token, a bearer credential; the record must keep its hash only',
      });
    }
    if (record.prev !== this.#prev) {
      problems.push({
        line,
        problem: 'broken_chain',
        message: 'prev is not the hash of the record before it (removed or reordered)',
      });
    }
    if (record.seq !== this.#expectedSeq) {
      problems.push({
        line,
        problem: 'sequence_gap',
        message: `seq is ${record.seq}, expected ${this.#expectedSeq}`,
      });
    }
    const signatureProblem = this.#checkSignature(record as EvidenceRecord);
    if (record.signature !== undefined) this.#signedRecords += 1;
    if (signatureProblem) problems.push({ line, ...signatureProblem });
    this.#checkAnchor(record as EvidenceRecord);
    this.#prev = record.hash;
    this.#expectedSeq = record.seq + 1;
    return record as EvidenceRecord;
  }

  /** A closed segment of a segmented log ends in a partial line (see verifySegments). */
  damaged(segment: string): void {
    this.#problems.push({
      line: this.#lines + 1,
      problem: 'torn_segment',
      message: `closed segment ${segment} ends in a partial line (it was cut or written to after it was closed)`,
    });
  }

  /** Whether every line so far verified. */
  get ok(): boolean {
    return this.#problems.length === 0;
  }

  result({ tornTail }: { readonly tornTail: boolean }): EvidenceVerification {
    const problems = [...this.#problems];
    const anchor = this.#anchor;
    if (!this.#anchored && anchor) {
      problems.push({
        line: this.#lines + 1,
        problem: 'anchor_missing',
        message:
          anchor.seq === undefined
            ? `no record has the anchored hash ${anchor.hash}: records were removed from the end (or the anchor is from another log)`
            : `the log ends at seq ${this.#expectedSeq - 1}, before the anchored seq ${anchor.seq}: records were removed from the end`,
      });
    }
    return {
      ok: problems.length === 0,
      format: 'cavra',
      records: this.#from.seq + this.#lines,
      lastHash: this.#prev,
      tornTail,
      signedRecords: this.#signedRecords,
      legacySignedRecords: this.#legacySignedRecords,
      problems,
    };
  }

  #checkAnchor(record: EvidenceRecord): void {
    const anchor = this.#anchor;
    if (!anchor) return;
    const line = this.#lines;
    if (anchor.epoch !== undefined && record.seq === 1 && !record.hash.startsWith(anchor.epoch)) {
      this.#problems.push({
        line,
        problem: 'anchor_mismatch',
        message: `the log's epoch is ${record.hash.slice(0, 16)}, the anchor's ${anchor.epoch}: the anchor is of another log (or this one was replaced)`,
      });
    }
    if (record.hash === anchor.hash) {
      this.#anchored = true;
    } else if (record.seq === anchor.seq) {
      // Found, but not as anchored: the place exists, so this is not a truncation.
      this.#anchored = true;
      this.#problems.push({
        line,
        problem: 'anchor_mismatch',
        message: `record ${record.seq} has hash ${record.hash}, the anchor ${anchor.hash}: rewritten after it was anchored`,
      });
    }
  }

  #checkSignature(record: EvidenceRecord): Pick<EvidenceProblem, 'problem' | 'message'> | undefined {
    const key = this.#key;
    const { signature } = record;
    if (signature === undefined) {
      return key ? { problem: 'unsigned', message: 'record carries no signature' } : undefined;
    }
    if (typeof signature !== 'object' || signature === null || signature.algorithm !== 'HMAC-SHA256') {
      return { problem: 'bad_signature', message: 'signature is not an HMAC-SHA256 signature object' };
    }
    // Named only when it is plain text: the report goes to a terminal, and the log may have been written by anyone.
    const named =
      typeof signature.key_id === 'string' && /^[\w.-]{1,128}$/.test(signature.key_id)
        ? `'${signature.key_id}'`
        : 'an unreadable key id';
    if (!key) {
      return {
        problem: 'signature_unchecked',
        message: `record is signed (key ${named}) but no key was given to check it: pass --key-file or --key-env`,
      };
    }
    if (key.keyId !== undefined && signature.key_id !== key.keyId) {
      return { problem: 'wrong_key', message: `signed with key ${named}, not '${key.keyId}'` };
    }
    const value = typeof signature.value === 'string' ? signature.value : '';
    const form = signatureForm(key, this.#logId ?? '', record.prev, record.hash, value);
    if (form === 'bound' && this.#logId !== undefined) {
      this.#bound = true;
      return undefined;
    }
    if (form === 'legacy') {
      this.#legacySignedRecords += 1;
      // Once the log is bound, an unbound record can only have come from elsewhere.
      return this.#bound
        ? {
            problem: 'legacy_after_bound',
            message: `signature is in the legacy form (${EVIDENCE_SCHEMA_V1}, bound to no log) after records bound to this log`,
          }
        : undefined;
    }
    // The record's own evidence ref names the log it was written for: say so when the key signed it for that one.
    const ref = lastRef(record);
    if (
      ref &&
      ref.logId !== this.#logId &&
      signatureForm(key, ref.logId, record.prev, record.hash, value) === 'bound'
    ) {
      return {
        problem: 'wrong_log',
        message: `record was signed for evidence log ${ref.logId}, not ${this.#logId ?? '(no log id given)'}: it comes from another log`,
      };
    }
    return {
      problem: 'bad_signature',
      message: 'signature does not match the record (rewritten, or signed with another key)',
    };
  }
}

/** The log id and seq of a decision record's own evidence ref (its last), when it has one. */
export function lastRef(record: EvidenceRecord): ReturnType<typeof parseEvidenceRef> {
  const refs = (record as { decision?: { evidence_refs?: unknown } }).decision?.evidence_refs;
  const last = Array.isArray(refs) ? refs[refs.length - 1] : undefined;
  return typeof last === 'string' ? parseEvidenceRef(last) : undefined;
}

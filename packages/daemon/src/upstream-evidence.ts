import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { EvidenceProblem, EvidenceVerification, VerifyOptions } from './verify-evidence-log.js';

/**
 * The schema of upstream's Go daemon evidence records (upstream `go/cavra-runtime/daemon/evidence.go`): one JSON
 * object per line with `schema_version`, `product`, `event_type`, `record_id`, `sequence` (1, 2, ...),
 * `previous_hash` (left out on the first record), `record_hash`, `timestamp`, `request`, `response` and, when the
 * daemon has an evidence key, `signature {algorithm: "HMAC-SHA256", key_id?, value}`.
 */
export const UPSTREAM_EVIDENCE_SCHEMA = 'cavra.go-daemon.evidence.v1';

/** The parts of an upstream record the chain check reads. */
interface UpstreamRecord {
  readonly schema_version: string;
  readonly sequence: number;
  readonly previous_hash?: string;
  readonly record_hash: string;
  readonly signature?: { readonly algorithm?: unknown; readonly key_id?: unknown; readonly value?: unknown };
}

/** Whether a parsed line is an upstream record (by its schema), as opposed to one of ours. */
export function isUpstreamRecord(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { schema_version?: unknown }).schema_version === UPSTREAM_EVIDENCE_SCHEMA
  );
}

/** Whether a log line is an upstream record: decides which chain a log is verified as, from its first line. */
export function isUpstreamRecordLine(text: string): boolean {
  try {
    return isUpstreamRecord(JSON.parse(text));
  } catch {
    return false;
  }
}

/**
 * JSON text as Go's encoding/json writes it for the same value: JSON.stringify of an object whose keys are already in
 * Go's struct order, with the characters Go escapes and JavaScript does not (`<`, `>`, `&`, U+2028, U+2029). Strings
 * holding U+0008 or U+000C are written `\b` and `\f`, as Go 1.22 and later do (older Go writes `\u0008`, `\u000c`).
 */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * The text upstream hashes into `record_hash`: the record as Go serializes it without `record_hash` and `signature`.
 * A record written by Go is that text with `,"record_hash":"<hex>"` after `previous_hash` (or `sequence`) and
 * `,"signature":{...}` last, so the hashed text is the line with those two members taken out. Upstream's verifier
 * re-serializes the parsed record instead; a line Go wrote is the same text, and an edited line (an added key,
 * whitespace) fails here where Go's re-serialization would forgive it. Undefined when the line does not have the
 * two members where Go writes them.
 */
export function upstreamHashedText(text: string, record: UpstreamRecord): string | undefined {
  const member = `,"record_hash":${JSON.stringify(record.record_hash)}`;
  // Only keys with plain scalar values come before record_hash, and `"record_hash":"` cannot occur inside a JSON
  // string (its quotes would be escaped), so the first occurrence is the record's own member.
  const at = text.indexOf(member);
  if (at < 0 || !text.endsWith('}')) return undefined;
  let rest = text.slice(at + member.length, -1);
  if (record.signature !== undefined) {
    const signature = `,"signature":${upstreamSignatureJson(record.signature)}`;
    if (!rest.endsWith(signature)) return undefined;
    rest = rest.slice(0, -signature.length);
  }
  return `${text.slice(0, at)}${rest}}`;
}

function upstreamSignatureJson(signature: NonNullable<UpstreamRecord['signature']>): string {
  // Go's EvidenceSignature: algorithm, key_id (left out when empty), value.
  return goJson({
    algorithm: signature.algorithm,
    ...(signature.key_id !== '' && signature.key_id !== undefined ? { key_id: signature.key_id } : {}),
    value: signature.value,
  });
}

export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** Upstream's evidence HMAC: HMAC-SHA256 over `<schema>\n<previous_hash>\n<record_hash>`, lowercase hex. */
export function upstreamSignatureValue(secret: Uint8Array, previousHash: string, recordHash: string): string {
  return createHmac('sha256', secret)
    .update(`${UPSTREAM_EVIDENCE_SCHEMA}\n${previousHash}\n${recordHash}`, 'utf8')
    .digest('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The chain check of an upstream log, line by line, with the same report as ours (see ChainVerifier): `record_hash`
 * is the SHA-256 of the hashed text (upstreamHashedText), `previous_hash` the previous record's hash (absent on the
 * first), `sequence` counts from 1; with a key, every record must carry upstream's HMAC (upstream's own verifier
 * accepts unsigned records even with a key: a log its daemon wrote with the key has none), and `keyId` must match
 * its `key_id`. Upstream signatures name no log, so `logId` plays no part. A line in our format is `mixed_log`.
 */
export class UpstreamChainVerifier {
  readonly #anchor: string | undefined;
  readonly #key: VerifyOptions['key'];
  readonly #problems: EvidenceProblem[] = [];
  #anchored: boolean;
  #signedRecords = 0;
  #prev = '';
  #expectedSeq = 1;
  #lines = 0;

  constructor(options: VerifyOptions = {}) {
    this.#anchor = typeof options.anchor === 'object' ? options.anchor.hash : options.anchor;
    this.#key = options.key;
    this.#anchored = options.anchor === undefined;
  }

  add(text: string): void {
    this.#lines += 1;
    const line = this.#lines;
    const problems = this.#problems;
    let record: UpstreamRecord;
    try {
      record = JSON.parse(text);
    } catch {
      problems.push({ line, problem: 'not_json', message: 'line is not JSON' });
      this.#expectedSeq += 1;
      return;
    }
    if (!isUpstreamRecord(record)) {
      const ours = typeof record === 'object' && record !== null && 'hash' in record && 'seq' in record;
      problems.push(
        ours
          ? {
              line,
              problem: 'mixed_log',
              message: `a cavra-daemon record in a log of ${UPSTREAM_EVIDENCE_SCHEMA} records: two logs were joined`,
            }
          : { line, problem: 'bad_shape', message: `line is not a ${UPSTREAM_EVIDENCE_SCHEMA} record` },
      );
      this.#expectedSeq += 1;
      return;
    }
    const previous = record.previous_hash ?? '';
    if (
      !Number.isSafeInteger(record.sequence) ||
      typeof record.record_hash !== 'string' ||
      typeof previous !== 'string'
    ) {
      problems.push({
        line,
        problem: 'bad_shape',
        message: 'record lacks sequence, record_hash or previous_hash',
      });
      this.#expectedSeq += 1;
      return;
    }
    const hashed = upstreamHashedText(text, record);
    if (hashed === undefined) {
      problems.push({
        line,
        problem: 'not_canonical',
        message: 'record_hash or signature is not where upstream writes it (reformatted or edited)',
      });
    } else if (sha256Hex(hashed) !== record.record_hash) {
      problems.push({
        line,
        problem: 'hash_mismatch',
        message: 'record content does not match its hash (edited)',
      });
    }
    if (previous !== this.#prev) {
      problems.push({
        line,
        problem: 'broken_chain',
        message: 'previous_hash is not the hash of the record before it (removed or reordered)',
      });
    }
    if (record.sequence !== this.#expectedSeq) {
      problems.push({
        line,
        problem: 'sequence_gap',
        message: `sequence is ${record.sequence}, expected ${this.#expectedSeq}`,
      });
    }
    if (record.signature !== undefined) this.#signedRecords += 1;
    const signatureProblem = this.#checkSignature(record, previous);
    if (signatureProblem) problems.push({ line, ...signatureProblem });
    if (record.record_hash === this.#anchor) this.#anchored = true;
    this.#prev = record.record_hash;
    this.#expectedSeq = record.sequence + 1;
  }

  result({ tornTail }: { readonly tornTail: boolean }): EvidenceVerification {
    const problems = [...this.#problems];
    if (!this.#anchored) {
      problems.push({
        line: this.#lines + 1,
        problem: 'anchor_missing',
        message: `no record has the anchored hash ${this.#anchor}: records were removed from the end (or the anchor is from another log)`,
      });
    }
    return {
      ok: problems.length === 0,
      format: 'upstream',
      records: this.#lines,
      lastHash: this.#prev,
      tornTail,
      signedRecords: this.#signedRecords,
      legacySignedRecords: 0,
      problems,
    };
  }

  #checkSignature(
    record: UpstreamRecord,
    previous: string,
  ): Pick<EvidenceProblem, 'problem' | 'message'> | undefined {
    const key = this.#key;
    const { signature } = record;
    if (signature === undefined) {
      return key ? { problem: 'unsigned', message: 'record carries no signature' } : undefined;
    }
    if (typeof signature !== 'object' || signature === null || signature.algorithm !== 'HMAC-SHA256') {
      return { problem: 'bad_signature', message: 'signature is not an HMAC-SHA256 signature object' };
    }
    const named =
      typeof signature.key_id === 'string' && /^[\w.-]{1,128}$/.test(signature.key_id)
        ? `'${signature.key_id}'`
        : 'an unnamed or unreadable key id';
    if (!key) {
      return {
        problem: 'signature_unchecked',
        message: `record is signed (key ${named}) but no key was given to check it: pass --key-file or --key-env`,
      };
    }
    if (key.keyId !== undefined && signature.key_id !== key.keyId) {
      return { problem: 'wrong_key', message: `signed with key ${named}, not '${key.keyId}'` };
    }
    // Upstream compares the lowercased value.
    const value = typeof signature.value === 'string' ? signature.value.toLowerCase() : '';
    const expected = upstreamSignatureValue(key.secret, previous, record.record_hash);
    if (!HEX64.test(value) || !timingSafeEqual(Buffer.from(value, 'hex'), Buffer.from(expected, 'hex'))) {
      return {
        problem: 'bad_signature',
        message: 'signature does not match the record (rewritten, or signed with another key)',
      };
    }
    return undefined;
  }
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EvidenceSignature } from './evidence-record.js';

/** The schema named in every record's signed text. */
export const EVIDENCE_SCHEMA = 'cavra.daemon.evidence.v1';

/** The daemon's evidence signing key (`evidence_signing` in its config). */
export interface EvidenceKey {
  readonly keyId: string;
  readonly secret: Uint8Array;
}

/**
 * The signed text of a record: `<schema>\n<prev>\n<hash>` (upstream signs `schema_version`, `previous_hash` and
 * `record_hash` the same way). The hash covers the record's content and `prev` chains it to every earlier record, so
 * one HMAC per record binds the whole log up to it to the key: a log rewritten with every hash recomputed cannot be
 * signed again without the key.
 */
export function signedText(prev: string, hash: string): string {
  return `${EVIDENCE_SCHEMA}\n${prev}\n${hash}`;
}

export function signRecord(key: EvidenceKey, prev: string, hash: string): EvidenceSignature {
  const value = createHmac('sha256', key.secret).update(signedText(prev, hash), 'utf8').digest('hex');
  return { algorithm: 'HMAC-SHA256', key_id: key.keyId, value };
}

/** Whether `signature` is this key's HMAC of the record (constant-time comparison). */
export function signatureMatches(
  key: { readonly secret: Uint8Array },
  prev: string,
  hash: string,
  value: string,
) {
  const expected = createHmac('sha256', key.secret).update(signedText(prev, hash), 'utf8').digest();
  if (!/^[0-9a-f]{64}$/.test(value)) return false;
  return timingSafeEqual(expected, Buffer.from(value, 'hex'));
}

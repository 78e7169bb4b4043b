import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EvidenceSignature } from './evidence-record.js';

/** The schema named in the signed text of every record written now: bound to its log (see signedText). */
export const EVIDENCE_SCHEMA = 'cavra.daemon.evidence.v2';

/** The schema of records signed before 0.3: `<schema>\n<prev>\n<hash>`, not bound to any log. Still verified. */
export const EVIDENCE_SCHEMA_V1 = 'cavra.daemon.evidence.v1';

/** The daemon's evidence signing key (`evidence_signing` in its config). */
export interface EvidenceKey {
  readonly keyId: string;
  readonly secret: Uint8Array;
}

/**
 * The signed text of a record: `<schema>\n<log id>\n<prev>\n<hash>` (upstream signs `schema_version`,
 * `previous_hash` and `record_hash` the same way; we add the log id). The hash covers the record's content and `prev`
 * chains it to every earlier record, so one HMAC per record binds the whole log up to it to the key: a log rewritten
 * with every hash recomputed cannot be signed again without the key. The log id (evidenceLogId, the id in every
 * evidence ref) binds the record to its log: another log signed with the same key cannot stand in for this one.
 * Without `logId`, the legacy text `cavra.daemon.evidence.v1\n<prev>\n<hash>`.
 */
export function signedText(prev: string, hash: string, logId?: string): string {
  return logId === undefined
    ? `${EVIDENCE_SCHEMA_V1}\n${prev}\n${hash}`
    : `${EVIDENCE_SCHEMA}\n${logId}\n${prev}\n${hash}`;
}

export function signRecord(key: EvidenceKey, logId: string, prev: string, hash: string): EvidenceSignature {
  return {
    algorithm: 'HMAC-SHA256',
    key_id: key.keyId,
    value: mac(key, signedText(prev, hash, logId)).toString('hex'),
  };
}

/**
 * Which signed text `value` is this key's HMAC of: `bound` (this log's), `legacy` (the v1 text, bound to no log) or
 * undefined (neither). Constant-time comparisons.
 */
export function signatureForm(
  key: { readonly secret: Uint8Array },
  logId: string,
  prev: string,
  hash: string,
  value: string,
): 'bound' | 'legacy' | undefined {
  if (!/^[0-9a-f]{64}$/.test(value)) return undefined;
  const given = Buffer.from(value, 'hex');
  if (timingSafeEqual(mac(key, signedText(prev, hash, logId)), given)) return 'bound';
  if (timingSafeEqual(mac(key, signedText(prev, hash)), given)) return 'legacy';
  return undefined;
}

function mac(key: { readonly secret: Uint8Array }, text: string): Buffer {
  return createHmac('sha256', key.secret).update(text, 'utf8').digest();
}

import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import { FleetError } from './fleet-error.js';

/** The `schema` of a receipt's payload. */
export const EVIDENCE_RECEIPT_SCHEMA = 'cavra.fleet.evidence-receipt.v1';

/**
 * What the central verifier vouches for: it verified the chain of `daemon_id`'s log of `epoch` from seq 1 to `seq`,
 * whose record has `hash`, and the stream held that record's batch at `stream_seq`. The daemon's missing anchor: a
 * local log that lacks `seq`, or holds another hash there, lost or rewrote records the centre had verified.
 */
export interface EvidenceReceipt {
  readonly schema: typeof EVIDENCE_RECEIPT_SCHEMA;
  readonly daemon_id: string;
  /** The first 16 hex digits of the hash of the log's record with seq 1. */
  readonly epoch: string;
  readonly seq: number;
  readonly hash: string;
  /** The stream sequence of the batch holding `seq` in `CAVRA_EVIDENCE`. */
  readonly stream_seq: number;
  /** RFC 3339 UTC. */
  readonly verified_at: string;
}

/** A key given as PEM text (PKCS#8 private, SPKI public) or as a Node KeyObject. */
export type ReceiptKey = string | KeyObject;

/**
 * The `kid` of receipts signed by a key: the first 16 hex digits of the SHA-256 of its public key's SPKI DER form.
 * Takes the private or the public key (the same kid for both).
 */
export function receiptKeyId(key: ReceiptKey): string {
  const object = typeof key === 'string' || key.type === 'private' ? createPublicKey(key) : key;
  const der = object.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

/** Signs a receipt: a compact JWS, alg EdDSA, with the key's kid. The key must be an Ed25519 private key. */
export async function signEvidenceReceipt(receipt: EvidenceReceipt, privateKey: ReceiptKey): Promise<string> {
  const key = ed25519(privateKey, 'private');
  checkReceipt(receipt);
  return new CompactSign(new TextEncoder().encode(JSON.stringify(receipt)))
    .setProtectedHeader({ alg: 'EdDSA', kid: receiptKeyId(key) })
    .sign(key);
}

/**
 * Verifies a receipt (the compact JWS text; surrounding whitespace ignored) with the verifier's Ed25519 public key and
 * returns its payload. A FleetError otherwise: `receipt_invalid` (not a JWS, another alg, a payload that is not a
 * receipt), `receipt_wrong_key` (its kid names another key), `receipt_bad_signature`.
 */
export async function verifyEvidenceReceipt(jws: string, publicKey: ReceiptKey): Promise<EvidenceReceipt> {
  const key = ed25519(publicKey, 'public');
  const text = jws.trim();
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(text);
  } catch (error) {
    throw new FleetError('receipt_invalid', 'the receipt is not a compact JWS', { cause: error });
  }
  if (header.alg !== 'EdDSA')
    throw new FleetError('receipt_invalid', `the receipt is signed with ${printable(header.alg)}, not EdDSA`);
  const kid = receiptKeyId(key);
  if (header.kid !== kid)
    throw new FleetError(
      'receipt_wrong_key',
      `the receipt names key ${printable(header.kid)}, not the given key ${kid}`,
    );
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(text, key, { algorithms: ['EdDSA'] }));
  } catch (error) {
    throw new FleetError('receipt_bad_signature', undefined, { cause: error });
  }
  let receipt: unknown;
  try {
    receipt = JSON.parse(new TextDecoder().decode(payload));
  } catch (error) {
    throw new FleetError('receipt_invalid', 'the receipt payload is not JSON', { cause: error });
  }
  checkReceipt(receipt);
  return receipt;
}

/** Throws `receipt_invalid` unless `value` is a receipt with every field of its form. */
function checkReceipt(value: unknown): asserts value is EvidenceReceipt {
  const receipt = value as Partial<Record<keyof EvidenceReceipt, unknown>> | null;
  const wrong =
    typeof receipt !== 'object' || receipt === null
      ? 'payload'
      : receipt.schema !== EVIDENCE_RECEIPT_SCHEMA
        ? 'schema'
        : typeof receipt.daemon_id !== 'string' || !/^[\w.-]{1,128}$/.test(receipt.daemon_id)
          ? 'daemon_id'
          : typeof receipt.epoch !== 'string' || !/^[0-9a-f]{16}$/.test(receipt.epoch)
            ? 'epoch'
            : !Number.isSafeInteger(receipt.seq) || (receipt.seq as number) < 1
              ? 'seq'
              : typeof receipt.hash !== 'string' || !/^[0-9a-f]{64}$/.test(receipt.hash)
                ? 'hash'
                : !Number.isSafeInteger(receipt.stream_seq) || (receipt.stream_seq as number) < 1
                  ? 'stream_seq'
                  : typeof receipt.verified_at !== 'string' || Number.isNaN(Date.parse(receipt.verified_at))
                    ? 'verified_at'
                    : undefined;
  if (wrong) throw new FleetError('receipt_invalid', `the receipt's ${wrong} is not valid`);
}

/** The receipt signing key as a KeyObject; a FleetError `receipt_key_invalid` unless it is an Ed25519 private key. */
export function receiptPrivateKey(key: ReceiptKey): KeyObject {
  return ed25519(key, 'private');
}

function ed25519(key: ReceiptKey, kind: 'private' | 'public'): KeyObject {
  let object: KeyObject;
  try {
    object = asKeyObject(key, kind);
  } catch (error) {
    throw new FleetError('receipt_key_invalid', `the receipt ${kind} key is not a ${kind} key in PEM form`, {
      cause: error,
    });
  }
  if (object.type !== kind || object.asymmetricKeyType !== 'ed25519')
    throw new FleetError('receipt_key_invalid', `the receipt ${kind} key must be an Ed25519 ${kind} key`);
  return object;
}

function asKeyObject(key: ReceiptKey, kind: 'private' | 'public'): KeyObject {
  if (typeof key !== 'string') return key;
  return kind === 'private' ? createPrivateKey(key) : createPublicKey(key);
}

/** A header value as it may be shown: plain identifiers only (the receipt may come from anyone). */
function printable(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? `'${value}'` : 'an unreadable value';
}

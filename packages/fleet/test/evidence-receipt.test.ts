// Evidence receipts: signed with an Ed25519 key, verified with its public key, every refusal a FleetError.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  EVIDENCE_RECEIPT_SCHEMA,
  type EvidenceReceipt,
  FleetError,
  receiptKeyId,
  signEvidenceReceipt,
  verifyEvidenceReceipt,
} from '../src/index.js';

const pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }) as string,
  };
};
const keys = pem();
const other = pem();

const receipt: EvidenceReceipt = {
  schema: EVIDENCE_RECEIPT_SCHEMA,
  daemon_id: 'ci-runner-1',
  epoch: '0123456789abcdef',
  seq: 42,
  hash: 'a'.repeat(64),
  stream_seq: 7,
  verified_at: '2026-12-06T08:00:00.000Z',
};

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FleetError);
  return { code: (error as FleetError).code, message: (error as FleetError).message };
}

const segments = (jws: string) =>
  jws.split('.').map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));

describe('receipts', () => {
  test('signed and verified; the header names EdDSA and the kid of the public key', async () => {
    const jws = await signEvidenceReceipt(receipt, keys.privateKey);
    const kid = receiptKeyId(keys.publicKey);
    expect(kid).toMatch(/^[0-9a-f]{16}$/);
    expect(receiptKeyId(keys.privateKey)).toBe(kid);
    expect(segments(jws.split('.').slice(0, 2).join('.'))).toEqual([{ alg: 'EdDSA', kid }, receipt]);
    expect(await verifyEvidenceReceipt(`${jws}\n`, keys.publicKey)).toEqual(receipt);
  });

  test('another key, a changed payload, another alg, a non-receipt: refused and named', async () => {
    const jws = await signEvidenceReceipt(receipt, keys.privateKey);
    expect(await refusal(verifyEvidenceReceipt(jws, other.publicKey))).toEqual({
      code: 'receipt_wrong_key',
      message: `the receipt names key '${receiptKeyId(keys.publicKey)}', not the given key ${receiptKeyId(other.publicKey)}`,
    });
    const [header, , signature] = jws.split('.');
    const changed = Buffer.from(JSON.stringify({ ...receipt, seq: 43 })).toString('base64url');
    expect(await refusal(verifyEvidenceReceipt(`${header}.${changed}.${signature}`, keys.publicKey))).toEqual(
      {
        code: 'receipt_bad_signature',
        message: 'the receipt signature does not verify with the given key',
      },
    );
    const hs = Buffer.from(JSON.stringify({ alg: 'HS256', kid: receiptKeyId(keys.publicKey) })).toString(
      'base64url',
    );
    expect(await refusal(verifyEvidenceReceipt(`${hs}.${changed}.${signature}`, keys.publicKey))).toEqual({
      code: 'receipt_invalid',
      message: "the receipt is signed with 'HS256', not EdDSA",
    });
    expect(await refusal(verifyEvidenceReceipt('not a receipt', keys.publicKey))).toEqual({
      code: 'receipt_invalid',
      message: 'the receipt is not a compact JWS',
    });
  });

  test('a payload missing a field is neither signed nor accepted; a key of another kind is refused', async () => {
    expect(await refusal(signEvidenceReceipt({ ...receipt, epoch: 'xyz' }, keys.privateKey))).toEqual({
      code: 'receipt_invalid',
      message: "the receipt's epoch is not valid",
    });
    expect(await refusal(signEvidenceReceipt(receipt, keys.publicKey))).toEqual({
      code: 'receipt_key_invalid',
      message: 'the receipt private key is not a private key in PEM form',
    });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    expect(await refusal(verifyEvidenceReceipt('a.b.c', rsa as string))).toEqual({
      code: 'receipt_key_invalid',
      message: 'the receipt public key must be an Ed25519 public key',
    });
    expect(await refusal(verifyEvidenceReceipt('a.b.c', 'not a pem'))).toEqual({
      code: 'receipt_key_invalid',
      message: 'the receipt public key is not a public key in PEM form',
    });
  });
});

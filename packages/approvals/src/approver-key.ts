import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK } from 'jose';

/** A key as the callers hold it: a KeyObject, or PEM text (PKCS #8 private, SPKI public). */
export type KeyInput = KeyObject | string;

/** A new approver key: PEM texts to write to files, and its `kid`. */
export interface ApproverKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key: the `kid` of its reviews. */
  readonly kid: string;
}

/** The two algorithms reviews are signed with, by key type: Ed25519 and P-256. */
export type ReviewAlgorithm = 'EdDSA' | 'ES256';

/** Generates an Ed25519 approver key. */
export async function generateApproverKey(): Promise<ApproverKeyPair> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    kid: await keyThumbprint(publicKey),
  };
}

/** The RFC 7638 thumbprint of a key's public half. */
export async function keyThumbprint(key: KeyInput): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(publicKeyOf(key)), 'sha256');
}

/** The public KeyObject of a key given as a KeyObject or PEM (a private key gives its public half). */
export function publicKeyOf(key: KeyInput): KeyObject {
  if (typeof key === 'string') return createPublicKey(key);
  return key.type === 'private' ? createPublicKey(key) : key;
}

/** The private KeyObject of a key given as a KeyObject or PKCS #8 PEM. */
export function privateKeyOf(key: KeyInput): KeyObject {
  const notPrivate = () => new TypeError('a review is signed with a private key (PKCS #8 PEM or KeyObject)');
  let object: KeyObject;
  try {
    object = typeof key === 'string' ? createPrivateKey(key) : key;
  } catch {
    throw notPrivate();
  }
  if (object.type !== 'private') throw notPrivate();
  return object;
}

/** The algorithm a key signs reviews with; any key but Ed25519 or P-256 is a TypeError. */
export function reviewAlgorithm(key: KeyObject): ReviewAlgorithm {
  if (key.asymmetricKeyType === 'ed25519') return 'EdDSA';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new TypeError('approver keys are Ed25519 or P-256 (EdDSA or ES256)');
}

import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { shareInstanceof } from '@cavra/contracts';

/** Largest key file read: an Ed25519 PEM is under 200 bytes. */
const MAX_KEY_FILE_BYTES = 16 * 1024;

/** Why a signing or trusted key could not be used; `file` names the key file (or `<inline>`). */
export class PolicySigningKeyError extends Error {
  readonly code: 'io' | 'invalid_key';
  readonly file: string;

  constructor(code: 'io' | 'invalid_key', file: string, detail: string) {
    super(`policy signing key ${file}: ${code}: ${detail}`);
    this.name = 'PolicySigningKeyError';
    this.code = code;
    this.file = file;
  }
}
shareInstanceof(PolicySigningKeyError, '@cavra/runtime.PolicySigningKeyError');

/** A public key whose signatures on packs are trusted, with the fingerprint signatures name it by. */
export interface TrustedPolicyKey {
  readonly publicKey: KeyObject;
  /** Hex SHA-256 of the key's SubjectPublicKeyInfo PEM text: the `public_key_sha256` of its signatures. */
  readonly publicKeySha256: string;
  /** Where the key came from (its file), for messages and logs. */
  readonly source: string;
}

/** A new Ed25519 key pair as upstream's `cavra policy keygen` writes it: PKCS#8 and SubjectPublicKeyInfo PEM. */
export interface PolicySigningKeyPair {
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly publicKeySha256: string;
}

export function generatePolicySigningKeyPair(): PolicySigningKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const publicKeyPem = spkiPem(publicKey);
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem,
    publicKeySha256: sha256Hex(publicKeyPem),
  };
}

/**
 * The fingerprint upstream puts in `public_key_sha256`: SHA-256 over the text of the key's SubjectPublicKeyInfo PEM
 * (`-----BEGIN PUBLIC KEY-----`, one base64 line, `-----END PUBLIC KEY-----`, each ending in `\n`). It is computed
 * from the key, not from a file's bytes, so a key file with other line endings still matches its signatures.
 */
export function policyKeySha256(key: KeyObject): string {
  return sha256Hex(spkiPem(key.type === 'private' ? createPublicKey(key) : key));
}

/** A trusted public key from PEM text (SubjectPublicKeyInfo) or a KeyObject. Throws PolicySigningKeyError. */
export function trustedPolicyKey(key: KeyObject | string, source = '<inline>'): TrustedPolicyKey {
  let publicKey: KeyObject;
  try {
    publicKey = typeof key === 'string' ? createPublicKey(key) : key;
  } catch (error) {
    throw new PolicySigningKeyError(
      'invalid_key',
      source,
      `not a PEM public key (${(error as Error).message})`,
    );
  }
  if (publicKey.type !== 'public') {
    throw new PolicySigningKeyError('invalid_key', source, 'a trusted key must be a public key');
  }
  requireEd25519(publicKey, source);
  return { publicKey, publicKeySha256: policyKeySha256(publicKey), source };
}

/** Reads trusted public key files (PEM, as `cavra policy keygen` or upstream writes them). */
export async function loadTrustedPolicyKeys(paths: readonly string[]): Promise<TrustedPolicyKey[]> {
  return Promise.all(paths.map(async (path) => trustedPolicyKey(await readKeyFile(path), path)));
}

/** Reads an unencrypted PKCS#8 PEM Ed25519 private key file. Throws PolicySigningKeyError naming the file. */
export async function loadPolicySigningKey(path: string): Promise<KeyObject> {
  const text = await readKeyFile(path);
  let key: KeyObject;
  try {
    key = createPrivateKey(text);
  } catch (error) {
    throw new PolicySigningKeyError(
      'invalid_key',
      path,
      `not a PEM private key (${(error as Error).message})`,
    );
  }
  requireEd25519(key, path);
  return key;
}

/** Refuses any key but Ed25519, the one algorithm of `cavra.policy-signature.v1` that binds a signer. */
export function requireEd25519(key: KeyObject, source: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new PolicySigningKeyError(
      'invalid_key',
      source,
      `an Ed25519 key is required, not ${key.asymmetricKeyType ?? 'a symmetric key'}`,
    );
  }
}

async function readKeyFile(path: string): Promise<string> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new PolicySigningKeyError(
      'io',
      path,
      `cannot read (${(error as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    );
  }
  if (buffer.length > MAX_KEY_FILE_BYTES) {
    throw new PolicySigningKeyError('invalid_key', path, `larger than ${MAX_KEY_FILE_BYTES} bytes`);
  }
  return buffer.toString('utf8');
}

function spkiPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

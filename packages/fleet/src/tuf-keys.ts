import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
} from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import {
  Key,
  type Metadata,
  type Root,
  Signature,
  type Snapshot,
  type Targets,
  type Timestamp,
} from '@tufjs/models';

/** TUF's four top-level roles; each has its own Ed25519 key in a channel's keys folder. */
export const TUF_ROLES = ['root', 'targets', 'snapshot', 'timestamp'] as const;

export type TufRole = (typeof TUF_ROLES)[number];

/** A role's signing key: the TUF public key (with its key id) and the private key. */
export interface RoleKey {
  readonly key: Key;
  readonly privateKey: KeyObject;
}

/** A new Ed25519 key and its PKCS#8 PEM text (the file a keys folder holds). */
export function generateRoleKey(): { readonly roleKey: RoleKey; readonly pem: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  return {
    roleKey: roleKeyOf(privateKey),
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** The role key of a PKCS#8 PEM private key (throws when it is not an Ed25519 key). */
export function roleKeyFromPem(pem: string): RoleKey {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 private key');
  return roleKeyOf(privateKey);
}

function roleKeyOf(privateKey: KeyObject): RoleKey {
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' });
  // TUF's ed25519 key value is the raw 32-byte public key in hex; the key id is the SHA-256 of the key's canonical
  // JSON (TUF specification, "keyid").
  const keyVal = { public: Buffer.from(String(jwk.x), 'base64url').toString('hex') };
  const body = { keytype: 'ed25519', scheme: 'ed25519', keyval: keyVal };
  const keyID = createHash('sha256').update(canonicalize(body)).digest('hex');
  return { key: new Key({ keyID, keyType: 'ed25519', scheme: 'ed25519', keyVal }), privateKey };
}

/** Signs `metadata` with each key (appending to the signatures already there). */
export function signMetadata(
  metadata: Metadata<Root | Targets | Snapshot | Timestamp>,
  keys: readonly RoleKey[],
): void {
  for (const { key, privateKey } of keys) {
    metadata.sign(
      (data) => new Signature({ keyID: key.keyID, sig: sign(null, data, privateKey).toString('hex') }),
    );
  }
}

import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';

/**
 * The signed bytes: the UTF-8 of `cavra-policy-pack-signature-v1\n` followed by the pack's canonical JSON
 * (`pack.canonicalJson`), so a signature covers the resolved pack, parents included, and nothing else.
 */
export const PACK_SIGNATURE_DOMAIN = 'cavra-policy-pack-signature-v1\n';

function signedBytes(pack: CompiledPolicyPack): Buffer {
  return Buffer.from(PACK_SIGNATURE_DOMAIN + pack.canonicalJson, 'utf8');
}

/** Ed25519-signs a pack; returns the 64-byte signature as base64url (no padding). Keys: KeyObject or PEM. */
export function signPolicyPack(pack: CompiledPolicyPack, privateKey: KeyObject | string): string {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TypeError('policy packs are signed with Ed25519 keys only');
  return sign(null, signedBytes(pack), key).toString('base64url');
}

/** Throws PolicyPackError `bad_signature` unless `signature` is a valid Ed25519 signature of the pack. */
export function verifyPolicyPackSignature(
  pack: CompiledPolicyPack,
  signature: string,
  publicKey: KeyObject | string,
): void {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (key.asymmetricKeyType !== 'ed25519')
    throw new TypeError('policy packs are verified with Ed25519 keys only');
  const bytes = /^[A-Za-z0-9_-]{86}$/.test(signature) ? Buffer.from(signature, 'base64url') : undefined;
  if (!bytes || !verify(null, signedBytes(pack), key, bytes)) {
    throw new PolicyPackError('bad_signature', pack.id, [
      {
        path: '',
        message: bytes ? 'signature does not match the pack' : 'signature must be 64 bytes in base64url',
      },
    ]);
  }
}

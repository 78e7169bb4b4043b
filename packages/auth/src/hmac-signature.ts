import { RunnerAuthError } from './runner-auth-error.js';

const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;
const HEX_64 = /^[0-9A-Fa-f]{64}$/;

/** Encodes a 32-byte HMAC as unpadded base64url (43 characters): the one encoding the verifier accepts. */
export function encodeSignature(mac: Buffer): string {
  return mac.toString('base64url');
}

/**
 * Decodes a signature in its one accepted encoding, or throws `bad_encoding` saying what is wrong. Only the canonical
 * text is accepted: 43 characters carry 258 bits for 256, and a decoder ignores the last two, so four texts decode to
 * the same HMAC; accepting them all would let one signature pass the replay cache four times.
 */
export function decodeSignature(signature: string): Buffer {
  if (HEX_64.test(signature)) {
    throw new RunnerAuthError(
      'bad_encoding',
      'signature is hex; send the 32-byte HMAC as unpadded base64url (43 characters)',
    );
  }
  if (!BASE64URL_43.test(signature)) {
    throw new RunnerAuthError(
      'bad_encoding',
      'signature must be the 32-byte HMAC in unpadded base64url (43 characters); hex and padded base64 are refused',
    );
  }
  const mac = Buffer.from(signature, 'base64url');
  if (encodeSignature(mac) !== signature) {
    throw new RunnerAuthError(
      'bad_encoding',
      'signature is not canonical base64url: the unused low bits of its last character must be zero',
    );
  }
  return mac;
}

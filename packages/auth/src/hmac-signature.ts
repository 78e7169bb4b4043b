import { IDENTITY_ONLY_SCHEME, REQUEST_BOUND_SCHEME } from './hmac-scheme.js';
import { RunnerAuthError } from './runner-auth-error.js';

const PREFIX = `${REQUEST_BOUND_SCHEME}:`;
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;
const ANY_HEX_64 = /^[0-9A-Fa-f]{64}$/;
const LOWER_HEX_64 = /^[0-9a-f]{64}$/;

/**
 * A 32-byte HMAC of the request-bound scheme as sent: the scheme's name, `:`, and the MAC as unpadded base64url
 * (43 characters), so a daemon reads the scheme from the signature instead of guessing it from its shape.
 */
export function encodeSignature(mac: Buffer): string {
  return `${PREFIX}${mac.toString('base64url')}`;
}

/**
 * Decodes a request-bound signature, or throws saying what is wrong. Accepted: `CAVRA-RUNNER-HMAC-V1:<43 base64url>`
 * and, from signers before the name was sent, the bare 43 characters (the same MAC over the same text, so the
 * replay cache, keyed by the MAC's bytes, sees one signature whichever form it came in). Hex is upstream's
 * identity-only scheme, never read as this one: `scheme_not_enabled`. Only the canonical base64url text is accepted:
 * 43 characters carry 258 bits for 256, and a decoder ignores the last two, so four texts decode to the same HMAC.
 */
export function decodeSignature(signature: string, keyId: string): Buffer {
  if (ANY_HEX_64.test(signature)) {
    throw new RunnerAuthError(
      'scheme_not_enabled',
      `signature is in the identity-only scheme ${IDENTITY_ONLY_SCHEME} (hex), which HMAC key '${keyId}' is not enabled for; sign with ${REQUEST_BOUND_SCHEME}, or mark the key with scheme ${IDENTITY_ONLY_SCHEME}`,
    );
  }
  const text = signature.startsWith(PREFIX) ? signature.slice(PREFIX.length) : signature;
  if (!BASE64URL_43.test(text)) {
    throw new RunnerAuthError(
      'bad_encoding',
      `signature must be ${PREFIX} followed by the 32-byte HMAC in unpadded base64url (43 characters)`,
    );
  }
  const mac = Buffer.from(text, 'base64url');
  if (mac.toString('base64url') !== text) {
    throw new RunnerAuthError(
      'bad_encoding',
      'signature is not canonical base64url: the unused low bits of its last character must be zero',
    );
  }
  return mac;
}

/**
 * Decodes an identity-only (upstream) signature: exactly 64 lower-case hex characters, as upstream's signer writes
 * them. A request-bound signature sent for a key marked identity-only is `scheme_not_enabled`.
 */
export function decodeHexSignature(signature: string, keyId: string): Buffer {
  if (signature.startsWith(PREFIX)) {
    throw new RunnerAuthError(
      'scheme_not_enabled',
      `HMAC key '${keyId}' is marked with scheme ${IDENTITY_ONLY_SCHEME} and accepts only that scheme's signatures`,
    );
  }
  if (!LOWER_HEX_64.test(signature)) {
    throw new RunnerAuthError(
      'bad_encoding',
      `a ${IDENTITY_ONLY_SCHEME} signature must be the 32-byte HMAC as 64 lower-case hex characters`,
    );
  }
  return Buffer.from(signature, 'hex');
}

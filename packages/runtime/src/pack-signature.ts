import { createHash, type KeyObject, sign, verify } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { policySignature as validate } from './generated/schema-validators.js';
import { PolicyPackError } from './policy-pack-error.js';
import {
  PolicySigningKeyError,
  policyKeySha256,
  requireEd25519,
  type TrustedPolicyKey,
} from './policy-signing-key.js';
import { readPackFile } from './read-pack-file.js';
import { schemaIssues } from './schema-issues.js';

/** The `schema_version` of upstream's sidecar signature file. */
export const POLICY_SIGNATURE_SCHEMA = 'cavra.policy-signature.v1';

/** Largest signature file read: the Ed25519 form is under 1 KiB. */
export const MAX_POLICY_SIGNATURE_BYTES = 16 * 1024;

/**
 * A pack signature as upstream's `cavra policy sign` writes it beside the pack (`<pack file>.sig.json`): Ed25519 over
 * the pack file's raw bytes, whatever its format (YAML, JSON or compiled JSON).
 */
export interface PolicySignature {
  readonly schema_version: typeof POLICY_SIGNATURE_SCHEMA;
  readonly algorithm: 'Ed25519';
  /** `sha256:<hex>` of the pack file's bytes. */
  readonly digest: string;
  /** The 64-byte Ed25519 signature of the pack file's bytes, standard base64 with padding. */
  readonly signature: string;
  /** When it was signed (RFC 3339); informative, not checked. */
  readonly signed_at: string;
  readonly signer: string;
  /** A name for the key; informative: the key is found by `public_key_sha256`. */
  readonly key_id: string;
  /** Hex SHA-256 of the signing key's public SubjectPublicKeyInfo PEM text (see `policyKeySha256`). */
  readonly public_key_sha256: string;
  /** The pack file's name when signed; informative. */
  readonly policy_file: string;
}

/** What a successful verification established. */
export interface VerifiedPolicySignature {
  readonly file: string;
  readonly signatureFile: string;
  readonly digest: string;
  readonly keyId: string;
  readonly signer: string;
  readonly publicKeySha256: string;
  /** The trusted key that verified it (its file). */
  readonly trustedKey: string;
}

/** Options of createPolicySignature and signPolicyFile. */
export interface SignPolicyOptions {
  /** Ed25519 private key. */
  readonly privateKey: KeyObject;
  /** Default `local`, as upstream. */
  readonly signer?: string;
  /** Default: the signer, as upstream. */
  readonly keyId?: string;
  /** Default: now. */
  readonly signedAt?: Date;
}

/** The sidecar path upstream reads and writes: the pack's path with `.sig.json` appended. */
export function policySignaturePath(packPath: string): string {
  return `${packPath}.sig.json`;
}

/** Signs a pack file's bytes; `policyFile` is the name recorded in the signature. */
export function createPolicySignature(
  bytes: Uint8Array,
  policyFile: string,
  options: SignPolicyOptions,
): PolicySignature {
  if (options.privateKey.type !== 'private') {
    throw new PolicySigningKeyError('invalid_key', '<signing key>', 'signing needs the private key');
  }
  requireEd25519(options.privateKey, '<signing key>');
  const signer = options.signer ?? 'local';
  return {
    schema_version: POLICY_SIGNATURE_SCHEMA,
    algorithm: 'Ed25519',
    digest: sha256Digest(bytes),
    signature: sign(null, bytes, options.privateKey).toString('base64'),
    signed_at: (options.signedAt ?? new Date()).toISOString(),
    signer,
    key_id: options.keyId ?? signer,
    public_key_sha256: policyKeySha256(options.privateKey),
    policy_file: policyFile,
  };
}

/** Signs a pack file and writes `<file>.sig.json` beside it (JSON, two-space indent, as upstream). */
export async function signPolicyFile(
  path: string,
  options: SignPolicyOptions,
): Promise<{ readonly signatureFile: string; readonly signature: PolicySignature }> {
  const bytes = await readPackFile(path);
  const signature = createPolicySignature(bytes, basename(path), options);
  const signatureFile = policySignaturePath(path);
  await writeFile(signatureFile, `${JSON.stringify(signature, null, 2)}\n`);
  return { signatureFile, signature };
}

/**
 * Parses a signature file's text. Only the Ed25519 form is accepted: upstream's `HS256` form is a shared-secret MAC
 * any holder of the secret can forge, and its `SHA256` form is a checksum keyed by the digest itself, which anyone
 * can compute. Throws PolicyPackError `bad_signature` naming the signature file and each offending path.
 */
export function parsePolicySignature(text: string, signatureFile: string): PolicySignature {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PolicyPackError('bad_signature', signatureFile, [
      { path: '', message: `not JSON (${(error as Error).message})` },
    ]);
  }
  const algorithm = (value as { algorithm?: unknown } | null)?.algorithm;
  if (typeof algorithm === 'string' && algorithm !== 'Ed25519') {
    throw new PolicyPackError('bad_signature', signatureFile, [
      {
        path: '/algorithm',
        message: `${algorithm} is not accepted: only Ed25519 signatures by a trusted key are (HS256 can be forged by anyone holding the shared secret, SHA256 by anyone)`,
      },
    ]);
  }
  if (!validate(value)) {
    throw new PolicyPackError('bad_signature', signatureFile, schemaIssues(validate.errors));
  }
  return value as unknown as PolicySignature;
}

/**
 * Checks a pack file's bytes against its signature: the digest must be the bytes', the key one of `trustedKeys`
 * (found by `public_key_sha256`), and the Ed25519 signature valid over the bytes. Throws PolicyPackError naming the
 * pack file: `bad_signature` (the signature file's path and what failed) or `untrusted_key`.
 */
export function verifyPolicySignature(
  bytes: Uint8Array,
  signature: PolicySignature,
  trustedKeys: readonly TrustedPolicyKey[],
  files: { readonly file: string; readonly signatureFile: string },
): VerifiedPolicySignature {
  const refuse = (code: 'bad_signature' | 'untrusted_key', message: string) =>
    new PolicyPackError(code, files.file, [{ path: '', message: `${files.signatureFile}: ${message}` }]);
  const digest = sha256Digest(bytes);
  if (signature.digest !== digest) {
    throw refuse('bad_signature', `signs digest ${signature.digest}, but the file's digest is ${digest}`);
  }
  const key = trustedKeys.find((candidate) => candidate.publicKeySha256 === signature.public_key_sha256);
  if (!key) {
    throw refuse(
      'untrusted_key',
      `signed by key ${signature.public_key_sha256} (key_id ${JSON.stringify(signature.key_id)}), which is not a trusted key`,
    );
  }
  if (!verify(null, bytes, key.publicKey, Buffer.from(signature.signature, 'base64'))) {
    throw refuse('bad_signature', `the signature does not verify with trusted key ${key.source}`);
  }
  return {
    file: files.file,
    signatureFile: files.signatureFile,
    digest,
    keyId: signature.key_id,
    signer: signature.signer,
    publicKeySha256: key.publicKeySha256,
    trustedKey: key.source,
  };
}

/**
 * Verifies the bytes of a pack file read by the caller against the signature file beside it (or `signatureFile`):
 * the bytes checked are the bytes the caller goes on to parse. Throws PolicyPackError `unsigned` when there is no
 * signature file, `bad_signature` or `untrusted_key` otherwise.
 */
export async function verifyPolicyBytes(
  file: string,
  bytes: Uint8Array,
  trustedKeys: readonly TrustedPolicyKey[],
  signatureFile = policySignaturePath(file),
): Promise<VerifiedPolicySignature> {
  let text: string;
  try {
    text = await readFile(signatureFile, 'utf8');
  } catch (error) {
    throw new PolicyPackError('unsigned', file, [
      { path: '', message: `no signature file ${signatureFile} (${errorCode(error)})` },
    ]);
  }
  if (Buffer.byteLength(text) > MAX_POLICY_SIGNATURE_BYTES) {
    throw new PolicyPackError('bad_signature', signatureFile, [
      { path: '', message: `larger than ${MAX_POLICY_SIGNATURE_BYTES} bytes` },
    ]);
  }
  return verifyPolicySignature(bytes, parsePolicySignature(text, signatureFile), trustedKeys, {
    file,
    signatureFile,
  });
}

/** Reads a pack file and verifies it against its signature file (see verifyPolicyBytes). */
export async function verifyPolicyFile(
  file: string,
  trustedKeys: readonly TrustedPolicyKey[],
  signatureFile = policySignaturePath(file),
): Promise<VerifiedPolicySignature> {
  return verifyPolicyBytes(file, await readPackFile(file), trustedKeys, signatureFile);
}

function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? 'unreadable';
}

import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { policyKeySha256 } from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';

/** The `schema_version` of what `keygen` prints (as upstream's) and keeps beside the private key. */
export const KEYPAIR_SCHEMA = 'cavra.policy-signing-keypair.v1';

/** What keygen says of a key pair: upstream's output, kept beside the private key so that `sign` knows its key id. */
export interface KeyPairMetadata {
  readonly schema_version: typeof KEYPAIR_SCHEMA;
  readonly algorithm: 'Ed25519';
  readonly key_id: string;
  readonly private_key_path: string;
  readonly public_key_path: string;
  readonly public_key_sha256: string;
}

/**
 * Where keygen keeps a private key's metadata: beside it, `<private key file>.json`. A sidecar, not a header in the
 * PEM, so the key file stays what upstream's tools and OpenSSL read.
 */
export function keyMetadataPath(privateKeyPath: string): string {
  return `${privateKeyPath}.json`;
}

/**
 * The key id keygen recorded for this private key, if it did. A metadata file for another key (its
 * `public_key_sha256` is not this key's) or one that is not keygen's is CliError (invalid input): signing with a
 * key id that names another key would mislead whoever reads the signature.
 */
export async function recordedKeyId(privateKeyPath: string, key: KeyObject): Promise<string | undefined> {
  const path = keyMetadataPath(privateKeyPath);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // a key keygen did not write
    throw new CliError(EXIT.invalidInput, `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  let metadata: Partial<KeyPairMetadata>;
  try {
    metadata = JSON.parse(text);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `${path}: not JSON (${(error as Error).message})`);
  }
  if (
    metadata?.schema_version !== KEYPAIR_SCHEMA ||
    typeof metadata.key_id !== 'string' ||
    metadata.key_id === ''
  ) {
    throw new CliError(EXIT.invalidInput, `${path}: not ${KEYPAIR_SCHEMA} metadata with a key_id`);
  }
  if (metadata.public_key_sha256 !== policyKeySha256(key)) {
    throw new CliError(
      EXIT.invalidInput,
      `${path}: describes another key (public_key_sha256 ${metadata.public_key_sha256}, not ${policyKeySha256(key)})`,
    );
  }
  return metadata.key_id;
}

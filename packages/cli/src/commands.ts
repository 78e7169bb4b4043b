import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  generatePolicySigningKeyPair,
  loadPolicySigningKey,
  PolicyPackError,
  PolicySigningKeyError,
  patternLists,
  signPolicyFile,
  verifyPolicyFile,
} from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';
import { writeNew } from './new-file.js';
import { packFile } from './pack-reference.js';
import { loadKeys, loadPack } from './read-input.js';
import {
  KEYPAIR_SCHEMA,
  type KeyPairMetadata,
  keyMetadataPath,
  recordedKeyId,
} from './signing-key-metadata.js';

// The commands that report one line each (validate) or act on files (keygen, sign, verify); the others compute a
// report (reports.ts) printed by a renderer.

/** Where a command writes its report. */
export interface Output {
  out(text: string): void;
}

export async function validate(io: Output, packs: readonly string[], publicKeys: readonly string[]) {
  const keys = publicKeys.length > 0 ? await loadKeys(publicKeys) : undefined;
  for (const file of packs) {
    const pack = await loadPack(file, keys);
    const rules = patternLists(pack.resolved).reduce((count, [, patterns]) => count + patterns.length, 0);
    io.out(
      `${file}: valid (${pack.id} ${pack.version}, ${rules} patterns, ${pack.digest}${keys ? ', signed' : ''})\n`,
    );
  }
  return EXIT.ok;
}

/**
 * A new key pair; what it prints (upstream's keygen output) is also kept beside the private key
 * (`<private key>.json`), so that `sign` with that key records its key id.
 */
export async function keygen(io: Output, options: { privateKey: string; publicKey: string; keyId: string }) {
  const pair = generatePolicySigningKeyPair();
  const metadata: KeyPairMetadata = {
    schema_version: KEYPAIR_SCHEMA,
    algorithm: 'Ed25519',
    key_id: options.keyId,
    private_key_path: resolve(options.privateKey),
    public_key_path: resolve(options.publicKey),
    public_key_sha256: pair.publicKeySha256,
  };
  const json = `${JSON.stringify(metadata, null, 2)}\n`;
  // Keys are never overwritten (`wx`); the private key is born readable by its owner only. The metadata describes
  // the private key just created, so it replaces whatever a removed key left beside it.
  await writeNew(options.privateKey, pair.privateKeyPem, 0o600);
  await writeNew(options.publicKey, pair.publicKeyPem, 0o644);
  await writeFile(keyMetadataPath(options.privateKey), json, { mode: 0o644 });
  io.out(json);
  return EXIT.ok;
}

/** Signs a pack file; the key id is `--key-id`, else the one keygen recorded for the key, else the signer. */
export async function sign(
  io: Output,
  options: { pack: string; privateKey: string; signer?: string; keyId?: string },
) {
  filesOnly(options.pack);
  const privateKey = await keyFile(() => loadPolicySigningKey(options.privateKey));
  const keyId = options.keyId ?? (await recordedKeyId(options.privateKey, privateKey));
  await loadPack(options.pack); // an invalid pack is refused, never signed
  const { signatureFile, signature } = await signPolicyFile(options.pack, {
    privateKey,
    ...(options.signer ? { signer: options.signer } : {}),
    ...(keyId ? { keyId } : {}),
  });
  io.out(
    `signed ${options.pack}: ${signatureFile} (key_id ${signature.key_id}, public_key_sha256 ${signature.public_key_sha256})\n`,
  );
  return EXIT.ok;
}

export async function verify(
  io: Output,
  options: { pack: string; publicKeys: readonly string[]; signature?: string },
) {
  filesOnly(options.pack);
  const keys = await loadKeys(options.publicKeys);
  try {
    const verified = await verifyPolicyFile(options.pack, keys, options.signature);
    io.out(
      `verified ${options.pack}: signed by key_id ${verified.keyId} (signer ${verified.signer}) with ${verified.trustedKey}\n`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof PolicyPackError && error.code !== 'io' && error.code !== 'invalid_pack') {
      throw new CliError(EXIT.failed, error.message);
    }
    throw error instanceof PolicyPackError ? new CliError(EXIT.invalidPack, error.message) : error;
  }
}

async function keyFile<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof PolicySigningKeyError) throw new CliError(EXIT.invalidInput, error.message);
    throw error;
  }
}

/** Signatures are of pack files: a shipped pack is part of the installed code, and needs none. */
function filesOnly(pack: string): void {
  if (packFile(pack) !== pack) {
    throw new CliError(
      EXIT.usage,
      `${pack}: a shipped pack is part of the installed code; sign and verify take pack files`,
    );
  }
}

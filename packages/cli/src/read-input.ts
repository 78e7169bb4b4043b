import { readFile } from 'node:fs/promises';
import {
  type CompiledPolicyPack,
  loadPolicyPack,
  loadTrustedPolicyKeys,
  PolicyPackError,
  PolicySigningKeyError,
  type TrustedPolicyKey,
} from '@cavra/runtime';
import { parseDocument } from 'yaml';
import { CliError, EXIT } from './cli-error.js';

/** Largest test, requests or evidence file read. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/** Reads a file's text; a missing, unreadable or oversized file is CliError (invalid input) naming it. */
export async function readText(path: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new CliError(EXIT.invalidInput, `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`);
  }
  if (buffer.length > maxBytes)
    throw new CliError(EXIT.invalidInput, `${path}: larger than ${maxBytes} bytes`);
  return buffer.toString('utf8');
}

/** Reads a YAML (or JSON) file; duplicate keys and syntax errors are CliError naming the file, line and column. */
export async function readYaml(path: string): Promise<unknown> {
  const document = parseDocument(await readText(path), { uniqueKeys: true, prettyErrors: false });
  const [error] = document.errors;
  if (error) {
    const at = error.linePos?.[0];
    throw new CliError(
      EXIT.invalidInput,
      `${path}${at ? `:${at.line}:${at.col}` : ''}: ${error.message.split('\n')[0]}`,
    );
  }
  return document.toJS({ maxAliasCount: 100 });
}

/**
 * Loads a pack as the daemon does: a shipped pack's id or a file path; with keys, every file must be signed by one
 * of them. Exit code 3 when invalid.
 */
export async function loadPack(
  path: string,
  trustedKeys?: readonly TrustedPolicyKey[],
): Promise<CompiledPolicyPack> {
  try {
    return await loadPolicyPack(path, trustedKeys ? { trustedKeys } : {});
  } catch (error) {
    if (error instanceof PolicyPackError) throw new CliError(EXIT.invalidPack, error.message);
    throw error;
  }
}

/** Reads trusted public keys; a bad key file is CliError (invalid input) naming it. */
export async function loadKeys(paths: readonly string[]): Promise<TrustedPolicyKey[]> {
  try {
    return await loadTrustedPolicyKeys(paths);
  } catch (error) {
    if (error instanceof PolicySigningKeyError) throw new CliError(EXIT.invalidInput, error.message);
    throw error;
  }
}

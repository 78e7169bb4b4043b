import { readFile } from 'node:fs/promises';
import {
  type CompiledPolicyPack,
  isShippedPackId,
  loadPolicyPack,
  loadTrustedPolicyKeys,
  PolicyPackError,
  PolicySigningKeyError,
  type TrustedPolicyKey,
} from '@cavra/runtime';
import { parseDocument } from 'yaml';
import { CliError, EXIT } from './cli-error.js';
import { packFile } from './pack-reference.js';

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
  return parseYaml(await readText(path), path);
}

/** Parses YAML (or JSON) text read from `path`, as readYaml. */
export function parseYaml(text: string, path: string): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
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
 * Loads a pack (a file, or the id of a shipped pack: see packFile) as the daemon does; with keys, every file must be
 * signed by one of them. Exit code 3 when invalid.
 */
export async function loadPack(
  reference: string,
  trustedKeys?: readonly TrustedPolicyKey[],
): Promise<CompiledPolicyPack> {
  try {
    // A shipped id goes to the runtime's resolver as an id; anything else must name a file (packFile says which).
    const resolved = isShippedPackId(reference) ? reference : packFile(reference);
    return await loadPolicyPack(resolved, trustedKeys ? { trustedKeys } : {});
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

/** Reads a request from stdin (`-`), up to 1 MiB. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new CliError(EXIT.invalidInput, 'request: larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

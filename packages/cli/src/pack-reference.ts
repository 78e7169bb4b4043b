import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILTIN_POLICY_DIR } from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';

// The one place the CLI turns a shipped pack id into a file: when @cavra/runtime resolves shipped ids itself, this
// is the function to switch to it.
const SHIPPED_EXTENSION = '.yaml';

/** The ids of the packs shipped with @cavra/runtime (`cavra-ai-agent-baseline`, ...). */
export function shippedPackIds(): string[] {
  return readdirSync(BUILTIN_POLICY_DIR)
    .filter((name) => name.endsWith(SHIPPED_EXTENSION))
    .map((name) => name.slice(0, -SHIPPED_EXTENSION.length))
    .sort();
}

/**
 * The file a pack argument names: an existing path (relative to `base`, default the working folder), otherwise the
 * shipped pack with that id. Neither is CliError (invalid pack) listing the shipped ids.
 */
export function packFile(reference: string, base?: string): string {
  const path = base === undefined ? reference : resolve(base, reference);
  if (exists(path)) return path;
  const shipped = shippedPackIds();
  if (shipped.includes(reference)) return join(BUILTIN_POLICY_DIR, `${reference}${SHIPPED_EXTENSION}`);
  throw new CliError(
    EXIT.invalidPack,
    `${path}: no such file, and not the id of a shipped pack (${shipped.join(', ')})`,
  );
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false; // not a path: maybe an id
  }
}

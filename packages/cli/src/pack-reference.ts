import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BUILTIN_POLICY_DIR, isShippedPackId, SHIPPED_PACK_IDS } from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';

/** The ids of the packs shipped with @cavra/runtime (`cavra-ai-agent-baseline`, ...). */
export function shippedPackIds(): string[] {
  return [...SHIPPED_PACK_IDS].sort();
}

/**
 * The file a pack argument names: the shipped pack with that id (ids first, as the runtime's loadPolicyPack reads
 * a reference), otherwise an existing path (relative to `base`, default the working folder). Neither is CliError
 * (invalid pack) listing the shipped ids.
 */
export function packFile(reference: string, base?: string): string {
  if (isShippedPackId(reference)) return join(BUILTIN_POLICY_DIR, `${reference}.yaml`);
  const path = base === undefined ? reference : resolve(base, reference);
  if (exists(path)) return path;
  const shipped = shippedPackIds();
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

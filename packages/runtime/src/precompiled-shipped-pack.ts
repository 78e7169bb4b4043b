import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { parseCompiledPackJson, toCompiledPackJson } from './compiled-pack-json.js';

/**
 * The shipped packs in the compiled JSON form, written by the build (scripts/precompile-shipped-packs.mjs) beside the
 * code: `<id>.json`, the compiled form plus `source_sha256`, the SHA-256 of the YAML it was compiled from. Reading it
 * skips parsing the YAML (the largest part of loading a shipped pack, and of a daemon's start after Node's own). The
 * YAML stays what decides: a file compiled from other bytes than the YAML read now, an unreadable or malformed one,
 * or none, is passed over and the YAML compiled as before, so this changes speed only.
 */
export const PRECOMPILED_DIR = fileURLToPath(new URL('./shipped-packs/', import.meta.url));

/** The precompiled form of the shipped pack whose YAML file and bytes are given, when it was compiled from them. */
export async function precompiledShippedPack(
  yamlPath: string,
  yamlBytes: Buffer,
  dir: string = PRECOMPILED_DIR,
): Promise<CompiledPolicyPack | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, `${basename(yamlPath, extname(yamlPath))}.json`), 'utf8');
  } catch {
    return undefined;
  }
  if (sourceHash(text) !== sha256(yamlBytes)) return undefined;
  try {
    const pack = parseCompiledPackJson(text, yamlPath);
    // A shipped pack with parents is resolved against the folders of the pack that names it: compiled as before.
    return pack.resolved.metadata.inherits.length === 0 ? pack : undefined;
  } catch {
    return undefined;
  }
}

/** The file the build writes for a shipped pack compiled from these YAML bytes. */
export function precompiledPackJson(pack: CompiledPolicyPack, yamlBytes: Buffer): string {
  const envelope = JSON.parse(toCompiledPackJson(pack)) as Record<string, unknown>;
  return `${JSON.stringify({ ...envelope, source_sha256: sha256(yamlBytes) })}\n`;
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function sourceHash(text: string): string | undefined {
  try {
    const value = (JSON.parse(text) as { source_sha256?: unknown }).source_sha256;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

import { stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompiledPolicyPack, compilePolicyPack } from './compile-policy-pack.js';
import { isCompiledPackJson, parseCompiledPackJson } from './compiled-pack-json.js';
import { type VerifiedPolicySignature, verifyPolicyBytes } from './pack-signature.js';
import { parsePolicyPack } from './parse-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';
import type { TrustedPolicyKey } from './policy-signing-key.js';
import { readPackFile } from './read-pack-file.js';
import { loadShellParser } from './shell-parser.js';

/** Id of the default pack shipped in this package's `policies/` folder. */
export const BASELINE_PACK_ID = 'cavra-ai-agent-baseline';

/** The folder of packs shipped with the package (resolves from `src/` and `dist/` alike). */
export const BUILTIN_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

const PACK_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Options of loadPolicyPackFile. */
export interface LoadPolicyPackOptions {
  /**
   * Folders searched for a parent pack, as `<dir>/<id>.yaml|.yml|.json` or in upstream's layout
   * `<dir>/<id>/policy.yaml|.yml|.json`; default: the pack's own folder and the folder above it (where upstream's
   * layout keeps the sibling packs). Built-in packs come last.
   */
  readonly searchDirs?: readonly string[];
  /**
   * Require signatures: every pack file read, parents included, must carry a `<file>.sig.json` signature by one of
   * these keys, checked over the very bytes then parsed (PolicyPackError `unsigned`, `bad_signature`,
   * `untrusted_key`). The packs shipped in this package's `policies/` folder are part of the installed code and
   * need none.
   */
  readonly trustedKeys?: readonly TrustedPolicyKey[];
  /** Called with each signature verified (with `trustedKeys`). */
  readonly onVerified?: (signature: VerifiedPolicySignature) => void;
}

/**
 * Loads a YAML pack, a JSON pack (upstream's compiled policy JSON is one) or our compiled JSON form, resolving
 * `metadata.inherits` by id, and the shell parser (loadShellParser), so an engine can be built from what it returns.
 * Throws PolicyPackError (`io`, `invalid_pack`, `unknown_parent`, `loosens_parent`; with `trustedKeys` also
 * `unsigned`, `bad_signature`, `untrusted_key`).
 */
export async function loadPolicyPackFile(
  path: string,
  options: LoadPolicyPackOptions = {},
): Promise<CompiledPolicyPack> {
  const searchDirs = [...(options.searchDirs ?? [dirname(path), dirname(dirname(path))]), BUILTIN_POLICY_DIR];
  const [pack] = await Promise.all([
    loadWithParents(path, { ...options, searchDirs }, []),
    loadShellParser(),
  ]);
  return pack;
}

/** Loads the shipped default pack `cavra-ai-agent-baseline` (and the shell parser, as loadPolicyPackFile). */
export async function loadBaselinePack(): Promise<CompiledPolicyPack> {
  return loadPolicyPackFile(join(BUILTIN_POLICY_DIR, `${BASELINE_PACK_ID}.yaml`), { searchDirs: [] });
}

type LoadContext = LoadPolicyPackOptions & { readonly searchDirs: readonly string[] };

async function loadWithParents(path: string, context: LoadContext, chain: readonly string[]) {
  const bytes = await readPackFile(path);
  if (context.trustedKeys && !isBuiltin(path)) {
    const verified = await verifyPolicyBytes(path, bytes, context.trustedKeys);
    context.onVerified?.(verified);
  }
  const text = bytes.toString('utf8');
  const isJson = extname(path) === '.json';
  if (isJson && isCompiledPackJson(safeJson(text))) return parseCompiledPackJson(text, path);
  const document = parsePolicyPack(text, { format: isJson ? 'json' : 'yaml', source: path });
  const inherits = document.metadata.inherits;
  const parentIds = inherits === undefined ? [] : typeof inherits === 'string' ? [inherits] : inherits;
  const parents = new Map<string, CompiledPolicyPack>();
  for (const [index, parentId] of parentIds.entries()) {
    if (parentId === document.metadata.id || chain.includes(parentId)) {
      throw new PolicyPackError('unknown_parent', path, [
        {
          path: typeof inherits === 'string' ? '/metadata/inherits' : `/metadata/inherits/${index}`,
          message: `inheritance cycle: ${[...chain, document.metadata.id, parentId].join(' -> ')}`,
        },
      ]);
    }
    const parentPath = await findPack(parentId, context.searchDirs);
    if (parentPath)
      parents.set(parentId, await loadWithParents(parentPath, context, [...chain, document.metadata.id]));
  }
  return compilePolicyPack(document, { parents, source: path });
}

async function findPack(id: string, searchDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of searchDirs) {
    for (const candidate of PACK_EXTENSIONS.flatMap((extension) => [
      join(dir, `${id}${extension}`),
      join(dir, id, `policy${extension}`),
    ])) {
      const found = await stat(candidate).then(
        (stats) => stats.isFile(),
        () => false, // not in this folder: keep looking
      );
      if (found) return candidate;
    }
  }
  return undefined;
}

function isBuiltin(path: string): boolean {
  const inside = relative(BUILTIN_POLICY_DIR, resolve(path));
  return inside !== '' && !inside.startsWith('..') && !inside.includes('/');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

import { stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { type CompiledPolicyPack, compilePolicyPack } from './compile-policy-pack.js';
import { isCompiledPackJson, parseCompiledPackJson } from './compiled-pack-json.js';
import { isPathReference, parentReferences } from './pack-parents.js';
import { type VerifiedPolicySignature, verifyPolicyBytes } from './pack-signature.js';
import { parsePolicyPack } from './parse-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';
import type { TrustedPolicyKey } from './policy-signing-key.js';
import { precompiledShippedPack } from './precompiled-shipped-pack.js';
import { readPackFile } from './read-pack-file.js';
import { loadShellParser } from './shell-parser.js';
import { BASELINE_PACK_ID, BUILTIN_POLICY_DIR, DEVELOPER_PACK_ID, isShippedPackId } from './shipped-packs.js';

const PACK_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Options of loadPolicyPackFile. */
export interface LoadPolicyPackOptions {
  /**
   * Folders searched for a parent named by an id that is not a shipped pack's, as `<dir>/<id>.yaml|.yml|.json` or
   * in upstream's layout `<dir>/<id>/policy.yaml|.yml|.json`; default: the pack's own folder and the folder above
   * it (where upstream's layout keeps the sibling packs). A shipped id always names the shipped pack, and a file
   * named by a shipped id in these folders is refused (`shadows_shipped_pack`): a pack that means that file names
   * it by path (`inherits: ./cavra-ai-agent-baseline.yaml`).
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
  /**
   * Default true: the load also loads the shell parser (loadShellParser) and resolves once both are done, so that an
   * engine can be built at once. false: the shell parser is neither loaded nor waited for (an engine built with
   * `deferShellParser` decides while it loads). A shipped pack named by its id takes this option alone.
   */
  readonly awaitShellParser?: boolean;
}

/**
 * Loads a pack named the way users name one (the daemon's `policy_packs`, the CLI's pack arguments, the hooks'
 * packs): a shipped pack's id (SHIPPED_PACK_IDS, e.g. `cavra-developer`) loads that shipped pack, anything else is
 * a file path (loadPolicyPackFile; write `./cavra-developer` for a file of that name).
 */
export async function loadPolicyPack(
  reference: string,
  options: LoadPolicyPackOptions = {},
): Promise<CompiledPolicyPack> {
  return isShippedPackId(reference)
    ? loadShippedPack(reference, options.awaitShellParser)
    : loadPolicyPackFile(reference, options);
}

/**
 * Loads a YAML pack, a JSON pack (upstream's compiled policy JSON is one) or our compiled JSON form, resolving
 * `metadata.inherits` / `metadata.extends` (see LoadPolicyPackOptions.searchDirs), and the shell parser
 * (loadShellParser), so an engine can be built from what it returns. Throws PolicyPackError (`io`,
 * `invalid_pack`, `unknown_parent`, `loosens_parent`, `shadows_shipped_pack`; with `trustedKeys` also `unsigned`,
 * `bad_signature`, `untrusted_key`).
 */
export async function loadPolicyPackFile(
  path: string,
  options: LoadPolicyPackOptions = {},
): Promise<CompiledPolicyPack> {
  const searchDirs = options.searchDirs ?? [dirname(path), dirname(dirname(path))];
  const [pack] = await Promise.all([
    loadWithParents(path, { ...options, searchDirs }, []),
    options.awaitShellParser === false ? undefined : loadShellParser(),
  ]);
  return pack;
}

/** Loads the shipped default pack `cavra-ai-agent-baseline` (and the shell parser, as loadPolicyPackFile). */
export async function loadBaselinePack(): Promise<CompiledPolicyPack> {
  return loadShippedPack(BASELINE_PACK_ID);
}

/** Loads the shipped developer profile `cavra-developer` (and the shell parser, as loadPolicyPackFile). */
export async function loadDeveloperPack(): Promise<CompiledPolicyPack> {
  return loadShippedPack(DEVELOPER_PACK_ID);
}

function loadShippedPack(id: string, awaitShellParser?: boolean): Promise<CompiledPolicyPack> {
  return loadPolicyPackFile(shippedPackPath(id), {
    searchDirs: [],
    ...(awaitShellParser === undefined ? {} : { awaitShellParser }),
  });
}

function shippedPackPath(id: string): string {
  return join(BUILTIN_POLICY_DIR, `${id}.yaml`);
}

type LoadContext = LoadPolicyPackOptions & { readonly searchDirs: readonly string[] };

/**
 * Shipped packs with no parents, compiled once per process: they are installed code, and with no parents nothing of
 * the loading context (search folders, signature keys, which builtins skip) changes what they compile to. A fleet
 * daemon loads the baseline again, as its bundle's parent, at every activation.
 */
const compiledShipped = new Map<string, CompiledPolicyPack>();

async function loadWithParents(path: string, context: LoadContext, chain: readonly string[]) {
  const shipped = isBuiltin(path) ? compiledShipped.get(resolve(path)) : undefined;
  if (shipped) return shipped;
  const bytes = await readPackFile(path);
  const precompiled = isBuiltin(path) ? await precompiledShippedPack(path, bytes) : undefined;
  if (precompiled) {
    compiledShipped.set(resolve(path), precompiled);
    return precompiled;
  }
  if (context.trustedKeys && !isBuiltin(path)) {
    const verified = await verifyPolicyBytes(path, bytes, context.trustedKeys);
    context.onVerified?.(verified);
  }
  const text = bytes.toString('utf8');
  const isJson = extname(path) === '.json';
  if (isJson && isCompiledPackJson(safeJson(text))) return parseCompiledPackJson(text, path);
  const document = parsePolicyPack(text, { format: isJson ? 'json' : 'yaml', source: path });
  // A parent named by path is known by its id only once read: a pack met again down its own chain is a cycle.
  if (chain.includes(document.metadata.id)) {
    throw new PolicyPackError('unknown_parent', path, [
      {
        path: '/metadata/id',
        message: `inheritance cycle: ${[...chain, document.metadata.id].join(' -> ')}`,
      },
    ]);
  }
  const parents = new Map<string, CompiledPolicyPack>();
  const references = parentReferences(document, path);
  for (const { reference, pointer } of references) {
    if (reference === document.metadata.id || chain.includes(reference)) {
      throw new PolicyPackError('unknown_parent', path, [
        {
          path: pointer,
          message: `inheritance cycle: ${[...chain, document.metadata.id, reference].join(' -> ')}`,
        },
      ]);
    }
    const parentPath = await parentFile(reference, pointer, path, context.searchDirs);
    if (parentPath)
      parents.set(reference, await loadWithParents(parentPath, context, [...chain, document.metadata.id]));
  }
  const compiled = compilePolicyPack(document, { parents, source: path });
  if (isBuiltin(path) && references.length === 0) compiledShipped.set(resolve(path), compiled);
  return compiled;
}

/**
 * Where a parent is: a path relative to the pack's file; a shipped pack, unless a file named by its id in the
 * search folders would have been taken for it before (refused, so a planted file cannot pass for it unnoticed);
 * else the first file named by its id in the search folders.
 */
async function parentFile(
  reference: string,
  pointer: string,
  packPath: string,
  searchDirs: readonly string[],
): Promise<string | undefined> {
  if (isPathReference(reference)) return resolve(dirname(packPath), reference);
  const found = await findPack(reference, searchDirs);
  if (!isShippedPackId(reference)) return found;
  const shipped = shippedPackPath(reference);
  if (found && resolve(found) !== shipped) {
    throw new PolicyPackError('shadows_shipped_pack', packPath, [
      {
        path: pointer,
        message: `'${reference}' is a shipped pack, but ${found} is named like it: rename that file, or name it by path (./${relative(dirname(packPath), found)}) if it is the parent meant`,
      },
    ]);
  }
  return shipped;
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

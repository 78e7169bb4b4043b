import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getSystemErrorMap } from 'node:util';
import { type CompiledPolicyPack, compilePolicyPack } from './compile-policy-pack.js';
import { isCompiledPackJson, parseCompiledPackJson } from './compiled-pack-json.js';
import { MAX_POLICY_PACK_BYTES, parsePolicyPack } from './parse-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';

/** Id of the default pack shipped in this package's `policies/` folder. */
export const BASELINE_PACK_ID = 'cavra-ai-agent-baseline';

/** The folder of packs shipped with the package (resolves from `src/` and `dist/` alike). */
export const BUILTIN_POLICY_DIR = fileURLToPath(new URL('../policies/', import.meta.url));

const PACK_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Options of loadPolicyPackFile. */
export interface LoadPolicyPackOptions {
  /** Folders searched for a parent pack `<id>.yaml|.yml|.json`; default: the pack's own folder. Built-in packs come last. */
  readonly searchDirs?: readonly string[];
}

/**
 * Loads a YAML pack, a JSON pack or the compiled JSON form, resolving `metadata.inherits` by id.
 * Throws PolicyPackError (`io`, `invalid_pack`, `unknown_parent`, `loosens_parent`).
 */
export async function loadPolicyPackFile(
  path: string,
  options: LoadPolicyPackOptions = {},
): Promise<CompiledPolicyPack> {
  const searchDirs = [...(options.searchDirs ?? [dirname(path)]), BUILTIN_POLICY_DIR];
  return loadWithParents(path, searchDirs, []);
}

/** Loads the shipped default pack `cavra-ai-agent-baseline`. */
export async function loadBaselinePack(): Promise<CompiledPolicyPack> {
  return loadPolicyPackFile(join(BUILTIN_POLICY_DIR, `${BASELINE_PACK_ID}.yaml`), { searchDirs: [] });
}

async function loadWithParents(path: string, searchDirs: readonly string[], chain: readonly string[]) {
  const text = await readPackText(path);
  const isJson = extname(path) === '.json';
  if (isJson && isCompiledPackJson(safeJson(text))) return parseCompiledPackJson(text, path);
  const document = parsePolicyPack(text, { format: isJson ? 'json' : 'yaml', source: path });
  const parentId = document.metadata.inherits;
  const parents = new Map<string, CompiledPolicyPack>();
  if (parentId !== undefined) {
    if (parentId === document.metadata.id || chain.includes(parentId)) {
      throw new PolicyPackError('unknown_parent', path, [
        {
          path: '/metadata/inherits',
          message: `inheritance cycle: ${[...chain, document.metadata.id, parentId].join(' -> ')}`,
        },
      ]);
    }
    const parentPath = await findPack(parentId, searchDirs);
    if (parentPath)
      parents.set(parentId, await loadWithParents(parentPath, searchDirs, [...chain, document.metadata.id]));
  }
  return compilePolicyPack(document, { parents, source: path });
}

async function findPack(id: string, searchDirs: readonly string[]): Promise<string | undefined> {
  for (const dir of searchDirs) {
    for (const extension of PACK_EXTENSIONS) {
      const candidate = join(dir, `${id}${extension}`);
      const found = await stat(candidate).then(
        (stats) => stats.isFile(),
        () => false, // not in this folder: keep looking
      );
      if (found) return candidate;
    }
  }
  return undefined;
}

async function readPackText(path: string): Promise<string> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    const { code, errno } = error as NodeJS.ErrnoException;
    const words = errno !== undefined ? getSystemErrorMap().get(errno)?.[1] : undefined;
    throw new PolicyPackError('io', path, [
      { path: '', message: `cannot read: ${words ? `${words} (${code})` : (code ?? 'unreadable')}` },
    ]);
  }
  if (buffer.length > MAX_POLICY_PACK_BYTES) {
    throw new PolicyPackError('invalid_pack', path, [
      { path: '', message: `larger than ${MAX_POLICY_PACK_BYTES} bytes` },
    ]);
  }
  return buffer.toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

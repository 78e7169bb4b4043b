import { posix } from 'node:path';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import type { SandboxSection } from './policy-pack-document.js';

/**
 * The settings of `@anthropic-ai/sandbox-runtime` (its `SandboxRuntimeConfig`, the file `srt --settings` reads) that
 * a pack decides. Paths are absolute: the sandbox resolves relative ones against its own working directory.
 */
export interface SandboxSettings {
  readonly network: {
    readonly allowedDomains: readonly string[];
    readonly deniedDomains: readonly string[];
  };
  readonly filesystem: {
    readonly denyRead: readonly string[];
    readonly allowRead: readonly string[];
    readonly allowWrite: readonly string[];
    readonly denyWrite: readonly string[];
  };
}

/** What a pack's path rules say about one path on disk, for the sandbox. */
export interface SandboxPathRule {
  /** `filesystem.block_read` matches it: the sandbox hides it. */
  readonly denyRead: boolean;
  /** `filesystem.block_write` or `require_approval_write` matches it: the sandbox keeps it read-only. */
  readonly denyWrite: boolean;
}

// A name no pack lists: a directory whose every entry a pattern matches (`.ssh/**`, `.git/**`) is denied as a whole,
// which is what a path pattern over its contents means, and covers entries created after the sandbox starts.
const ANY_ENTRY = '.cavra-sandbox-any-entry';

/**
 * How the sandbox treats one existing path under the pack's filesystem rules, judged by the engine's own matchers
 * (so a path the engine would block or gate is the path the sandbox protects). A directory is also judged by an
 * arbitrary entry inside it. Inside the sandbox nobody can approve a write, so `require_approval_write` denies.
 */
export function sandboxPathRule(
  pack: Pick<CompiledPolicyPack, 'matchers'>,
  path: string,
  isDirectory: boolean,
): SandboxPathRule {
  const { blockRead, blockWrite, requireApprovalWrite } = pack.matchers;
  const candidates = isDirectory ? [path, posix.join(path, ANY_ENTRY)] : [path];
  return {
    denyRead: candidates.some((candidate) => blockRead.match(candidate) >= 0),
    denyWrite: candidates.some(
      (candidate) => blockWrite.match(candidate) >= 0 || requireApprovalWrite.match(candidate) >= 0,
    ),
  };
}

/** Input of sandboxSettings. */
export interface SandboxSettingsInput {
  readonly pack: Pick<CompiledPolicyPack, 'resolved'>;
  readonly sandbox: SandboxSection;
  /** Absolute: the one tree a confined command may write (minus the protected paths). */
  readonly workingTree: string;
  /** Absolute: the user's home, for `~/` in `sandbox.allow_write`. */
  readonly home: string;
  /** Existing paths the sandbox hides (see sandboxPathRule). */
  readonly denyRead: readonly string[];
  /** Existing paths the sandbox keeps read-only (see sandboxPathRule). */
  readonly denyWrite: readonly string[];
}

/**
 * The sandbox settings of a pack for one working tree: reads denied for the paths given (the pack's
 * `filesystem.block_read` matches on disk); writes only inside the working tree and `sandbox.allow_write`, minus the
 * paths given and the places in the working tree where `filesystem.block_write` protects a path that does not exist
 * yet (`**\/.git/**` → `<tree>/.git`); network only to `sandbox.allowed_domains` (none: no network).
 */
export function sandboxSettings(input: SandboxSettingsInput): SandboxSettings {
  const tree = posix.resolve(input.workingTree);
  const allowWrite = [tree, ...(input.sandbox.allow_write ?? []).map((path) => expandHome(path, input.home))];
  const placeholders = input.pack.resolved.filesystem.block_write.flatMap((pattern) => {
    const place = literalPlace(pattern);
    return place === undefined ? [] : [posix.join(tree, place)];
  });
  return {
    network: { allowedDomains: [...(input.sandbox.allowed_domains ?? [])], deniedDomains: [] },
    filesystem: {
      denyRead: unique(input.denyRead),
      allowRead: [],
      allowWrite: unique(allowWrite),
      // Only what lies in a writable place needs protecting; the rest is read-only already.
      denyWrite: unique([...input.denyWrite, ...placeholders]).filter((path) =>
        allowWrite.some((root) => isInside(path, root)),
      ),
    },
  };
}

/**
 * The place in the working tree a write pattern protects when it names one literally (`.env`, `**\/.git/**`,
 * `.github/workflows/**`): the sandbox can only protect a path that does not exist yet by mounting over that path,
 * so it needs the literal name; patterns with wildcards in the name (`**\/*.pem`) protect the files that exist.
 */
function literalPlace(pattern: string): string | undefined {
  const place = pattern.replace(/^(\*\*\/)+/, '').replace(/(\/\*\*)+$/, '');
  if (place === '' || place.startsWith('/') || place.startsWith('~') || /[*?[\]{}!()]/.test(place)) {
    return undefined;
  }
  const normalized = posix.normalize(place);
  return normalized.startsWith('..') ? undefined : normalized;
}

function expandHome(path: string, home: string): string {
  return posix.resolve(path.startsWith('~/') ? posix.join(home, path.slice(2)) : path);
}

function isInside(path: string, root: string): boolean {
  const relative = posix.relative(root, path);
  return relative === '' || (!relative.startsWith('..') && !posix.isAbsolute(relative));
}

function unique(paths: readonly string[]): string[] {
  return [...new Set(paths)].sort();
}

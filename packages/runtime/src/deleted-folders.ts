import picomatch from 'picomatch';

/**
 * Deleting a folder deletes what it holds: `rm -rf .github` deletes `.github/workflows/**` although the path
 * `.github` matches no pattern. A pattern holds a folder when its literal base (its leading segments without glob
 * syntax, after a leading `**\/`) runs through the deleted path: the path is, or is an ancestor of, that base
 * (`.github` for `.github/workflows/**`), or, for a pattern that may match at any depth (`**\/.git/**`), ends with a
 * first part of it (`vendor/.git`). A pattern without a literal base (`**\/*.pem`) names no folder: only the path
 * itself is matched against it, as for any write. Compared regardless of case, as the filesystem patterns are.
 */
export function firstHoldingPattern(
  paths: readonly string[],
  patterns: readonly string[],
): { readonly index: number; readonly path: string; readonly pattern: string } | undefined {
  if (paths.length === 0) return undefined;
  const bases = literalBases(patterns);
  for (const [index, pattern] of patterns.entries()) {
    const base = bases[index];
    if (base === undefined) continue;
    const path = paths.find((candidate) => holds(segments(candidate), base));
    if (path !== undefined) return { index, path, pattern };
  }
  return undefined;
}

interface LiteralBase {
  readonly segments: readonly string[];
  /** The pattern starts with `**\/`: its base may stand at any depth. */
  readonly anywhere: boolean;
}

// A compiled pack's pattern lists are read on every delete: each list is scanned once, and forgotten with its pack.
const BASES = new WeakMap<readonly string[], readonly (LiteralBase | undefined)[]>();

function literalBases(patterns: readonly string[]): readonly (LiteralBase | undefined)[] {
  let bases = BASES.get(patterns);
  if (bases === undefined) {
    bases = patterns.map(literalBase);
    BASES.set(patterns, bases);
  }
  return bases;
}

function literalBase(pattern: string): LiteralBase | undefined {
  const anywhere = /^(?:\*\*\/)+/.test(pattern);
  const base = picomatch.scan(pattern.replace(/^(?:\*\*\/)+/, '')).base;
  const parts = segments(base);
  return parts.length === 0 ? undefined : { segments: parts, anywhere };
}

function holds(path: readonly string[], base: LiteralBase): boolean {
  if (path.length === 0) return false;
  const starts = (from: number) => path.slice(from).every((segment, at) => segment === base.segments[at]);
  if (!base.anywhere) return path.length <= base.segments.length && starts(0);
  for (let from = 0; from < path.length; from += 1) {
    if (path.length - from <= base.segments.length && starts(from)) return true;
  }
  return false;
}

function segments(path: string): string[] {
  return path
    .toLowerCase()
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.');
}

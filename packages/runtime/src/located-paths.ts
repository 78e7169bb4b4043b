import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { normalizePath } from './path-pattern.js';
import { resolvedIn } from './working-directory.js';

/**
 * Paths a command names, normalised: each as written and as seen from every other folder the command may run in
 * (workingDirectories), so `cd .git/hooks && cp x pre-commit` names `.git/hooks/pre-commit`.
 */
export function locatedPaths(paths: readonly string[], directories: readonly string[] | undefined): string[] {
  const elsewhere = (directories ?? []).filter((directory) => directory !== '.');
  // Most commands run in one folder: each path as written, without a list made per path.
  if (elsewhere.length === 0) return paths.map(normalizePath);
  return paths
    .flatMap((path) => [path, ...elsewhere.map((directory) => resolvedIn(directory, path))])
    .map(normalizePath);
}

/** The lowest pattern index any path matches (it names the rule), with the last path that matched it. */
export function firstMatch(
  paths: readonly string[],
  matcher: CompiledPolicyPack['matchers']['blockRead'],
): { index: number; path: string } | undefined {
  let best: { index: number; path: string } | undefined;
  for (const path of paths) {
    const index = matcher.match(path);
    if (index >= 0 && (best === undefined || index <= best.index)) best = { index, path };
  }
  return best;
}

import { posix } from 'node:path';
import picomatch from 'picomatch';

/**
 * Path patterns are picomatch globs, dotfiles included (`**\/.env` matches `.env`, `a/.env` and `/home/u/.env`).
 * Targets are normalised first: backslashes become slashes, `.` and `..` segments are resolved, and leading `../`
 * segments are dropped, so a path cannot dodge a pattern by walking out of the workspace and back.
 */
export interface PathMatcher {
  /** Index of the first matching pattern, or -1. */
  match(path: string): number;
}

export function compilePathPatterns(patterns: readonly string[]): PathMatcher {
  const matchers = patterns.map((pattern) => picomatch(pattern, { dot: true }));
  return {
    match(path) {
      return matchers.findIndex((matches) => matches(path));
    },
  };
}

/** The form a path target is matched in (see the module comment). */
export function normalizePath(path: string): string {
  return posix.normalize(path.trim().replaceAll('\\', '/')).replace(/^(\.\.\/)+/, '');
}

import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SandboxPathRule } from '@cavra/runtime';
import { ConfinementError } from './confinement-error.js';

/** A folder to look through for the paths a pack protects, and how deep. */
export interface SearchRoot {
  readonly path: string;
  readonly depth: number;
}

/** The existing paths the sandbox must hide or keep read-only. */
export interface ProtectedPaths {
  readonly denyRead: readonly string[];
  readonly denyWrite: readonly string[];
}

/** Most entries looked at per call: past it the hook cannot say what it protects, and denies. */
export const MAX_SEARCHED_ENTRIES = 100_000;

/**
 * The paths under `roots` that a pack's filesystem rules protect, judged one by one by `rule` (the runtime's
 * sandboxPathRule over the pack, which uses the engine's matchers). The sandbox on Linux binds concrete paths only, so patterns are turned into the paths that exist
 * now. A protected folder is listed whole and not entered (a `node_modules` or `.git` costs one entry); symbolic
 * links are judged by their own name and not followed. A folder this user cannot read is skipped: the confined
 * command, run by the same user, cannot read it either. Throws ConfinementError `tree_too_large` past
 * MAX_SEARCHED_ENTRIES.
 */
export async function protectedPaths(
  rule: (path: string, isDirectory: boolean) => SandboxPathRule,
  roots: readonly SearchRoot[],
): Promise<ProtectedPaths> {
  const denyRead: string[] = [];
  const denyWrite: string[] = [];
  let seen = 0;
  const queue = roots.map((root) => ({ path: root.path, depthLeft: root.depth }));
  for (let next = queue.shift(); next; next = queue.shift()) {
    const entries = await listing(next.path);
    seen += entries.length;
    if (seen > MAX_SEARCHED_ENTRIES) {
      throw new ConfinementError(
        'tree_too_large',
        `more than ${MAX_SEARCHED_ENTRIES} entries under ${roots.map((root) => root.path).join(', ')} to look through for protected paths`,
      );
    }
    for (const entry of entries) {
      const path = join(next.path, entry.name);
      const isDirectory = entry.isDirectory();
      const { denyRead: hidden, denyWrite: readOnly } = rule(path, isDirectory);
      if (hidden) denyRead.push(path);
      if (readOnly) denyWrite.push(path);
      if (isDirectory && !hidden && !readOnly && next.depthLeft > 1) {
        queue.push({ path, depthLeft: next.depthLeft - 1 });
      }
    }
  }
  return { denyRead, denyWrite };
}

async function listing(path: string): Promise<Dirent[]> {
  try {
    return await readdir(path, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw error;
  }
}

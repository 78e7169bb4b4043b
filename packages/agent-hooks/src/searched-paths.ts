import { isAbsolute, relative, resolve } from 'node:path';
import type { AgentAction } from './agent-request.js';
import { NoDecisionError } from './no-decision-error.js';

/**
 * The action type of a search or listing of a directory outside the session's working directory. No pack rule
 * speaks for every file below a directory (a block on `**\/.ssh/**` does not match `/home`), so the hook does not
 * judge such a search as a read of the directory: it asks about this action type, which the runtime answers with
 * its default for an action type it has no rule for (`require_approval`, upstream's), and the user is asked.
 */
export const OUTSIDE_DIRECTORY_ACTION = 'read_directory';

/** A tool's path as the runtime should judge it: relative paths resolved against the session's `cwd`. */
export function sessionPath(path: string, cwd: string | undefined): string {
  if (isAbsolute(path)) return resolve(path);
  return cwd ? resolve(cwd, path) : path;
}

/**
 * The actions of a search (`Grep`, `Glob`, `LS`) of `directory`, optionally narrowed by a file glob: a read of the
 * directory; for each brace expansion of the glob, a read of it below the directory (`**\/.env` names the files it
 * reads, and a pattern on `.env` meets it) and of the shortest name it matches;
 * and, when the directory or the glob's fixed part lies outside the session's working directory (or there is no
 * working directory), OUTSIDE_DIRECTORY_ACTION of that directory.
 */
export async function searchActions(
  directory: string,
  glob: string | undefined,
  cwd: string | undefined,
): Promise<AgentAction[]> {
  const root = sessionPath(directory, cwd);
  const actions: AgentAction[] = [{ actionType: 'read_file', target: root }];
  const roots = [root];
  for (const each of glob === undefined || glob === '' ? [] : await expandedGlobs(glob)) {
    const named = sessionPath(each, root);
    actions.push({ actionType: 'read_file', target: named });
    // A pattern written for files (`.env`) does not meet `.env*` as written; it meets the shortest name the glob
    // matches, each lone `*` matching nothing (`**/.env*` → `**/.env`).
    const shortest = named.replace(/(?<!\*)\*(?!\*)/g, '');
    if (shortest !== named) actions.push({ actionType: 'read_file', target: shortest });
    roots.push(fixedPart(named));
  }
  for (const searched of new Set(roots)) {
    if (!cwd || !inside(searched, cwd))
      actions.push({ actionType: OUTSIDE_DIRECTORY_ACTION, target: searched });
  }
  return actions;
}

/** Most patterns a glob's braces may expand to; a glob that expands to more cannot be judged. */
const MAX_EXPANSIONS = 64;

/** A glob's brace expansions (`**\/{.env,id_rsa}` → `**\/.env`, `**\/id_rsa`), read as the glob libraries do. */
async function expandedGlobs(glob: string): Promise<string[]> {
  // Loaded on first use: most tool calls are no search, and the hook starts once per call.
  const { default: braces } = await import('braces');
  let expanded: string[];
  try {
    expanded = braces(glob, { expand: true, rangeLimit: MAX_EXPANSIONS });
  } catch (error) {
    throw new NoDecisionError('invalid_payload', `the glob ${JSON.stringify(glob)} cannot be expanded`, {
      cause: error,
    });
  }
  if (expanded.length > MAX_EXPANSIONS) {
    throw new NoDecisionError(
      'invalid_payload',
      `the glob ${JSON.stringify(glob)} expands to more than ${MAX_EXPANSIONS} patterns`,
    );
  }
  return expanded.length > 0 ? expanded : [glob];
}

/** The directories of a glob before its first segment with a wildcard (`/home/*\/.ssh` → `/home`). */
function fixedPart(glob: string): string {
  const segments = glob.split('/');
  const first = segments.findIndex((segment) => /[*?[\]{}]/.test(segment));
  return first < 0 ? glob : segments.slice(0, first).join('/') || '/';
}

function inside(path: string, directory: string): boolean {
  const rel = relative(resolve(directory), path);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel));
}

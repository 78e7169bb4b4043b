/**
 * How far a delete reaches (rm, rmdir, unlink, shred, `find -delete`, `git clean -f`, mv's sources), given the path
 * as seen from where the command line starts, which is the working tree's folder as far as the engine knows:
 * - `root`: the file system root or a home folder itself (`/`, `//`, `/.`, `~`, `~/`, `~user`). Blocked: nothing in a
 *   coding task deletes them, an approver clicking through would lose every file of the machine or user, and the
 *   baseline's `rm -rf /` and `rm -rf ~` patterns already say so for two spellings: this says it by rule, for every
 *   spelling and every command that deletes.
 * - `outside`: the tree's own folder or one above it (`.`, `..`), anything beside or above it (`../other-repo`), and
 *   any absolute or home path (`/tmp/x`, `~/x`). Approval, not block: the engine does not know where the tree is (a
 *   request names no working folder, so `/work/repo/dist` may be inside it and `rm -rf ..` in a scratch folder may be
 *   meant), and a command is judged in every folder an earlier `cd` may have led to (`cd build && rm -rf .` is also
 *   read in `.`), so a block would refuse cleanups a human should be able to approve.
 * A `rm *` on an allow list speaks for local deletes (`rm -rf dist`), never for these.
 */
export function deletedReach(
  path: string,
): { readonly reach: 'root' | 'outside'; readonly path: string; readonly what: string } | undefined {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  if (trimmed === '/' || /^~[^/]*$/.test(trimmed)) {
    return { reach: 'root', path: trimmed, what: trimmed === '/' ? 'the file system root' : 'a home folder' };
  }
  if (trimmed === '.' || trimmed === '')
    return { reach: 'outside', path: '.', what: 'the working tree itself' };
  if (trimmed === '..' || trimmed.startsWith('../')) {
    return { reach: 'outside', path: trimmed, what: 'a folder outside the working tree' };
  }
  if (/^[/~]/.test(trimmed)) {
    return { reach: 'outside', path: trimmed, what: 'a rooted path, which may be outside the working tree' };
  }
  return undefined;
}

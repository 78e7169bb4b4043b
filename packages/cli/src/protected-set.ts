import { PROTECTED_PATHS } from '@cavra/runtime';

// The lists the runtime appends its protected set to (PROTECTED_PATHS), with the patterns it appends.
const PROTECTED: Readonly<Record<string, readonly string[]>> = {
  'filesystem.block_read': PROTECTED_PATHS.read,
  'filesystem.require_approval_write': PROTECTED_PATHS.write,
};

/**
 * Whether a pattern of a resolved pack's list is one of the runtime's protected set, which every pack gets after its
 * own lists: the runtime's, not the pack author's, so lint does not judge it and explain folds it when it does not
 * apply.
 */
export function isProtectedPattern(list: string, pattern: string): boolean {
  return PROTECTED[list]?.includes(pattern) ?? false;
}

import type { PolicyPackDocument } from './policy-pack-document.js';
import { PolicyPackError } from './policy-pack-error.js';

/**
 * How a pack builds on its parents:
 * - `overlay`: `metadata.inherits: <one parent>`, which it may only tighten;
 * - `extends`: `metadata.extends: <one parent>`, which it tightens and may also loosen by adding allows;
 * - `upstream`: `metadata.inherits: [<parents>]`, upstream's form, where every list of every parent is merged.
 */
export type InheritanceForm = 'none' | 'overlay' | 'extends' | 'upstream';

/** A parent as the pack names it: a pack id, or a path (`./…`, `../…`) relative to the pack's file. */
export interface ParentReference {
  readonly reference: string;
  /** Where the pack names it, e.g. `/metadata/inherits/1`. */
  readonly pointer: string;
}

export function inheritanceForm(document: PolicyPackDocument): InheritanceForm {
  const { inherits, extends: extended } = document.metadata;
  if (extended !== undefined) return 'extends';
  if (inherits === undefined) return 'none';
  return typeof inherits === 'string' ? 'overlay' : 'upstream';
}

/** The parents a pack names, in order. Throws PolicyPackError `invalid_pack` when it names both forms. */
export function parentReferences(document: PolicyPackDocument, source: string): ParentReference[] {
  const { inherits, extends: extended } = document.metadata;
  if (inherits !== undefined && extended !== undefined) {
    throw new PolicyPackError('invalid_pack', source, [
      {
        path: '/metadata',
        message:
          'names both inherits and extends: extends a parent to add allows to it, inherits one to only tighten it',
      },
    ]);
  }
  if (extended !== undefined) return [{ reference: extended, pointer: '/metadata/extends' }];
  if (inherits === undefined) return [];
  if (typeof inherits === 'string') return [{ reference: inherits, pointer: '/metadata/inherits' }];
  return inherits.map((reference, index) => ({ reference, pointer: `/metadata/inherits/${index}` }));
}

/** Whether a parent is named by path rather than by id. */
export function isPathReference(reference: string): boolean {
  return reference.startsWith('./') || reference.startsWith('../');
}

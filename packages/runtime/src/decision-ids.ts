import { randomFillSync } from 'node:crypto';

/** What an id is for. */
export type IdKind = 'decision' | 'correlation';

/** A fresh id in upstream's form: `dec_` or `corr_` and 12 random lower-case hex digits. */
export function newId(kind: IdKind): string {
  // Random bytes drawn in bulk: one call into the CSPRNG per 1 024 ids instead of one per id.
  if (idPoolOffset === ID_POOL.length) {
    randomFillSync(ID_POOL);
    idPoolOffset = 0;
  }
  const hex = ID_POOL.toString('hex', idPoolOffset, idPoolOffset + 6);
  idPoolOffset += 6;
  return `${kind === 'decision' ? 'dec' : 'corr'}_${hex}`;
}

const ID_POOL = Buffer.alloc(6 * 1024);
let idPoolOffset = ID_POOL.length;

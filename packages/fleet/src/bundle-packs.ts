import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type CompiledPolicyPack, loadPolicyPackFile, PolicyPackError } from '@cavra/runtime';
import type { BundlePack } from './bundle-document.js';
import { syncFolder } from './durable-file.js';
import { FleetError } from './fleet-error.js';

/** A pack staged on disk, and what loading it from there gave. */
export interface StagedPack {
  readonly file: string;
  readonly compiled: CompiledPolicyPack;
}

/**
 * Writes a bundle's packs into `dir` (each file fsync'ed, then the folder) and loads every one with @cavra/runtime's
 * loader, parents resolved from `dir` only: exactly what a daemon activating the bundle enforces, so it is handed
 * these compiled packs rather than loading the files again. FleetError `missing_pack` (a pack inherits a pack the
 * bundle does not hold), `invalid_pack`.
 */
export async function stageBundlePacks(packs: readonly BundlePack[], dir: string): Promise<StagedPack[]> {
  await mkdir(dir, { recursive: true });
  const files = packs.map((pack) => join(dir, pack.name));
  // Written in place, not through a renamed temporary file: nothing reads this revision's folder before the daemon
  // records it as active, which it does only once this has returned (a torn file of a crash is written again when
  // the revision is staged again). Then the folder and its parent, for the files' and the folder's own entries.
  await Promise.all(packs.map((pack, index) => writeSynced(files[index] as string, pack.text)));
  await Promise.all([syncFolder(dir), syncFolder(dirname(dir))]);
  const staged: StagedPack[] = [];
  for (const file of files) {
    try {
      staged.push({ file, compiled: await loadPolicyPackFile(file, { searchDirs: [dir] }) });
    } catch (error) {
      if (!(error instanceof PolicyPackError)) throw error;
      const code = error.code === 'unknown_parent' ? 'missing_pack' : 'invalid_pack';
      throw new FleetError(code, error.message.replaceAll(`${dir}/`, ''), { cause: error });
    }
  }
  return staged;
}

// O_NOFOLLOW: a link left in the folder is refused, not written through.
const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, WRITE_FLAGS, 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

import { constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledPolicyPack } from '@cavra/runtime';
import { replaceFile, syncDirectory } from './durable-write.js';
import { checkPrivateDirectory, openOwnFile } from './own-file.js';

/**
 * What the daemon reads of `@cavra/fleet`'s verified bundle (fetchVerifiedBundle): TUF verified its metadata and
 * bytes, and its packs are already staged on disk (each file and the folder fsync'ed) and loaded once.
 */
export interface VerifiedBundle {
  readonly channel: string;
  readonly revision: number;
  /** SHA-256 (hex) of the bundle file: the manifest digest. */
  readonly digest: string;
  /** The folder the packs were staged in, and the files to enforce. */
  readonly packDir: string;
  readonly packFiles: readonly string[];
  /** `packFiles` as loaded when they were staged (one per file): enforced without loading the files again. */
  readonly compiledPacks: readonly CompiledPolicyPack[];
  /** The TUF key ids that signed each role's verified metadata. */
  readonly keyIds: Readonly<Record<string, readonly string[]>>;
  /** When the verified timestamp metadata expires: past it the bundle is `stale`. */
  readonly expires: string;
}

/** The bundle in force, kept in `<state_dir>/active.json`: a restart decides with it, whatever NATS says. */
export interface ActiveBundle {
  readonly channel: string;
  readonly revision: number;
  readonly manifest_digest: string;
  readonly key_ids: Readonly<Record<string, readonly string[]>>;
  readonly activated_at: string;
  /** The expiry of the newest timestamp metadata that vouched for this revision; a poll may extend it. */
  readonly expires: string;
  /** The staged folder and the pack files enforced. */
  readonly dir: string;
  readonly files: readonly string[];
}

const WHAT = 'fleet active bundle file';

export function activePath(stateDir: string): string {
  return join(stateDir, 'active.json');
}

/** The state folder: created owner-only, refused when others could write it (they could swap the staged packs). */
export async function prepareStateDir(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await checkPrivateDirectory(activePath(stateDir), WHAT);
}

/** Replaces `active.json` atomically and syncs its folder. */
export async function writeActive(stateDir: string, active: ActiveBundle): Promise<void> {
  await replaceFile(activePath(stateDir), `${JSON.stringify(active)}\n`);
  await syncDirectory(stateDir);
}

/** The active bundle's record, or undefined when none was ever activated. An unreadable record is an error. */
export async function readActive(stateDir: string): Promise<ActiveBundle | undefined> {
  const path = activePath(stateDir);
  let text: string;
  try {
    await checkPrivateDirectory(path, WHAT);
    const handle = await openOwnFile(path, constants.O_RDONLY, WHAT, { private: true });
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const active = JSON.parse(text) as ActiveBundle;
  if (
    !Number.isInteger(active.revision) ||
    !Array.isArray(active.files) ||
    typeof active.channel !== 'string'
  )
    throw new Error(`${WHAT} ${path} is not an active bundle record`);
  return active;
}

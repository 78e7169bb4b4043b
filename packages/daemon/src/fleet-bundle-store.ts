import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile, syncDirectory } from './durable-write.js';
import { checkPrivateDirectory, openOwnFile } from './own-file.js';

/** A bundle as `@cavra/fleet` verified it: the TUF target's content, its digest, and the keys that signed for it. */
export interface VerifiedBundle {
  readonly bundle: BundleManifest;
  /** SHA-256 (hex) of the target's bytes as fetched. */
  readonly digest: string;
  /** The TUF key ids whose signatures were verified. */
  readonly keyIds: readonly string[];
  /** When the timestamp metadata that vouched for it expires (RFC 3339). */
  readonly expires: string;
}

/** The `cavra.fleet.bundle.v1` target: every pack file of a channel. */
export interface BundleManifest {
  readonly schema: string;
  readonly channel: string;
  readonly revision: number;
  readonly created_at: string;
  readonly packs: readonly { readonly name: string; readonly sha256: string; readonly text: string }[];
  readonly default_pack?: string;
}

/** The bundle in force, kept in `<state_dir>/active.json`: a restart decides with it, whatever NATS says. */
export interface ActiveBundle {
  readonly channel: string;
  readonly revision: number;
  readonly manifest_digest: string;
  readonly key_ids: readonly string[];
  readonly activated_at: string;
  /** The expiry of the newest timestamp metadata that vouched for this revision; a poll may extend it. */
  readonly expires: string;
  /** The staged folder and its pack files, in the manifest's order. */
  readonly dir: string;
  readonly files: readonly string[];
  readonly default_pack?: string;
}

/** Why a bundle was not staged: a stable code (recorded in `bundle_refused`) and the reason. */
export class BundleRefusal extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BundleRefusal';
    this.code = code;
  }
}

// A pack's name becomes a file name in the staged folder: one plain component, never `.`, `..` or a path.
const PACK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const WHAT = 'fleet active bundle file';

export function activePath(stateDir: string): string {
  return join(stateDir, 'active.json');
}

/**
 * Writes the bundle's pack files to `<state_dir>/bundles/<revision>/`, each synced, then the folder: once this
 * resolves a power cut cannot leave the active bundle half on disk. A folder left by an earlier attempt is replaced.
 */
export async function stageBundle(
  stateDir: string,
  verified: VerifiedBundle,
): Promise<{ dir: string; files: string[] }> {
  const { bundle } = verified;
  const seen = new Set<string>();
  for (const pack of bundle.packs) {
    if (!PACK_NAME.test(pack.name) || seen.has(pack.name))
      throw new BundleRefusal(
        'invalid_manifest',
        `the manifest names the pack file ${JSON.stringify(pack.name.slice(0, 128))} twice or not as a plain file name`,
      );
    seen.add(pack.name);
    if (createHash('sha256').update(pack.text, 'utf8').digest('hex') !== pack.sha256)
      throw new BundleRefusal(
        'digest_mismatch',
        `pack ${pack.name}: its text does not have the manifest's sha256`,
      );
  }
  const bundles = join(stateDir, 'bundles');
  const dir = join(bundles, String(bundle.revision));
  await prepareStateDir(stateDir);
  await mkdir(bundles, { recursive: true, mode: 0o700 });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { mode: 0o700 });
  const files: string[] = [];
  for (const pack of bundle.packs) {
    const file = join(dir, pack.name);
    const handle = await openOwnFile(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      'staged pack file',
      {
        private: true,
      },
    );
    try {
      await handle.writeFile(pack.text);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    files.push(file);
  }
  await syncDirectory(dir);
  await syncDirectory(bundles);
  return { dir, files };
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

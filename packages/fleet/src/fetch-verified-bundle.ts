import { copyFile, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledPolicyPack } from '@cavra/runtime';
import { Metadata, MetadataKind } from '@tufjs/models';
import { Updater } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { type BundlePack, parseBundle } from './bundle-document.js';
import { stageBundlePacks } from './bundle-packs.js';
import type { BundleHead, BundleStoreConnection } from './bundle-store.js';
import { bundleTargetRevision, metadataObjectName, targetObjectName } from './bundle-store-names.js';
import { readRootFile, rootChannel } from './channel-keys.js';
import { checkChannelName } from './channel-name.js';
import { syncFolder } from './durable-file.js';
import { FleetError } from './fleet-error.js';
import { toFleetError } from './nats-failure.js';
import { BUNDLE_STORE_URL, ObjectStoreFetcher } from './object-store-fetcher.js';
import { objectsFirst } from './read-ahead.js';
import { TUF_ROLES, type TufRole } from './tuf-keys.js';
import { tufRefusal } from './tuf-refusals.js';

/** Options of fetchVerifiedBundle. */
export interface FetchVerifiedBundleOptions {
  readonly fleet: BundleStoreConnection;
  readonly channel: string;
  /** The channel's root given to this daemon (its trust anchor; copied into `metadataDir` on first use only). */
  readonly trustedRootFile: string;
  /** The daemon's own folder of trusted TUF metadata (kept across runs: it is what makes rollback detectable). */
  readonly metadataDir: string;
  /** Where bundle files are kept and each revision's packs are staged (`<targetDir>/bundle-<revision>/`). */
  readonly targetDir: string;
  /** The bundle the daemon enforces: a revision below it, or equal with another digest, is `older_revision`. */
  readonly active?: { readonly revision: number; readonly digest: string };
  /**
   * Abandons the fetch: it rejects with the signal's reason at its next read of the store (or before staging). The
   * metadata folder is written only by this call's own steps, each file whole, so once this call has settled
   * nothing more is written into it: a caller that waits for it never has two fetches writing the folder.
   */
  readonly signal?: AbortSignal;
  /**
   * The head that woke the caller, if it has one: what its `reads` hint names is read at once with the timestamp
   * (see objectsFirst). Trusted for nothing.
   */
  readonly head?: BundleHead;
}

/** A bundle whose TUF metadata and bytes verified, with its packs staged and loaded once. */
export interface VerifiedBundle {
  readonly channel: string;
  readonly revision: number;
  /** The TUF target path, `bundle-<revision>.json`. */
  readonly target: string;
  /** SHA-256 (hex) of the bundle file: the manifest digest. */
  readonly digest: string;
  readonly createdAt: string;
  readonly packs: readonly BundlePack[];
  readonly defaultPack?: string;
  /** The folder the packs were staged in (each file and the folder fsync'ed). */
  readonly packDir: string;
  /** The staged files to enforce: `default_pack`'s when the bundle names one, else every pack's. */
  readonly packFiles: readonly string[];
  /**
   * `packFiles` as loaded from the staged folder (parents from the bundle only): what to enforce, without loading the
   * files again. Empty when `unchanged`.
   */
  readonly compiledPacks: readonly CompiledPolicyPack[];
  /**
   * The newest bundle is the active one given in the options (same revision and digest): its packs were not staged
   * again (the active bundle's are in place); only its newer expiry may be news.
   */
  readonly unchanged: boolean;
  /** Milliseconds spent in TUF's metadata refresh, the bundle file's download, and staging and loading its packs. */
  readonly timings: { readonly refreshMs: number; readonly downloadMs: number; readonly stageMs: number };
  /** Key ids that signed each role's verified metadata (root: of the trusted root now in `metadataDir`). */
  readonly keyIds: Readonly<Record<TufRole, readonly string[]>>;
  readonly rootVersion: number;
  /** When the verified timestamp expires: past it, the daemon's bundle is `stale`. */
  readonly expires: string;
}

/**
 * Fetches a channel's newest bundle through tuf-js's Updater over the NATS Object Store: root rotation, then
 * timestamp, snapshot and targets, every check TUF's (signatures and thresholds, versions never going back, expiry,
 * lengths and hashes); the metadata folder is fsync'ed after refresh. The bundle is the highest revision the
 * verified targets name (the KV head is only a wake-up signal). Its packs are staged and loaded (`compiledPacks`),
 * unless it is `active` itself (`unchanged`). Refusals are FleetError: `invalid_channel`,
 * `unknown_channel` (nothing published), `wrong_channel` (the trusted root is another channel's, or the bundle
 * names another), `expired`, `rollback`, `bad_signature`, `tampered`, `verification_failed`, `no_bundle`,
 * `older_revision`, `invalid_bundle`, `missing_pack`, `invalid_pack`, `keys_invalid` (the trusted root file is
 * unreadable), and NATS failures (`nats_error`, `permission_denied`).
 */
export async function fetchVerifiedBundle(options: FetchVerifiedBundleOptions): Promise<VerifiedBundle> {
  const channel = checkChannelName(options.channel);
  const rootVersion = await trustRoot(options, channel);
  const started = performance.now();
  const fetcher = new ObjectStoreFetcher(options.fleet, options.signal);
  // Asked for before the client exists: reading its trusted root and local metadata is done while these arrive.
  fetcher.readAhead(objectsFirst(channel, rootVersion, options.head));
  await mkdir(options.targetDir, { recursive: true });
  const updater = new Updater({
    metadataDir: options.metadataDir,
    metadataBaseUrl: BUNDLE_STORE_URL + metadataObjectName(channel, ''),
    targetDir: options.targetDir,
    targetBaseUrl: BUNDLE_STORE_URL + targetObjectName(channel, ''),
    fetcher,
  });
  try {
    await updater.refresh();
  } catch (error) {
    await syncMetadata(options.metadataDir);
    throw refusal(error, fetcher, channel);
  }
  const refreshed = performance.now();
  // tuf-js's persistMetadata writes without fsync: what it wrote must survive a crash before the daemon acts on it.
  // The fsyncs (each ~10 ms on a VM's disk) run while the bundle is downloaded and staged; this call returns only
  // once they are done, and waits for them before it throws too.
  const synced = syncMetadata(options.metadataDir);
  let bundle: VerifiedBundle;
  try {
    bundle = await downloadAndStage(options, channel, updater, fetcher, { started, refreshed });
  } catch (error) {
    await synced.catch(() => undefined);
    throw error;
  }
  await synced;
  return bundle;
}

/** After the refresh: the newest bundle the verified targets name, downloaded, checked and staged. */
async function downloadAndStage(
  options: FetchVerifiedBundleOptions,
  channel: string,
  updater: Updater,
  fetcher: ObjectStoreFetcher,
  times: { readonly started: number; readonly refreshed: number },
): Promise<VerifiedBundle> {
  const { started, refreshed } = times;
  const verified = await verifiedMetadata(options.metadataDir);
  const newest = Object.keys(verified.targets.signed.targets)
    .map((path) => ({ path, revision: bundleTargetRevision(path) }))
    .filter((entry): entry is { path: string; revision: number } => entry.revision !== undefined)
    .sort((a, b) => b.revision - a.revision)[0];
  if (!newest) throw new FleetError('no_bundle', `channel ${channel}'s signed targets name no bundle`);
  const info = await updater.getTargetInfo(newest.path);
  const digest = info?.hashes.sha256;
  if (!info || !digest)
    throw new FleetError('no_bundle', `channel ${channel}'s ${newest.path} has no sha256`);
  const active = options.active;
  if (
    active &&
    (newest.revision < active.revision || (newest.revision === active.revision && digest !== active.digest))
  ) {
    throw new FleetError(
      'older_revision',
      `channel ${channel}'s signed revision ${newest.revision} (sha256 ${digest}) is not newer than the active revision ${active.revision} (sha256 ${active.digest})`,
    );
  }
  let file: string;
  try {
    file = (await updater.findCachedTarget(info)) ?? (await updater.downloadTarget(info));
  } catch (error) {
    throw refusal(error, fetcher, channel);
  }
  options.signal?.throwIfAborted();
  const downloaded = performance.now();
  const bundle = parseBundle(await readFile(file), { channel, revision: newest.revision });
  const packDir = join(options.targetDir, `bundle-${newest.revision}`);
  const unchanged = active?.revision === newest.revision && active.digest === digest;
  const staged = unchanged ? [] : await stageBundlePacks(bundle.packs, packDir);
  const packFiles =
    bundle.default_pack === undefined
      ? bundle.packs.map((pack) => join(packDir, pack.name))
      : [join(packDir, bundle.default_pack)];
  return {
    channel,
    revision: bundle.revision,
    target: newest.path,
    digest,
    createdAt: bundle.created_at,
    packs: bundle.packs,
    ...(bundle.default_pack === undefined ? {} : { defaultPack: bundle.default_pack }),
    packDir,
    packFiles,
    compiledPacks: staged.filter((pack) => packFiles.includes(pack.file)).map((pack) => pack.compiled),
    unchanged,
    timings: {
      refreshMs: Math.round(refreshed - started),
      downloadMs: Math.round(downloaded - refreshed),
      stageMs: Math.round(performance.now() - downloaded),
    },
    keyIds: Object.fromEntries(
      TUF_ROLES.map((role) => [role, Object.keys(verified[role].signatures)]),
    ) as Record<TufRole, string[]>,
    rootVersion: verified.root.signed.version,
    expires: verified.timestamp.signed.expires,
  };
}

// The given root is the trust anchor only until the daemon holds one: after that, the metadata folder's root (which
// TUF moved forward through signed rotations) is the trusted one, and the file given at install is not read again.
// Returns the trusted root's version.
async function trustRoot(options: FetchVerifiedBundleOptions, channel: string): Promise<number> {
  await mkdir(options.metadataDir, { recursive: true });
  const trusted = join(options.metadataDir, 'root.json');
  const entries = await readdir(options.metadataDir);
  if (!entries.includes('root.json')) {
    await copyFile(options.trustedRootFile, trusted).catch((error: Error) => {
      throw new FleetError(
        'keys_invalid',
        `cannot read the trusted root ${options.trustedRootFile}: ${error.message}`,
      );
    });
    await syncMetadata(options.metadataDir);
  }
  const root = await readRootFile(trusted);
  const named = rootChannel(root);
  if (named !== channel) {
    throw new FleetError('wrong_channel', `the trusted root is for channel ${named}, not ${channel}`);
  }
  return root.signed.version;
}

async function verifiedMetadata(metadataDir: string) {
  const read = async (role: TufRole) => JSON.parse(await readFile(join(metadataDir, `${role}.json`), 'utf8'));
  return {
    root: Metadata.fromJSON(MetadataKind.Root, await read('root')),
    targets: Metadata.fromJSON(MetadataKind.Targets, await read('targets')),
    snapshot: Metadata.fromJSON(MetadataKind.Snapshot, await read('snapshot')),
    timestamp: Metadata.fromJSON(MetadataKind.Timestamp, await read('timestamp')),
  };
}

// The files are fsync'ed together (the file system can commit them at once), then the folder.
async function syncMetadata(metadataDir: string): Promise<void> {
  const files = (await readdir(metadataDir)).filter((entry) => entry.endsWith('.json'));
  await Promise.all(
    files.map(async (entry) => {
      const handle = await open(join(metadataDir, entry), 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }),
  );
  await syncFolder(metadataDir);
}

function refusal(error: unknown, fetcher: ObjectStoreFetcher, channel: string): FleetError {
  if (fetcher.transportError) {
    return toFleetError(fetcher.transportError);
  }
  // No timestamp at all: tuf-js 4.1 lets the fetcher's 404 for timestamp.json through unwrapped.
  if (
    error instanceof DownloadHTTPError &&
    error.statusCode === 404 &&
    error.message.endsWith('/timestamp.json')
  ) {
    return new FleetError(
      'unknown_channel',
      `channel ${channel} has no signed metadata in the bundle store`,
      {
        cause: error,
      },
    );
  }
  return tufRefusal(error);
}

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Metadata, MetaFile, Snapshot, TargetFile, Targets, Timestamp } from '@tufjs/models';
import {
  type BundlePack,
  bundleBytes,
  FLEET_BUNDLE_SCHEMA,
  type FleetBundle,
  sha256Hex,
} from './bundle-document.js';
import { stageBundlePacks } from './bundle-packs.js';
import {
  type BundleHead,
  type BundleStoreConnection,
  putStoreObject,
  readBundleHead,
} from './bundle-store.js';
import { bundleTargetPath, metadataObjectName, targetObjectName } from './bundle-store-names.js';
import { type ChannelKeys, readChannelKeys } from './channel-keys.js';
import { checkChannelName } from './channel-name.js';
import { rootJson } from './channel-trust.js';
import { FleetError } from './fleet-error.js';
import { readPublishedChannel } from './published-channel.js';
import { DEFAULT_EXPIRY_DAYS, type TufExpiryDays, tufExpiry } from './tuf-expiry.js';
import { signMetadata, TUF_ROLES, type TufRole } from './tuf-keys.js';

/** Options of publishBundle. */
export interface PublishBundleOptions {
  readonly fleet: BundleStoreConnection;
  readonly channel: string;
  /** Every pack file of the channel (YAML or JSON); their file names are their names in the bundle. */
  readonly packFiles: readonly string[];
  /** The channel's keys folder made by initChannelTrust. */
  readonly keysDir: string;
  /** The revision to publish (default: the channel's newest + 1); must exceed the newest. */
  readonly revision?: number;
  /** The file name of the pack daemons enforce (default: every pack of the bundle). */
  readonly defaultPack?: string;
  readonly expiryDays?: Partial<Omit<TufExpiryDays, 'root'>>;
  readonly now?: Date;
}

/** What publishBundle published. */
export interface PublishedBundle {
  readonly channel: string;
  readonly revision: number;
  /** The TUF target path, `bundle-<revision>.json`. */
  readonly target: string;
  /** SHA-256 (hex) of the bundle file: the manifest digest daemons record. */
  readonly digest: string;
  readonly packs: readonly string[];
  /** When the new timestamp expires (daemons that cannot refresh by then report `stale`). */
  readonly expires: string;
  readonly keyIds: Readonly<Record<TufRole, string>>;
}

/**
 * Validates every pack with @cavra/runtime's loader (parents resolved from the given packs only) BEFORE anything is
 * published, then publishes the channel's next bundle: the bundle target, then targets, snapshot and timestamp
 * metadata (consistent snapshots: every file but timestamp.json is new and immutable, so a reader never sees a
 * half-published set); the KV head is moved by compare-and-set before (so concurrent publishes exclude each other)
 * and written again after (to wake the daemons). FleetError `invalid_channel`, `no_packs`,
 * `invalid_pack`, `missing_pack`, `keys_invalid`, `wrong_channel` (the keys are another channel's),
 * `older_revision` (the revision does not exceed the newest, or another publisher won the race), and NATS
 * failures (`nats_error`, `permission_denied`).
 */
export async function publishBundle(options: PublishBundleOptions): Promise<PublishedBundle> {
  const channel = checkChannelName(options.channel);
  const now = options.now ?? new Date();
  const packs = await readPacks(options.packFiles);
  if (options.defaultPack !== undefined && !packs.some((pack) => pack.name === options.defaultPack)) {
    throw new FleetError(
      'missing_pack',
      `the default pack ${options.defaultPack} is not one of the packs given`,
    );
  }
  await validatePacks(packs);
  const keys = await readChannelKeys(options.keysDir);
  if (keys.channel !== channel) {
    throw new FleetError(
      'wrong_channel',
      `the keys in ${options.keysDir} are for channel ${keys.channel}, not ${channel}`,
    );
  }
  const store = options.fleet;
  const published = await readPublishedChannel(store, channel);
  const head = await readBundleHead(store, channel);
  const newest = Math.max(published.revision, head?.head.revision ?? 0);
  const revision = options.revision ?? newest + 1;
  if (!Number.isSafeInteger(revision) || revision <= newest) {
    throw new FleetError(
      'older_revision',
      `revision ${revision} does not exceed channel ${channel}'s newest, ${newest}`,
    );
  }
  const bundle: FleetBundle = {
    schema: FLEET_BUNDLE_SCHEMA,
    channel,
    revision,
    created_at: now.toISOString(),
    packs,
    ...(options.defaultPack === undefined ? {} : { default_pack: options.defaultPack }),
  };
  const bytes = bundleBytes(bundle);
  const digest = sha256Hex(bytes);
  const target = bundleTargetPath(revision);
  const expiry = { ...DEFAULT_EXPIRY_DAYS, ...options.expiryDays };
  // The head is moved first, compare-and-set against the head read above: of two concurrent publishes only one gets
  // past here, so the loser never overwrites the winner's `<N>.targets.json`. It says `reserved`: nothing newer is
  // signed yet, so a daemon need not wake for it; the second write below wakes it once everything is stored.
  const reserved = await writeHead(store, channel, { revision, target, reserved: true }, head?.kvRevision);
  await putStoreObject(
    store,
    metadataObjectName(channel, `${keys.root.signed.version}.root.json`),
    rootJson(keys.root),
    {
      onlyIfMissing: true,
    },
  );
  await putStoreObject(store, targetObjectName(channel, `${digest}.${target}`), bytes);
  const top = await putTopMetadata(store, channel, keys, {
    versions: published,
    target: new TargetFile({
      path: target,
      length: bytes.length,
      hashes: { sha256: digest },
      unrecognizedFields: { custom: { cavra: { channel, revision } } },
    }),
    expires: (role) => tufExpiry(now, expiry[role]),
  });
  const reads = { snapshot: top.snapshot, targets: top.targets, digest };
  await writeHead(store, channel, { revision, target, reads }, reserved);
  return {
    channel,
    revision,
    target,
    digest,
    packs: packs.map((pack) => pack.name),
    expires: top.expires,
    keyIds: Object.fromEntries(TUF_ROLES.map((role) => [role, keys.keys[role].key.keyID])) as Record<
      TufRole,
      string
    >,
  };
}

/**
 * Signs and stores the next targets (naming only `target`), snapshot and timestamp, in that order; returns the
 * timestamp's expiry and the versions of the snapshot and targets stored. Also used by root rotation to re-sign the
 * current bundle with new keys.
 */
export async function putTopMetadata(
  store: BundleStoreConnection,
  channel: string,
  keys: ChannelKeys,
  options: {
    readonly versions: {
      readonly targetsVersion: number;
      readonly snapshotVersion: number;
      readonly timestampVersion: number;
    };
    readonly target: TargetFile;
    readonly expires: (role: 'targets' | 'snapshot' | 'timestamp') => string;
  },
): Promise<{ readonly expires: string; readonly snapshot: number; readonly targets: number }> {
  const targets = new Metadata(
    new Targets({
      version: options.versions.targetsVersion + 1,
      specVersion: '1.0.31',
      expires: options.expires('targets'),
      targets: { [options.target.path]: options.target },
    }),
  );
  signMetadata(targets, [keys.keys.targets]);
  const targetsBytes = jsonBytes(targets);
  await putStoreObject(
    store,
    metadataObjectName(channel, `${targets.signed.version}.targets.json`),
    targetsBytes,
  );
  const snapshot = new Metadata(
    new Snapshot({
      version: options.versions.snapshotVersion + 1,
      specVersion: '1.0.31',
      expires: options.expires('snapshot'),
      meta: { 'targets.json': fileMeta(targets.signed.version, targetsBytes) },
    }),
  );
  signMetadata(snapshot, [keys.keys.snapshot]);
  const snapshotBytes = jsonBytes(snapshot);
  await putStoreObject(
    store,
    metadataObjectName(channel, `${snapshot.signed.version}.snapshot.json`),
    snapshotBytes,
  );
  const timestamp = new Metadata(
    new Timestamp({
      version: options.versions.timestampVersion + 1,
      specVersion: '1.0.31',
      expires: options.expires('timestamp'),
      snapshotMeta: fileMeta(snapshot.signed.version, snapshotBytes),
    }),
  );
  signMetadata(timestamp, [keys.keys.timestamp]);
  await putStoreObject(store, metadataObjectName(channel, 'timestamp.json'), jsonBytes(timestamp));
  return {
    expires: timestamp.signed.expires,
    snapshot: snapshot.signed.version,
    targets: targets.signed.version,
  };
}

function fileMeta(version: number, bytes: Buffer): MetaFile {
  return new MetaFile({ version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } });
}

function jsonBytes(metadata: { toJSON(): unknown }): Buffer {
  return Buffer.from(`${JSON.stringify(metadata.toJSON())}\n`);
}

async function readPacks(files: readonly string[]): Promise<BundlePack[]> {
  if (files.length === 0) throw new FleetError('no_packs');
  const packs = await Promise.all(
    files.map(async (file) => {
      const text = await readFile(file, 'utf8').catch((error: Error) => {
        throw new FleetError('invalid_pack', `cannot read ${file}: ${error.message}`);
      });
      return { name: basename(file), sha256: sha256Hex(text), text };
    }),
  );
  const names = new Set<string>();
  for (const pack of packs) {
    if (names.has(pack.name)) throw new FleetError('invalid_pack', `two pack files are named ${pack.name}`);
    names.add(pack.name);
  }
  return packs;
}

// The packs are staged in a fresh folder exactly as a daemon will stage them, so a pack whose parent is only found
// beside the user's file (and not in the bundle) is refused here, before anything is published.
async function validatePacks(packs: readonly BundlePack[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-bundle-'));
  try {
    await stageBundlePacks(packs, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeHead(
  store: BundleStoreConnection,
  channel: string,
  head: BundleHead,
  kvRevision: number | undefined,
): Promise<number> {
  const value = JSON.stringify(head);
  try {
    if (kvRevision === undefined) return await store.bundleHeads.create(channel, value);
    return await store.bundleHeads.update(channel, value, kvRevision);
  } catch (error) {
    throw new FleetError(
      'older_revision',
      `another publish of channel ${channel} moved its head first: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

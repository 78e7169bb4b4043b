import { Metadata, MetadataKind, type TargetFile } from '@tufjs/models';
import { type BundleStoreConnection, getStoreObject } from './bundle-store.js';
import { bundleTargetRevision, metadataObjectName } from './bundle-store-names.js';
import { FleetError } from './fleet-error.js';

/** What a channel has published: its metadata versions and newest bundle revision (0 when nothing yet). */
export interface PublishedChannel {
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  readonly targetsVersion: number;
  readonly revision: number;
  /** The newest bundle's signed target entry (absent when nothing is published). */
  readonly target?: TargetFile;
}

const NOTHING_PUBLISHED: PublishedChannel = {
  timestampVersion: 0,
  snapshotVersion: 0,
  targetsVersion: 0,
  revision: 0,
};

/**
 * Reads the publisher's own view of a channel from the store: the versions the next metadata must exceed and the
 * newest bundle revision its signed targets name. FleetError `invalid_bundle` when a metadata file is unreadable.
 */
export async function readPublishedChannel(
  store: BundleStoreConnection,
  channel: string,
): Promise<PublishedChannel> {
  const timestampJson = await readMetadataJson(store, channel, 'timestamp.json');
  if (!timestampJson) return NOTHING_PUBLISHED;
  const timestamp = Metadata.fromJSON(MetadataKind.Timestamp, timestampJson);
  const snapshotVersion = timestamp.signed.snapshotMeta.version;
  const snapshotJson = await readMetadataJson(store, channel, `${snapshotVersion}.snapshot.json`);
  const snapshot = snapshotJson && Metadata.fromJSON(MetadataKind.Snapshot, snapshotJson);
  const targetsVersion = snapshot ? (snapshot.signed.meta['targets.json']?.version ?? 0) : 0;
  const targetsJson = await readMetadataJson(store, channel, `${targetsVersion}.targets.json`);
  const targets = targetsJson && Metadata.fromJSON(MetadataKind.Targets, targetsJson);
  const newest = Object.values(targets ? targets.signed.targets : {})
    .map((target) => ({ target, revision: bundleTargetRevision(target.path) ?? 0 }))
    .sort((a, b) => b.revision - a.revision)[0];
  return {
    timestampVersion: timestamp.signed.version,
    snapshotVersion,
    targetsVersion,
    revision: newest?.revision ?? 0,
    ...(newest ? { target: newest.target } : {}),
  };
}

async function readMetadataJson(
  store: BundleStoreConnection,
  channel: string,
  file: string,
): Promise<JSONObject | undefined> {
  const bytes = await getStoreObject(store, metadataObjectName(channel, file));
  if (bytes === null) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as JSONObject;
  } catch (error) {
    throw new FleetError(
      'invalid_bundle',
      `cannot read ${metadataObjectName(channel, file)}: ${(error as Error).message}`,
    );
  }
}

type JSONObject = Parameters<typeof Metadata.fromJSON>[1];

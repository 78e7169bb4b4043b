import type { Fleet } from './connect-fleet.js';
import { toFleetError } from './nats-failure.js';
import { readStoreObject } from './read-store-object.js';

/**
 * What the bundle functions need of a fleet connection: the bundles Object Store, the heads KV bucket, and the
 * JetStream API (objects of one chunk are read with it).
 */
export type BundleStoreConnection = Pick<Fleet, 'bundles' | 'bundleHeads' | 'jsm'>;

/** The KV head of a channel: the wake-up signal naming the newest revision (never trusted on its own). */
export interface BundleHead {
  readonly revision: number;
  readonly target: string;
  /**
   * Written by a push before it stores anything (its compare-and-set reservation of `revision`): nothing newer is
   * signed yet, so a follower need not fetch for it; the push writes the head again, without it, once it is stored.
   */
  readonly reserved?: true;
  /**
   * What a follower will read for this revision (the versions of its snapshot and targets metadata, the bundle's
   * SHA-256), so that it asks for all of it at once instead of one file after the other. A hint, like the whole head:
   * TUF verifies whatever is read exactly as before, and a wrong hint only costs reads in vain.
   */
  readonly reads?: BundleReads;
}

/** The hint a head carries (BundleHead `reads`). */
export interface BundleReads {
  readonly snapshot: number;
  readonly targets: number;
  readonly digest: string;
}

/**
 * The channel's head in `cavra_bundle_heads` with its KV revision (for compare-and-set), or undefined when it has
 * none. A wake-up signal only: what a daemon enforces comes from fetchVerifiedBundle.
 */
export async function readBundleHead(
  fleet: BundleStoreConnection,
  channel: string,
): Promise<{ readonly head: BundleHead; readonly kvRevision: number } | undefined> {
  try {
    const entry = await fleet.bundleHeads.get(channel);
    if (entry?.operation !== 'PUT') return undefined;
    return { head: entry.json<BundleHead>(), kvRevision: entry.revision };
  } catch (error) {
    throw toFleetError(error);
  }
}

/** Reads an object of the bundles store (null when there is none); NATS failures as the FleetError table names them. */
export async function getStoreObject(fleet: BundleStoreConnection, name: string): Promise<Uint8Array | null> {
  try {
    return await readStoreObject(fleet, name);
  } catch (error) {
    throw toFleetError(error);
  }
}

/** Stores an object in the bundles store; `onlyIfMissing` keeps an existing one. */
export async function putStoreObject(
  fleet: BundleStoreConnection,
  name: string,
  data: string | Uint8Array,
  options: { readonly onlyIfMissing?: boolean } = {},
): Promise<void> {
  try {
    if (options.onlyIfMissing && (await fleet.bundles.info(name)) !== null) return;
    await fleet.bundles.putBlob({ name }, typeof data === 'string' ? Buffer.from(data) : data);
  } catch (error) {
    throw toFleetError(error);
  }
}

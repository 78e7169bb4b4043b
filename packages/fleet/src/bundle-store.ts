import { type KV, Kvm } from '@nats-io/kv';
import { type ObjectStore, Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { BUNDLE_HEADS_BUCKET, BUNDLE_OBJECT_STORE } from './bundle-store-names.js';
import { FleetError } from './fleet-error.js';

/** What the bundle functions need of a fleet connection (connectFleet's result has it). */
export interface BundleStoreConnection {
  readonly nc: NatsConnection;
}

/** The channel bundle store: the Object Store of metadata and targets, and the KV bucket of heads. */
export interface BundleStore {
  readonly objects: ObjectStore;
  readonly heads: KV;
}

/** The KV head of a channel: the wake-up signal naming the newest revision (never trusted on its own). */
export interface BundleHead {
  readonly revision: number;
  readonly target: string;
}

/**
 * Opens the bundle store. `create` (the publisher) makes a missing bucket with `replicas` copies; a reader never
 * creates one, and a missing bucket is FleetError `unknown_channel` (no channel was ever published there).
 */
export async function openBundleStore(
  fleet: BundleStoreConnection,
  options: { readonly create?: boolean; readonly replicas?: number } = {},
): Promise<BundleStore> {
  const objm = new Objm(fleet.nc);
  const kvm = new Kvm(fleet.nc);
  try {
    if (options.create) {
      const replicas = options.replicas ?? 1;
      return {
        objects: await objm.create(BUNDLE_OBJECT_STORE, { replicas }),
        heads: await kvm.create(BUNDLE_HEADS_BUCKET, { replicas, history: 10 }),
      };
    }
    return { objects: await objm.open(BUNDLE_OBJECT_STORE), heads: await kvm.open(BUNDLE_HEADS_BUCKET) };
  } catch (error) {
    if (/stream not found|not found/i.test((error as Error).message)) {
      throw new FleetError('unknown_channel', `the NATS bucket ${BUNDLE_OBJECT_STORE} does not exist`, {
        cause: error,
      });
    }
    throw new FleetError('unavailable', `cannot open the bundle store: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The channel's head in the KV bucket (with its KV revision for compare-and-set), or undefined when it has none. */
export async function readBundleHead(
  store: BundleStore,
  channel: string,
): Promise<{ readonly head: BundleHead; readonly kvRevision: number } | undefined> {
  const entry = await store.heads.get(channel);
  if (!entry || entry.operation !== 'PUT') return undefined;
  const head = entry.json<BundleHead>();
  return { head, kvRevision: entry.revision };
}

import type { BundleStoreConnection } from './bundle-store.js';
import { type ChannelKeys, readChannelKeys } from './channel-keys.js';
import { checkChannelName } from './channel-name.js';
import { FleetError } from './fleet-error.js';
import { putTopMetadata } from './publish-bundle.js';
import { readPublishedChannel } from './published-channel.js';
import { DEFAULT_EXPIRY_DAYS, type TufExpiryDays, tufExpiry } from './tuf-expiry.js';

/** Options of resignChannel. */
export interface ResignChannelOptions {
  readonly fleet: BundleStoreConnection;
  readonly channel: string;
  readonly keysDir: string;
  readonly expiryDays?: Partial<Omit<TufExpiryDays, 'root'>>;
  readonly now?: Date;
}

/** What resignChannel signed: the current revision, and when its new timestamp expires. */
export interface ResignedChannel {
  readonly revision: number;
  readonly expires: string;
}

/**
 * Signs new targets, snapshot and timestamp metadata (next versions, new expiries) for the bundle the channel already
 * publishes: how a channel whose policy does not change stays fresh, so its daemons never report `stale`. The
 * bundle and its revision are unchanged. FleetError `invalid_channel`, `keys_invalid`, `wrong_channel`, `no_bundle`.
 */
export async function resignChannel(options: ResignChannelOptions): Promise<ResignedChannel> {
  const channel = checkChannelName(options.channel);
  const keys = await readChannelKeys(options.keysDir);
  if (keys.channel !== channel) {
    throw new FleetError(
      'wrong_channel',
      `the keys in ${options.keysDir} are for channel ${keys.channel}, not ${channel}`,
    );
  }
  const resigned = await resignCurrentBundle(
    options.fleet,
    keys,
    {
      ...DEFAULT_EXPIRY_DAYS,
      ...options.expiryDays,
    },
    options.now ?? new Date(),
  );
  if (!resigned) throw new FleetError('no_bundle', `channel ${channel} has published no bundle yet`);
  return resigned;
}

/** Re-signs the channel's current bundle with `keys`; undefined when the channel has published none. */
export async function resignCurrentBundle(
  fleet: BundleStoreConnection,
  keys: ChannelKeys,
  expiry: TufExpiryDays,
  now: Date,
): Promise<ResignedChannel | undefined> {
  const published = await readPublishedChannel(fleet, keys.channel);
  if (!published.target) return undefined;
  const { expires } = await putTopMetadata(fleet, keys.channel, keys, {
    versions: published,
    target: published.target,
    expires: (role) => tufExpiry(now, expiry[role]),
  });
  return { revision: published.revision, expires };
}

import { FleetError } from './fleet-error.js';

// The same rule as the bundle schema's `channel`: a channel is part of object names and KV keys, so it holds no `/`,
// `.`, `*`, `>` or space (NATS subject tokens).
const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Returns `channel` when it is a valid channel name; throws FleetError `invalid_channel` otherwise. */
export function checkChannelName(channel: string): string {
  if (!CHANNEL_NAME.test(channel)) {
    throw new FleetError(
      'invalid_channel',
      `invalid channel name ${JSON.stringify(channel.slice(0, 80))}: use lower-case letters, digits, - and _ (at most 64)`,
    );
  }
  return channel;
}

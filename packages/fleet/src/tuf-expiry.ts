/**
 * How long each role's signature stays valid, in days. The timestamp is the shortest: it bounds how long a daemon
 * can be kept on a frozen view of the channel; the root is re-signed only by its offline key.
 */
export interface TufExpiryDays {
  readonly root: number;
  readonly targets: number;
  readonly snapshot: number;
  readonly timestamp: number;
}

export const DEFAULT_EXPIRY_DAYS: TufExpiryDays = { root: 365, targets: 90, snapshot: 90, timestamp: 7 };

const DAY_MS = 24 * 60 * 60 * 1000;

/** TUF's expiry form (`YYYY-MM-DDTHH:MM:SSZ`, no fraction) of `now` plus `days` (fractions of a day allowed). */
export function tufExpiry(now: Date, days: number): string {
  return new Date(now.getTime() + days * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

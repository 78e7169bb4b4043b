import { ApprovalError } from './approval-error.js';

// The units a duration may use, in seconds: the forms of `ttl:<duration>` and of the expiry settings.
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
const DURATION = /^([1-9][0-9]{0,5})([smhd])$/;

/**
 * Seconds in a duration written `<n><unit>` (`30s`, `15m`, `2h`, `1d`; n from 1 to 999 999, one unit). Anything
 * else (`0m`, `1.5h`, `90`, `1h30m`, ` 2h`) is `invalid_scope`: a duration is only ever asked of a person or a
 * config, and a guess at what they meant could grant longer than they meant.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text);
  if (!match)
    throw new ApprovalError('invalid_scope', 'a duration is <number><s|m|h|d>, e.g. 30s, 15m, 2h or 1d');
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

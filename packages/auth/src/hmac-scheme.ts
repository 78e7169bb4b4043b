import { isOneOf } from '@cavra/contracts';

/**
 * Our default HMAC scheme: binds the identity, the request's fields and a time bound (canonical form in the
 * README). Its name is the first line of the text it signs, and prefixes its signatures on the wire.
 */
export const REQUEST_BOUND_SCHEME = 'CAVRA-RUNNER-HMAC-V1';

/**
 * Upstream CAVRA's HMAC scheme: signs the runner identity only (no request, no time bound), lower-case hex. Accepted
 * only for keys the operator marks with it; a captured signature is valid for any request, forever.
 */
export const IDENTITY_ONLY_SCHEME = 'cavra.runner-auth.v1';

export const HMAC_SCHEMES = [REQUEST_BOUND_SCHEME, IDENTITY_ONLY_SCHEME] as const;

export type HmacScheme = (typeof HMAC_SCHEMES)[number];

export function isHmacScheme(value: unknown): value is HmacScheme {
  return isOneOf(HMAC_SCHEMES, value);
}

import type { RunnerIdentity } from '@cavra/contracts';
import { checkSignable, SIGNED_IDENTITY_FIELDS } from './canonical-claims.js';
import { IDENTITY_ONLY_SCHEME } from './hmac-scheme.js';

/**
 * The text upstream's identity-only scheme signs (byte for byte in the README): `cavra.runner-auth.v1`, then
 * `<field>=<value>` for the ten identity fields in contract order, joined by `\n`, no trailing newline. A value may
 * hold `\n` or `=`, so two identities can share a text: one reason this scheme is opt-in. Throws `bad_encoding`
 * naming the field when a value holds a lone surrogate.
 */
export function identityClaims(identity: Partial<RunnerIdentity>): string {
  return [
    IDENTITY_ONLY_SCHEME,
    ...SIGNED_IDENTITY_FIELDS.map(
      (name) => `${name}=${checkSignable(`identity.${name}`, identity[name] ?? '')}`,
    ),
  ].join('\n');
}

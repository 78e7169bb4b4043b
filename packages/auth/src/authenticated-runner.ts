import type { RunnerAuthAlgorithm, RunnerIdentityRecord } from '@cavra/contracts';

/** A verified runner, public-safe and fit for evidence: never the secret, the token or the signature. */
export interface AuthenticatedRunner {
  readonly algorithm: RunnerAuthAlgorithm;
  /** The HMAC key id, or the `kid` of the key that signed the OIDC token. */
  readonly keyId: string;
  readonly identity: RunnerIdentityRecord;
  /** RFC 3339 UTC. */
  readonly issuedAt: string;
  readonly expiresAt: string;
  /** OIDC only: the token's issuer and subject. */
  readonly issuer?: string;
  readonly subject?: string;
}

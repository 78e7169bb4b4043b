import type { RunnerAuthAlgorithm, RunnerIdentityRecord } from '@cavra/contracts';
import type { HmacScheme } from './hmac-scheme.js';

/** A verified runner, public-safe and fit for evidence: never the secret, the token or the signature. */
export interface AuthenticatedRunner {
  readonly algorithm: RunnerAuthAlgorithm;
  /** The HMAC key id, or the `kid` of the key that signed the OIDC token. */
  readonly keyId: string;
  /** HMAC only: the scheme the signature was verified under (the key's). */
  readonly scheme?: HmacScheme;
  /**
   * Whether the proof covers this request: true only for REQUEST_BOUND_SCHEME. An identity-only HMAC signature or an
   * OIDC token proves who the runner is, not what it asks, and can be presented again with any request.
   */
  readonly requestBound: boolean;
  /**
   * HMAC: the identity the key holder signed. OIDC: the token's values for the fields it vouches for (see
   * `verifiedFields`), completed by the request's own values for the others.
   */
  readonly identity: RunnerIdentityRecord;
  /**
   * OIDC only: the identity fields the token vouched for, in record order (e.g. `['provider', 'repository', 'ref',
   * 'sha', 'runId']`); any other non-empty field is the runner's unverified statement.
   */
  readonly verifiedFields?: readonly (keyof RunnerIdentityRecord)[];
  /** RFC 3339 UTC. Absent for IDENTITY_ONLY_SCHEME, which has no time bound. */
  readonly issuedAt?: string;
  readonly expiresAt?: string;
  /**
   * HMAC only: the replay cache's key for this signature (`replayKey`: SHA-256 of the key id and the HMAC bytes,
   * base64url). The daemon records it in the evidence log, which is how a restarted daemon remembers the signatures it
   * has seen; it cannot be turned back into the signature. Absent for IDENTITY_ONLY_SCHEME, which has no replay check.
   */
  readonly replayKey?: string;
  /** OIDC only: the token's issuer and subject. */
  readonly issuer?: string;
  readonly subject?: string;
}

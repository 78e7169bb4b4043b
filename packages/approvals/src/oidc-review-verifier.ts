import { createIdTokenVerifier, RunnerAuthError, type TokenClaims } from '@cavra/auth';
import { ApprovalError } from './approval-error.js';
import { REVIEW_SKEW_SECONDS } from './review-limits.js';

/** The OIDC issuer whose ID tokens name approvers (the daemon's `approvals.oidc`). */
export interface OidcReviewConfig {
  readonly issuer: string;
  readonly audience: string;
  /** The issuer's JWKS URL (or `jwksFile`). */
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
  /** The claim holding the approver's id, default `email`. */
  readonly identityClaim?: string;
  /** The claim listing the approver's groups (an array of names), default `groups`. */
  readonly groupsClaim?: string;
  /** Accepted ID-token algorithms, default RS256, ES256, EdDSA; asymmetric ones only. */
  readonly algorithms?: readonly string[];
  /** Longest ID-token lifetime (exp - iat) accepted, default 1 hour. */
  readonly maxTokenLifetimeSeconds?: number;
  /** Clock for the ID token's exp/iat; default the system clock. */
  readonly now?: () => Date;
}

/** An approver identity vouched for by an ID token. */
export interface OidcApprover {
  readonly identity: string;
  readonly groups: readonly string[];
  readonly claims: TokenClaims;
}

/** Verifies approvers' ID tokens; build one per daemon with `createOidcReviewVerifier` (it caches the JWKS). */
export interface OidcReviewVerifier {
  /** The token's approver; throws ApprovalError `token_expired` or `token_invalid`. */
  verify(idToken: string): Promise<OidcApprover>;
}

/**
 * Builds the verifier of approvers' ID tokens on `@cavra/auth`'s ID-token verification (strict issuer, audience,
 * exp and iat with 60 s of skew, asymmetric algorithms only, bounded JWKS fetch). A bad configuration is a TypeError.
 */
export async function createOidcReviewVerifier(config: OidcReviewConfig): Promise<OidcReviewVerifier> {
  const identityClaim = config.identityClaim ?? 'email';
  const groupsClaim = config.groupsClaim ?? 'groups';
  const verifier = await createIdTokenVerifier({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUrl,
    jwksFile: config.jwksFile,
    algorithms: config.algorithms ?? ['RS256', 'ES256', 'EdDSA'],
    skewSeconds: REVIEW_SKEW_SECONDS,
    maxTokenLifetimeSeconds: config.maxTokenLifetimeSeconds ?? 3600,
    now: config.now,
  }).catch((error: unknown) => {
    throw error instanceof RunnerAuthError ? new TypeError(`approvals OIDC: ${error.message}`) : error;
  });
  return {
    async verify(idToken) {
      const { payload } = await verifier.verify(idToken).catch((error: unknown) => {
        if (!(error instanceof RunnerAuthError)) throw error;
        throw error.code === 'expired'
          ? new ApprovalError('token_expired', 'the approver’s ID token has expired')
          : new ApprovalError('token_invalid', `the approver’s ID token is refused: ${error.message}`);
      });
      const identity = payload[identityClaim];
      if (typeof identity !== 'string' || identity === '')
        throw new ApprovalError('token_invalid', `the approver’s ID token has no '${identityClaim}' claim`);
      const listed = payload[groupsClaim];
      const groups = Array.isArray(listed) ? listed.filter((group) => typeof group === 'string') : [];
      return { identity, groups, claims: payload };
    },
  };
}

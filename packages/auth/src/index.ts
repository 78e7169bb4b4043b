export type { AuthenticatedRunner } from './authenticated-runner.js';
export {
  CANONICAL_CLAIMS_VERSION,
  canonicalClaims,
  releaseGovernanceDigest,
  type SignedBound,
} from './canonical-claims.js';
export {
  attachOidcToken,
  identityFromCiEnvironment,
  type RequestCiOidcTokenOptions,
  requestCiOidcToken,
} from './ci-environment.js';
export {
  HMAC_SCHEMES,
  type HmacScheme,
  IDENTITY_ONLY_SCHEME,
  isHmacScheme,
  REQUEST_BOUND_SCHEME,
} from './hmac-scheme.js';
export {
  createIdTokenVerifier,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  type IdTokenCheckOptions,
  type IdTokenVerifier,
  type IdTokenVerifierOptions,
  type VerifiedIdToken,
} from './id-token-verifier.js';
export { identityClaims } from './identity-claims.js';
export {
  createKeyring,
  type HmacKey,
  type HmacKeySource,
  type Keyring,
  type KeyringKey,
  loadKeyring,
  MIN_SECRET_BYTES,
} from './keyring.js';
export {
  createOidcVerifier,
  type OidcProviderConfig,
  type OidcVerifier,
  type OidcVerifierOptions,
} from './oidc-verifier.js';
export {
  CI_PROVIDERS,
  type CiProvider,
  type IdentityClaim,
  PROVIDER_PROFILES,
  type ProviderProfile,
  type TokenClaims,
} from './provider-profiles.js';
export { ReplayCache, replayKey } from './replay-cache.js';
export { RUNNER_AUTH_ERROR_CODES, RunnerAuthError, type RunnerAuthErrorCode } from './runner-auth-error.js';
export {
  createRunnerAuthenticator,
  type RunnerAuthConfig,
  type RunnerAuthenticator,
} from './runner-authenticator.js';
export {
  type SignRunnerClaimsOptions,
  type SignRunnerIdentityOptions,
  signRunnerClaims,
  signRunnerIdentity,
} from './sign-runner-claims.js';
export { DEFAULT_MAX_TTL_SECONDS, DEFAULT_SKEW_SECONDS } from './time-bound.js';
export type { TrustPolicy } from './trust-policy.js';
export { type VerifyRunnerAuthOptions, verifyRunnerAuth } from './verify-runner-auth.js';

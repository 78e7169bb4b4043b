import {
  type EvaluateRequest,
  type EvaluateRequestInit,
  isSafeIdentifier,
  isSafeName,
  type RunnerAuthentication,
  type RunnerIdentity,
  type RunnerIdentityRecord,
} from '@cavra/contracts';
import type { JWTPayload } from 'jose';
import type { AuthenticatedRunner } from './authenticated-runner.js';
import {
  type IdTokenCheckOptions,
  type IdTokenTrust,
  idTokenChecks,
  type JwksSettings,
  keySet,
  onlyAsymmetric,
  verifyIdToken,
} from './id-token-verifier.js';
import { identityRecord } from './identity-record.js';
import {
  type CiProvider,
  type IdentityClaim,
  isCiProvider,
  PROVIDER_PROFILES,
  type ProviderProfile,
} from './provider-profiles.js';
import { RunnerAuthError } from './runner-auth-error.js';
import { compileTrustPolicy, type TrustPolicy } from './trust-policy.js';

/** One CI provider whose ID tokens are accepted. */
export interface OidcProviderConfig {
  readonly provider: CiProvider;
  /** Default: the provider profile's issuer (required for Azure Pipelines, whose issuer names the organisation). */
  readonly issuer?: string;
  /** Required: the audience the runner requested the token for. */
  readonly audience: string;
  /**
   * Remote JWKS (default: the issuer's, by the profile's path; Azure has none and needs this or `jwksFile`). Fetched
   * on first use, cached `jwksCacheMaxAgeMs`, refetched when a token names an unknown `kid` (rotation), at most once
   * per `jwksCooldownMs`.
   */
  readonly jwksUri?: string;
  /** Local JWKS file, for air-gapped runners; takes precedence over `jwksUri`. */
  readonly jwksFile?: string;
  /** Accepted signature algorithms (default: the profile's). Only asymmetric algorithms are allowed. */
  readonly algorithms?: readonly string[];
}

/** Options of `createOidcVerifier`: the providers, the trust policy, and how tokens are checked. */
export interface OidcVerifierOptions extends IdTokenCheckOptions {
  readonly providers: readonly OidcProviderConfig[];
  readonly trust: TrustPolicy;
}

/** Verifies CI-provider ID tokens; build one with `createOidcVerifier` and keep it (it holds the JWKS caches). */
export interface OidcVerifier {
  /** Verifies an `OIDC-JWT` runner_auth of a decoded message or a plain object; throws RunnerAuthError. */
  verify(request: EvaluateRequest | EvaluateRequestInit): Promise<AuthenticatedRunner>;
}

interface ProviderVerifier extends IdTokenTrust {
  readonly profile: ProviderProfile;
}

/**
 * Builds an OIDC-JWT verifier: checks the configuration (throws `invalid_config`), reads local JWKS files now and
 * fetches remote ones on first use.
 */
export async function createOidcVerifier(options: OidcVerifierOptions): Promise<OidcVerifier> {
  const trust = compileTrustPolicy(options.trust);
  const checks = idTokenChecks(options);
  const providers = new Map<CiProvider, ProviderVerifier>();
  for (const config of options.providers) {
    if (!isCiProvider(config.provider))
      throw new RunnerAuthError('invalid_config', `unknown CI provider '${config.provider}'`);
    if (providers.has(config.provider))
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}' is configured twice`);
    providers.set(config.provider, await providerVerifier(config, checks.jwks));
  }

  return {
    async verify(request) {
      const auth = request.runner_auth as RunnerAuthentication | null | undefined;
      if (!auth) throw new RunnerAuthError('missing_auth', 'request carries no runner_auth');
      if (auth.algorithm !== 'OIDC-JWT')
        throw new RunnerAuthError('unsupported_algorithm', 'runner_auth algorithm is not OIDC-JWT');
      const claimed = (auth.identity ?? {}) as Partial<RunnerIdentity>;
      const providerName = claimed.provider ?? '';
      if (providerName === '')
        throw new RunnerAuthError('missing_claim', 'runner_auth.identity.provider is required for OIDC-JWT');
      const provider = isCiProvider(providerName) ? providers.get(providerName) : undefined;
      if (!provider) {
        throw new RunnerAuthError(
          'untrusted_provider',
          isSafeIdentifier(providerName)
            ? `provider '${providerName}' is not configured`
            : 'provider is not configured',
        );
      }
      const { payload, kid } = await verifyIdToken(auth.signature, provider, checks);
      const { identity, verifiedFields } = matchIdentity(provider.profile, payload, claimed);
      trust.check(provider.profile.provider, identity.repository, identity.ref);
      return {
        algorithm: 'OIDC-JWT',
        keyId: kid,
        requestBound: false,
        identity,
        verifiedFields,
        issuedAt: instant(payload.iat),
        expiresAt: instant(payload.exp),
        issuer: provider.issuer,
        subject: typeof payload.sub === 'string' && isSafeName(payload.sub) ? payload.sub : '',
      };
    },
  };
}

async function providerVerifier(config: OidcProviderConfig, jwks: JwksSettings): Promise<ProviderVerifier> {
  const profile = PROVIDER_PROFILES[config.provider];
  const issuer = config.issuer ?? profile.defaultIssuer;
  if (!issuer) throw new RunnerAuthError('invalid_config', `provider '${config.provider}' needs an issuer`);
  if (!config.audience)
    throw new RunnerAuthError('invalid_config', `provider '${config.provider}' needs an audience`);
  const algorithms = [...(config.algorithms ?? profile.algorithms)];
  if (!onlyAsymmetric(algorithms)) {
    throw new RunnerAuthError(
      'invalid_config',
      `provider '${config.provider}': only asymmetric algorithms may be allowed`,
    );
  }
  const keys = await keySet(
    { jwksFile: config.jwksFile, jwksUri: config.jwksUri ?? profile.jwksUri?.(issuer) },
    jwks,
    `provider '${config.provider}'`,
  );
  return { profile, issuer, audience: config.audience, algorithms, keys };
}

/**
 * The token's identity claims against the request's: the ones the profile requires must be there, each stated
 * field must agree, and the result is the token's values completed by the request's other fields, with the list of
 * fields the token vouched for.
 */
function matchIdentity(
  profile: ProviderProfile,
  payload: JWTPayload,
  claimed: Partial<RunnerIdentity>,
): { identity: RunnerIdentityRecord; verifiedFields: (keyof RunnerIdentityRecord)[] } {
  const vouched = profile.identity(payload);
  for (const field of profile.required) {
    if (!vouched[field])
      throw new RunnerAuthError('missing_claim', `token has no claim for identity ${field}`);
  }
  const merged: Record<string, string> = {
    ...(claimed as Record<string, string>),
    provider: profile.provider,
  };
  const verified = new Set<keyof RunnerIdentityRecord>(['provider']);
  for (const [field, { claim, value }] of Object.entries(vouched)) {
    if (!isSafeName(value)) {
      throw new RunnerAuthError(
        'bad_token',
        `token claim '${claim}' must be a single line of at most 256 bytes without control characters`,
      );
    }
    const stated = claimed[field as keyof RunnerIdentity];
    if (stated && stated !== value) {
      throw new RunnerAuthError(
        'claim_mismatch',
        `token claim '${claim}' does not match runner_auth.identity.${field}`,
      );
    }
    merged[field] = value;
    verified.add(RECORD_FIELD[field as IdentityClaim]);
  }
  const identity = identityRecord(merged, 'runner_auth.identity');
  // In the record's field order, so the evidence is the same whatever order the profile read the claims in.
  const verifiedFields = (Object.keys(identity) as (keyof RunnerIdentityRecord)[]).filter((field) =>
    verified.has(field),
  );
  return { identity, verifiedFields };
}

const RECORD_FIELD: Readonly<Record<IdentityClaim, keyof RunnerIdentityRecord>> = {
  repository: 'repository',
  workflow: 'workflow',
  run_id: 'runId',
  run_attempt: 'runAttempt',
  ref: 'ref',
  sha: 'sha',
  actor: 'actor',
  job: 'job',
};

function instant(seconds: number | undefined): string {
  return new Date((seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
}

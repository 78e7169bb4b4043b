import { readFile } from 'node:fs/promises';
import {
  type EvaluateRequest,
  type EvaluateRequestInit,
  isSafeIdentifier,
  isSafeName,
  type RunnerAuthentication,
  type RunnerIdentity,
  type RunnerIdentityRecord,
} from '@cavra/contracts';
import type { JSONWebKeySet, JWTPayload, JWTVerifyGetKey } from 'jose';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import type { AuthenticatedRunner } from './authenticated-runner.js';
import { boundedJwksFetch } from './bounded-jwks-fetch.js';
import { identityRecord } from './identity-record.js';
import {
  type CiProvider,
  type IdentityClaim,
  isCiProvider,
  PROVIDER_PROFILES,
  type ProviderProfile,
} from './provider-profiles.js';
import { RunnerAuthError } from './runner-auth-error.js';
import { DEFAULT_SKEW_SECONDS } from './time-bound.js';
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

/** Options of `createOidcVerifier`. The JWKS settings apply to every remote key set. */
export interface OidcVerifierOptions {
  readonly providers: readonly OidcProviderConfig[];
  readonly trust: TrustPolicy;
  /** Tolerance for exp/nbf/iat, default 60 s. */
  readonly skewSeconds?: number;
  /**
   * Longest lifetime (`exp` - `iat`) of a token accepted, default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS (6 h); a longer
   * one is `ttl_too_long`. A stolen token is only as dangerous as it is long-lived.
   */
  readonly maxTokenLifetimeSeconds?: number;
  /** Clock for the token's exp/nbf/iat; default the system clock. */
  readonly now?: () => Date;
  /** Remote JWKS fetch timeout (connection and body), default 5000 ms. */
  readonly jwksTimeoutMs?: number;
  /**
   * After a fetch, how long a token naming an unknown `kid` is refused (`unknown_key`) without asking the issuer
   * again, default 30 000 ms (jose's `cooldownDuration`). This bounds the fetches a flood of forged `kid`s can
   * cause; a key the issuer just rotated in is accepted at most this long after the last fetch.
   */
  readonly jwksCooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again, default 600 000 ms (jose's `cacheMaxAge`). */
  readonly jwksCacheMaxAgeMs?: number;
  /** Largest JWKS response accepted, default 65 536 bytes; a larger one is `jwks_unavailable`. */
  readonly jwksMaxBytes?: number;
}

/** Verifies CI-provider ID tokens; build one with `createOidcVerifier` and keep it (it holds the JWKS caches). */
export interface OidcVerifier {
  /** Verifies an `OIDC-JWT` runner_auth of a decoded message or a plain object; throws RunnerAuthError. */
  verify(request: EvaluateRequest | EvaluateRequestInit): Promise<AuthenticatedRunner>;
}

// Asymmetric JWS algorithms only: an HMAC algorithm would let anyone holding the public key forge tokens.
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

interface ProviderVerifier {
  readonly profile: ProviderProfile;
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: string[];
  readonly keys: JWTVerifyGetKey;
}

/**
 * Default longest token lifetime: 6 hours. GitHub Actions tokens live minutes; a GitLab CI `id_tokens` token lives the
 * job's timeout plus 5 minutes (1 h by default, 3 h on GitLab.com's shared runners).
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 21_600;

/** JWKS defaults: jose's timeout, cooldown and cache age; 64 KiB is many times a real key set. */
const JWKS_DEFAULTS = { timeoutMs: 5000, cooldownMs: 30_000, cacheMaxAgeMs: 600_000, maxBytes: 65_536 };

type JwksSettings = typeof JWKS_DEFAULTS;

/**
 * Builds an OIDC-JWT verifier: checks the configuration (throws `invalid_config`), reads local JWKS files now and
 * fetches remote ones on first use.
 */
export async function createOidcVerifier(options: OidcVerifierOptions): Promise<OidcVerifier> {
  const trust = compileTrustPolicy(options.trust);
  const now = options.now ?? (() => new Date());
  const skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const maxLifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(maxLifetime) || maxLifetime < 1)
    throw new RunnerAuthError('invalid_config', 'maxTokenLifetimeSeconds must be a positive integer');
  const jwks: JwksSettings = {
    timeoutMs: options.jwksTimeoutMs ?? JWKS_DEFAULTS.timeoutMs,
    cooldownMs: options.jwksCooldownMs ?? JWKS_DEFAULTS.cooldownMs,
    cacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? JWKS_DEFAULTS.cacheMaxAgeMs,
    maxBytes: options.jwksMaxBytes ?? JWKS_DEFAULTS.maxBytes,
  };
  for (const [name, value] of Object.entries(jwks)) {
    if (!Number.isInteger(value) || value < 0)
      throw new RunnerAuthError('invalid_config', `jwks ${name} must be a non-negative integer`);
  }
  const providers = new Map<CiProvider, ProviderVerifier>();
  for (const config of options.providers) {
    if (!isCiProvider(config.provider))
      throw new RunnerAuthError('invalid_config', `unknown CI provider '${config.provider}'`);
    if (providers.has(config.provider))
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}' is configured twice`);
    providers.set(config.provider, await providerVerifier(config, jwks));
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
      const { payload, kid } = await verifyToken(auth.signature, provider, now(), skewSeconds, maxLifetime);
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

type JoseVerifier = typeof import('jose/jwt/verify') &
  typeof import('jose/jwks/local') &
  typeof import('jose/jwks/remote');
let joseVerifier: Promise<JoseVerifier> | undefined;

/**
 * jose's verification modules, loaded once a provider is configured: a daemon that uses HMAC only never needs them,
 * and importing all of jose was about 95 ms of every daemon start.
 */
function loadJoseVerifier(): Promise<JoseVerifier> {
  if (!joseVerifier) {
    joseVerifier = Promise.all([
      import('jose/jwt/verify'),
      import('jose/jwks/local'),
      import('jose/jwks/remote'),
    ]).then(([verify, local, remote]) => ({ ...verify, ...local, ...remote }));
  }
  return joseVerifier;
}

async function providerVerifier(config: OidcProviderConfig, jwks: JwksSettings): Promise<ProviderVerifier> {
  const profile = PROVIDER_PROFILES[config.provider];
  const issuer = config.issuer ?? profile.defaultIssuer;
  if (!issuer) throw new RunnerAuthError('invalid_config', `provider '${config.provider}' needs an issuer`);
  if (!config.audience)
    throw new RunnerAuthError('invalid_config', `provider '${config.provider}' needs an audience`);
  const algorithms = [...(config.algorithms ?? profile.algorithms)];
  const weak = algorithms.find((alg) => !ASYMMETRIC.test(alg));
  if (weak !== undefined || algorithms.length === 0) {
    throw new RunnerAuthError(
      'invalid_config',
      `provider '${config.provider}': only asymmetric algorithms may be allowed`,
    );
  }
  const { createLocalJWKSet, createRemoteJWKSet, customFetch } = await loadJoseVerifier();
  let keys: JWTVerifyGetKey;
  if (config.jwksFile) {
    try {
      keys = createLocalJWKSet(JSON.parse(await readFile(config.jwksFile, 'utf8')) as JSONWebKeySet);
    } catch {
      throw new RunnerAuthError(
        'invalid_config',
        `provider '${config.provider}': its JWKS file cannot be read as a JSON Web Key Set`,
      );
    }
  } else {
    const uri = config.jwksUri ?? profile.jwksUri?.(issuer);
    if (!uri)
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}' needs jwksUri or jwksFile`);
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}': jwksUri is not a URL`);
    }
    keys = createRemoteJWKSet(url, {
      timeoutDuration: jwks.timeoutMs,
      cooldownDuration: jwks.cooldownMs,
      cacheMaxAge: jwks.cacheMaxAgeMs,
      [customFetch]: boundedJwksFetch(jwks.maxBytes),
    });
  }
  return { profile, issuer, audience: config.audience, algorithms, keys };
}

async function verifyToken(
  token: string,
  provider: ProviderVerifier,
  now: Date,
  skewSeconds: number,
  maxLifetime: number,
) {
  let alg: string | undefined;
  let kid = '';
  try {
    const header = decodeProtectedHeader(token);
    alg = header.alg;
    kid = typeof header.kid === 'string' && isSafeIdentifier(header.kid) ? header.kid : '';
  } catch {
    throw new RunnerAuthError('bad_token', 'runner_auth.signature is not a JWT');
  }
  if (!alg || !provider.algorithms.includes(alg)) {
    throw new RunnerAuthError(
      'disallowed_algorithm',
      `token algorithm is not one of ${provider.algorithms.join(', ')}`,
    );
  }
  const { jwtVerify } = await loadJoseVerifier();
  const verified = await jwtVerify(token, provider.keys, {
    issuer: provider.issuer,
    audience: provider.audience,
    algorithms: provider.algorithms,
    clockTolerance: skewSeconds,
    currentDate: now,
    requiredClaims: ['iss', 'aud', 'exp', 'iat'],
  }).catch((error: unknown) => {
    throw joseFailure(error);
  });
  // jose compares `iat` with the clock only under maxTokenAge, so a token issued in the future is refused here.
  if ((verified.payload.iat as number) > now.getTime() / 1000 + skewSeconds)
    throw new RunnerAuthError('not_yet_valid', "token 'iat' is in the future");
  // Providers issue tokens for minutes or a job's length; a far `exp` is a token made to be stolen and kept.
  if ((verified.payload.exp as number) - (verified.payload.iat as number) > maxLifetime) {
    throw new RunnerAuthError(
      'ttl_too_long',
      `token lifetime (exp - iat) is longer than ${maxLifetime} seconds`,
    );
  }
  return { payload: verified.payload, kid };
}

function joseFailure(error: unknown): RunnerAuthError {
  if (error instanceof RunnerAuthError) return error; // from the bounded JWKS fetch
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new RunnerAuthError('expired', 'token has expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return new RunnerAuthError('missing_claim', `token has no '${claim}' claim`);
      if (claim === 'iss')
        return new RunnerAuthError('wrong_issuer', 'token issuer is not the configured issuer');
      if (claim === 'aud')
        return new RunnerAuthError('wrong_audience', 'token audience is not the configured audience');
      if (claim === 'nbf' || claim === 'iat')
        return new RunnerAuthError('not_yet_valid', `token '${claim}' is in the future`);
      return new RunnerAuthError('bad_token', `token claim '${claim}' is invalid`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new RunnerAuthError('disallowed_algorithm', 'token algorithm is not allowed');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS': // no kid, and none of the candidate keys verified it
      return new RunnerAuthError('bad_signature', 'token signature does not verify');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new RunnerAuthError('unknown_key', 'no key of the provider JWKS matches the token');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new RunnerAuthError('bad_token', 'token is malformed');
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new RunnerAuthError('bad_token', 'token key or algorithm is not supported');
    case 'ERR_JWKS_TIMEOUT':
      return new RunnerAuthError('jwks_unavailable', 'provider JWKS did not answer in time');
    case 'ERR_JWKS_INVALID':
      return new RunnerAuthError('jwks_unavailable', 'provider JWKS is not a JSON Web Key Set');
    default:
      // Refused connections, a status other than 200, a body that is not JSON: the keys could not be had.
      return new RunnerAuthError('jwks_unavailable', 'provider JWKS is unavailable');
  }
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

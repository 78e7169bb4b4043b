import { readFile } from 'node:fs/promises';
import {
  type EvaluateRequest,
  identityToRecord,
  isSafeIdentifier,
  type RunnerAuthentication,
  type RunnerIdentity,
} from '@cavra/contracts';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { AuthenticatedRunner } from './authenticated-runner.js';
import {
  type CiProvider,
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
  /** Remote JWKS (default: the profile's); fetched lazily, cached, refetched when an unknown `kid` appears. */
  readonly jwksUri?: string;
  /** Local JWKS file, for air-gapped runners; takes precedence over `jwksUri`. */
  readonly jwksFile?: string;
  /** Accepted signature algorithms (default: the profile's). Only asymmetric algorithms are allowed. */
  readonly algorithms?: readonly string[];
}

export interface OidcVerifierOptions {
  readonly providers: readonly OidcProviderConfig[];
  readonly trust: TrustPolicy;
  /** Tolerance for exp/nbf/iat, default 60 s. */
  readonly skewSeconds?: number;
  readonly now?: () => Date;
  /** Remote JWKS fetch timeout, default 5000 ms. */
  readonly jwksTimeoutMs?: number;
}

export interface OidcVerifier {
  /** Verifies an `OIDC-JWT` runner_auth; throws RunnerAuthError. */
  verify(request: EvaluateRequest): Promise<AuthenticatedRunner>;
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

export async function createOidcVerifier(options: OidcVerifierOptions): Promise<OidcVerifier> {
  const trust = compileTrustPolicy(options.trust);
  const now = options.now ?? (() => new Date());
  const skewSeconds = options.skewSeconds ?? DEFAULT_SKEW_SECONDS;
  const providers = new Map<CiProvider, ProviderVerifier>();
  for (const config of options.providers) {
    if (!isCiProvider(config.provider))
      throw new RunnerAuthError('invalid_config', `unknown CI provider '${config.provider}'`);
    if (providers.has(config.provider))
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}' is configured twice`);
    providers.set(config.provider, await providerVerifier(config, options.jwksTimeoutMs ?? 5000));
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
      const { payload, kid } = await verifyToken(auth.signature, provider, now(), skewSeconds);
      const identity = matchIdentity(provider.profile, payload, claimed);
      trust.check(provider.profile.provider, identity.repository, identity.ref);
      return {
        algorithm: 'OIDC-JWT',
        keyId: kid,
        identity,
        issuedAt: instant(payload.iat),
        expiresAt: instant(payload.exp),
        issuer: provider.issuer,
        subject: typeof payload.sub === 'string' && payload.sub.length <= 256 ? payload.sub : '',
      };
    },
  };
}

async function providerVerifier(
  config: OidcProviderConfig,
  timeoutDuration: number,
): Promise<ProviderVerifier> {
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
  let keys: JWTVerifyGetKey;
  if (config.jwksFile) {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(await readFile(config.jwksFile, 'utf8'));
    } catch {
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}': cannot read its JWKS file`);
    }
    keys = createLocalJWKSet(jwks);
  } else {
    const uri = config.jwksUri ?? profile.defaultJwksUri;
    if (!uri)
      throw new RunnerAuthError('invalid_config', `provider '${config.provider}' needs jwksUri or jwksFile`);
    keys = createRemoteJWKSet(new URL(uri), {
      timeoutDuration,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    });
  }
  return { profile, issuer, audience: config.audience, algorithms, keys };
}

async function verifyToken(token: string, provider: ProviderVerifier, now: Date, skewSeconds: number) {
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
  try {
    const { payload } = await jwtVerify(token, provider.keys, {
      issuer: provider.issuer,
      audience: provider.audience,
      algorithms: provider.algorithms,
      clockTolerance: skewSeconds,
      currentDate: now,
      requiredClaims: ['iss', 'aud', 'exp', 'iat'],
    });
    return { payload, kid };
  } catch (error) {
    throw joseFailure(error);
  }
}

function joseFailure(error: unknown): RunnerAuthError {
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
      return new RunnerAuthError('bad_signature', 'token signature does not verify');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new RunnerAuthError('unknown_key', 'no key of the provider JWKS matches the token');
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return new RunnerAuthError('bad_token', 'token is malformed');
    default:
      // Timeouts, refused connections, bad HTTP status or an invalid key set: the keys could not be had.
      return new RunnerAuthError('jwks_unavailable', 'provider JWKS is unavailable');
  }
}

function matchIdentity(profile: ProviderProfile, payload: JWTPayload, claimed: Partial<RunnerIdentity>) {
  const vouched = profile.identity(payload);
  for (const field of profile.required) {
    if (!vouched[field])
      throw new RunnerAuthError('missing_claim', `token has no claim for identity ${field}`);
  }
  const merged: Record<string, string> = {
    ...(claimed as Record<string, string>),
    provider: profile.provider,
  };
  for (const [field, { claim, value }] of Object.entries(vouched)) {
    const stated = claimed[field as keyof RunnerIdentity];
    if (stated && stated !== value) {
      throw new RunnerAuthError(
        'claim_mismatch',
        `token claim '${claim}' does not match runner_auth.identity.${field}`,
      );
    }
    merged[field] = value;
  }
  try {
    return identityToRecord(merged as unknown as RunnerIdentity, 'token');
  } catch {
    throw new RunnerAuthError(
      'bad_token',
      'token identity claims are not single-line values of at most 256 bytes',
    );
  }
}

function instant(seconds: number | undefined): string {
  return new Date((seconds ?? 0) * 1000).toISOString().replace('.000Z', 'Z');
}

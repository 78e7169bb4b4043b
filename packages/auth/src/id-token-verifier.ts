import { readFile } from 'node:fs/promises';
import { isSafeIdentifier } from '@cavra/contracts';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { boundedJwksFetch } from './bounded-jwks-fetch.js';
import type { TokenClaims } from './provider-profiles.js';
import { RunnerAuthError } from './runner-auth-error.js';
import { DEFAULT_SKEW_SECONDS } from './time-bound.js';

/**
 * How every ID-token verifier checks a token (`createIdTokenVerifier`, `createOidcVerifier`): clock, skew, longest
 * lifetime, and the remote JWKS settings, which apply to every remote key set.
 */
export interface IdTokenCheckOptions {
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

/** Options of `createIdTokenVerifier`: one issuer, one audience, its key set. */
export interface IdTokenVerifierOptions extends IdTokenCheckOptions {
  readonly issuer: string;
  readonly audience: string;
  /**
   * Remote JWKS, fetched on first use, cached `jwksCacheMaxAgeMs`, refetched on an unknown `kid` (rotation), at most
   * once per `jwksCooldownMs`.
   */
  readonly jwksUri?: string;
  /** Local JWKS file; takes precedence over `jwksUri`. */
  readonly jwksFile?: string;
  /** Accepted signature algorithms; only asymmetric ones (RS*, PS*, ES*, EdDSA) are allowed. */
  readonly algorithms: readonly string[];
}

/** An ID token whose signature, issuer, audience and times verified: its claims and the `kid` of its key. */
export interface VerifiedIdToken {
  readonly payload: TokenClaims;
  readonly kid: string;
}

/** Verifies the ID tokens of one issuer (any OIDC issuer, not only a CI provider); keep it (it caches the JWKS). */
export interface IdTokenVerifier {
  /** Throws RunnerAuthError (`expired`, `bad_signature`, `wrong_issuer`, `jwks_unavailable`, ...). */
  verify(token: string): Promise<VerifiedIdToken>;
}

/** What verifying an issuer's token needs. */
export interface IdTokenTrust {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly keys: JWTVerifyGetKey;
}

/**
 * Default longest token lifetime: 6 hours. GitHub Actions tokens live minutes; a GitLab CI `id_tokens` token lives the
 * job's timeout plus 5 minutes (1 h by default, 3 h on GitLab.com's shared runners).
 */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 21_600;

/** JWKS defaults: jose's timeout, cooldown and cache age; 64 KiB is many times a real key set. */
export const JWKS_DEFAULTS = {
  timeoutMs: 5000,
  cooldownMs: 30_000,
  cacheMaxAgeMs: 600_000,
  maxBytes: 65_536,
};

export type JwksSettings = typeof JWKS_DEFAULTS;

// Asymmetric JWS algorithms only: an HMAC algorithm would let anyone holding the public key forge tokens.
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

/** True when every algorithm is asymmetric and there is at least one. */
export function onlyAsymmetric(algorithms: readonly string[]): boolean {
  return algorithms.length > 0 && algorithms.every((alg) => ASYMMETRIC.test(alg));
}

/**
 * Builds a verifier of one issuer's ID tokens (the OpenID Connect checks `createOidcVerifier` makes of CI tokens,
 * without the CI identity mapping): throws `invalid_config` for a bad configuration, reads a local JWKS now.
 */
export async function createIdTokenVerifier(options: IdTokenVerifierOptions): Promise<IdTokenVerifier> {
  const checks = idTokenChecks(options);
  if (!options.issuer || !options.audience)
    throw new RunnerAuthError('invalid_config', 'an ID token verifier needs an issuer and an audience');
  if (!onlyAsymmetric(options.algorithms))
    throw new RunnerAuthError('invalid_config', 'only asymmetric algorithms may be allowed');
  const keys = await keySet(options, checks.jwks, 'the issuer');
  const trust: IdTokenTrust = { ...options, keys };
  return { verify: (token) => verifyIdToken(token, trust, checks) };
}

/** `IdTokenCheckOptions` with their defaults. */
export interface IdTokenChecks {
  readonly now: () => Date;
  readonly skewSeconds: number;
  readonly maxLifetime: number;
  readonly jwks: JwksSettings;
}

/** The check options with their defaults, checked (`invalid_config`). */
export function idTokenChecks(options: IdTokenCheckOptions): IdTokenChecks {
  const maxLifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  if (!Number.isInteger(maxLifetime) || maxLifetime < 1)
    throw new RunnerAuthError('invalid_config', 'maxTokenLifetimeSeconds must be a positive integer');
  return {
    now: options.now ?? (() => new Date()),
    skewSeconds: options.skewSeconds ?? DEFAULT_SKEW_SECONDS,
    maxLifetime,
    jwks: jwksSettings(options),
  };
}

function jwksSettings(options: IdTokenCheckOptions): JwksSettings {
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
  return jwks;
}

/**
 * The key set of a local JWKS file or a remote JWKS URL (bounded fetch); `owner` names what it belongs to in
 * `invalid_config` messages.
 */
export async function keySet(
  source: { readonly jwksFile?: string; readonly jwksUri?: string },
  jwks: JwksSettings,
  owner: string,
): Promise<JWTVerifyGetKey> {
  const { createLocalJWKSet, createRemoteJWKSet, customFetch } = await loadJoseVerifier();
  if (source.jwksFile) {
    try {
      return createLocalJWKSet(JSON.parse(await readFile(source.jwksFile, 'utf8')) as JSONWebKeySet);
    } catch {
      throw new RunnerAuthError(
        'invalid_config',
        `${owner}: its JWKS file cannot be read as a JSON Web Key Set`,
      );
    }
  }
  if (!source.jwksUri) throw new RunnerAuthError('invalid_config', `${owner} needs jwksUri or jwksFile`);
  let url: URL;
  try {
    url = new URL(source.jwksUri);
  } catch {
    throw new RunnerAuthError('invalid_config', `${owner}: jwksUri is not a URL`);
  }
  return createRemoteJWKSet(url, {
    timeoutDuration: jwks.timeoutMs,
    cooldownDuration: jwks.cooldownMs,
    cacheMaxAge: jwks.cacheMaxAgeMs,
    [customFetch]: boundedJwksFetch(jwks.maxBytes),
  });
}

type JoseVerifier = typeof import('jose/jwt/verify') &
  typeof import('jose/jwks/local') &
  typeof import('jose/jwks/remote');
let joseVerifier: Promise<JoseVerifier> | undefined;

/**
 * jose's verification modules, loaded once a provider is configured: a daemon that uses HMAC only never needs them,
 * and importing all of jose was about 95 ms of every daemon start.
 */
export function loadJoseVerifier(): Promise<JoseVerifier> {
  if (!joseVerifier) {
    joseVerifier = Promise.all([
      import('jose/jwt/verify'),
      import('jose/jwks/local'),
      import('jose/jwks/remote'),
    ]).then(([verify, local, remote]) => ({ ...verify, ...local, ...remote }));
  }
  return joseVerifier;
}

export async function verifyIdToken(token: string, provider: IdTokenTrust, checks: IdTokenChecks) {
  const { skewSeconds, maxLifetime } = checks;
  const now = checks.now();
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
    algorithms: [...provider.algorithms],
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

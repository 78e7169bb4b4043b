import type { EvaluateRequest } from '@cavra/contracts';
import type { AuthenticatedRunner } from './authenticated-runner.js';
import { type HmacKeySource, loadKeyring } from './keyring.js';
import { createOidcVerifier, type OidcVerifier, type OidcVerifierOptions } from './oidc-verifier.js';
import { ReplayCache } from './replay-cache.js';
import { RunnerAuthError } from './runner-auth-error.js';
import { verifyRunnerAuth } from './verify-runner-auth.js';

/** Runner authentication as plain, JSON-able configuration (what the daemon's config file holds). */
export interface RunnerAuthConfig {
  readonly hmac?: {
    readonly keys: readonly HmacKeySource[];
    readonly skewSeconds?: number;
    readonly maxTtlSeconds?: number;
    readonly replayCacheSize?: number;
  };
  readonly oidc?: Omit<OidcVerifierOptions, 'now'>;
}

/** Both runner-auth methods behind one call, as the daemon uses them. */
export interface RunnerAuthenticator {
  /** Verifies the request's runner_auth with the configured method; throws RunnerAuthError. */
  authenticate(request: EvaluateRequest): Promise<AuthenticatedRunner>;
}

/**
 * Builds the authenticator: secrets are read now (from env vars or files), JWKS lazily on first use. `replayCache`:
 * the cache of seen HMAC signatures to use, so that one outlives the authenticator (the daemon keeps its own across
 * reloads and restores it from its evidence); default a new one of `hmac.replayCacheSize`.
 */
export async function createRunnerAuthenticator(
  config: RunnerAuthConfig,
  options: {
    readonly env?: NodeJS.ProcessEnv;
    readonly now?: () => Date;
    readonly replayCache?: ReplayCache;
  } = {},
): Promise<RunnerAuthenticator> {
  const keyring = config.hmac ? await loadKeyring(config.hmac.keys, options.env) : undefined;
  const replayCache = config.hmac
    ? (options.replayCache ?? new ReplayCache({ maxEntries: config.hmac.replayCacheSize }))
    : undefined;
  const oidc: OidcVerifier | undefined = config.oidc
    ? await createOidcVerifier({ ...config.oidc, ...(options.now ? { now: options.now } : {}) })
    : undefined;
  return {
    async authenticate(request) {
      const algorithm = request.runner_auth?.algorithm;
      if (!request.runner_auth) throw new RunnerAuthError('missing_auth', 'request carries no runner_auth');
      if (algorithm === 'HMAC-SHA256' && keyring && config.hmac) {
        return verifyRunnerAuth(request, keyring, {
          ...(options.now ? { now: options.now } : {}),
          ...(config.hmac.skewSeconds !== undefined ? { skewSeconds: config.hmac.skewSeconds } : {}),
          ...(config.hmac.maxTtlSeconds !== undefined ? { maxTtlSeconds: config.hmac.maxTtlSeconds } : {}),
          replayCache,
        });
      }
      if (algorithm === 'OIDC-JWT' && oidc) return oidc.verify(request);
      throw new RunnerAuthError(
        'unsupported_algorithm',
        'runner_auth algorithm is not enabled on this daemon',
      );
    },
  };
}

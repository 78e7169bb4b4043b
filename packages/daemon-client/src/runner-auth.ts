import {
  attachOidcToken,
  type HmacScheme,
  IDENTITY_ONLY_SCHEME,
  identityFromCiEnvironment,
  requestCiOidcToken,
  signRunnerClaims,
  signRunnerIdentity,
} from '@cavra/auth';
import type { EvaluateRequestInit, RunnerIdentityInit } from '@cavra/contracts';
import { decodeJwt } from 'jose/jwt/decode';
import type { DaemonClient } from './daemon-client.js';

/** How requests are authenticated: an HMAC key, a given OIDC token, or the CI job's own OIDC token. */
export type RunnerAuthSettings =
  | {
      readonly hmac: {
        readonly keyId: string;
        readonly secret: Uint8Array | string;
        readonly ttlSeconds?: number;
        /**
         * Default `CAVRA-RUNNER-HMAC-V1` (binds the request, time-bound). `cavra.runner-auth.v1`: upstream's
         * identity-only form, for a daemon that knows only it; it binds nothing of the request.
         */
        readonly scheme?: HmacScheme;
      };
    }
  | { readonly oidc: { readonly token: string } }
  | {
      readonly oidc: {
        readonly audience: string;
        readonly fromEnvironment: true;
        readonly env?: NodeJS.ProcessEnv;
      };
    };

// Fetch a new CI token when the cached one has less than this left.
const TOKEN_REFRESH_MARGIN_S = 60;

/**
 * Wraps a client so every request carries runner_auth: signed with HMAC (fresh time bound per request), or with the
 * OIDC token attached (from the CI environment: fetched once and refreshed before it expires). The identity is
 * `options.identity`, else the request's own `runner_auth.identity`, else what the CI variables say (the `env` given
 * for the OIDC token, or the process's).
 */
export function withRunnerAuth(
  client: DaemonClient,
  auth: RunnerAuthSettings,
  options: { readonly identity?: RunnerIdentityInit } = {},
): DaemonClient {
  let cached: { token: string; exp: number } | undefined;
  const token = async (): Promise<string> => {
    if (!('oidc' in auth)) throw new TypeError('unreachable');
    if ('token' in auth.oidc) return auth.oidc.token;
    const now = Date.now() / 1000;
    if (!cached || cached.exp - now < TOKEN_REFRESH_MARGIN_S) {
      const fresh = await requestCiOidcToken({
        audience: auth.oidc.audience,
        ...(auth.oidc.env ? { env: auth.oidc.env } : {}),
      });
      cached = { token: fresh, exp: expiry(fresh) };
    }
    return cached.token;
  };
  const env = 'oidc' in auth && 'env' in auth.oidc && auth.oidc.env ? auth.oidc.env : process.env;
  const identityOf = (request: EvaluateRequestInit) =>
    options.identity ?? request.runner_auth?.identity ?? identityFromCiEnvironment(env);
  const authenticate = async (request: EvaluateRequestInit) => {
    const identity = identityOf(request);
    if ('hmac' in auth && auth.hmac.scheme === IDENTITY_ONLY_SCHEME) {
      return signRunnerIdentity(request, {
        keyId: auth.hmac.keyId,
        secret: auth.hmac.secret,
        ...(identity ? { identity } : {}),
      });
    }
    if ('hmac' in auth) {
      return signRunnerClaims(request, {
        keyId: auth.hmac.keyId,
        secret: auth.hmac.secret,
        ...(auth.hmac.ttlSeconds ? { ttlSeconds: auth.hmac.ttlSeconds } : {}),
        ...(identity ? { identity } : {}),
      });
    }
    // Passing undefined would make attachOidcToken read process.env, not the env the token came from.
    return attachOidcToken(request, await token(), identity ?? {});
  };
  return {
    async evaluate(request, evaluateOptions) {
      return client.evaluate(await authenticate(request), evaluateOptions);
    },
    health: (callOptions) => client.health(callOptions),
    listApprovals: (filter, callOptions) => client.listApprovals(filter, callOptions),
    showApproval: (requestId, callOptions) => client.showApproval(requestId, callOptions),
    reviewApproval: (review, callOptions) => client.reviewApproval(review, callOptions),
    reportActionOutcome: (outcome, callOptions) => client.reportActionOutcome(outcome, callOptions),
    close: () => client.close(),
  };
}

function expiry(token: string): number {
  try {
    return decodeJwt(token).exp ?? 0;
  } catch {
    return 0; // not a JWT we can read: refetch next time, the daemon will judge it
  }
}

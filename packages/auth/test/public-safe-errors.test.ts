// Every error code, raised for real, and none of them carries a secret, a token or a signature: not in the
// message, the string form, the JSON form, the stack or a cause.
import { EvaluateRequestCodec, type RunnerIdentityInit } from '@cavra/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachOidcToken,
  createKeyring,
  createOidcVerifier,
  type OidcVerifier,
  ReplayCache,
  RUNNER_AUTH_ERROR_CODES,
  RunnerAuthError,
  type RunnerAuthErrorCode,
  requestCiOidcToken,
  signRunnerClaims,
  verifyRunnerAuth,
} from '../src/index.js';
import { JwksServer, mint, type SigningKey, signingKey } from './support/jwks-server.js';
import { IDENTITY, NOW, REQUEST, SECRET } from './support/requests.js';

const iat = NOW.getTime() / 1000;
const CLAIMS = {
  iss: 'https://token.actions.githubusercontent.com',
  aud: 'cavra',
  iat,
  exp: iat + 300,
  repository: 'acme/app',
  ref: 'refs/heads/main',
  sha: 'abc123',
  workflow: 'Release Governance',
  run_id: '123456',
};
const GITHUB: RunnerIdentityInit = { provider: 'github-actions' };
const JOB_TOKEN = 'ci-job-bearer-token-do-not-log-0123456789';
const SHORT_SECRET = 'short-secret-never-shown';

const keyring = createKeyring([{ keyId: 'ci-runner-2026-q2', secret: Buffer.from(SECRET) }]);
const at = (iso: string) => () => new Date(iso);
const sign = (overrides: Partial<typeof REQUEST> = {}, ttlSeconds = 300) =>
  signRunnerClaims(
    { ...REQUEST, ...overrides },
    { keyId: 'ci-runner-2026-q2', secret: SECRET, now: NOW, ttlSeconds },
  );

let key: SigningKey;
let jwks: JwksServer;
let verifier: OidcVerifier;
const forbidden = new Set<string>([SECRET, SHORT_SECRET, JOB_TOKEN]);

/** Remembers every secret value a scenario handles, in each encoding someone might print it in. */
function secretsOf(value: string): string {
  forbidden.add(value);
  const mac = value.replace(/^CAVRA-RUNNER-HMAC-V1:/, '');
  if (/^[A-Za-z0-9_-]{43}$/.test(mac)) {
    forbidden.add(mac);
    const raw = Buffer.from(mac, 'base64url');
    forbidden.add(raw.toString('hex'));
    forbidden.add(raw.toString('base64'));
  }
  for (const part of value.split('.')) if (part.length >= 16) forbidden.add(part);
  return value;
}

const signed = (request: ReturnType<typeof sign>) => {
  secretsOf(request.runner_auth?.signature as string);
  return request;
};
const token = async (claims: Record<string, unknown>, header: Record<string, unknown> = {}) =>
  secretsOf(await mint(key, claims, header));
const oidc = (jwt: string, identity: RunnerIdentityInit = GITHUB) =>
  attachOidcToken({ session_id: 's', policy_pack: 'p' }, jwt, identity);

beforeAll(async () => {
  key = await signingKey('rsa-1', 'RS256');
  jwks = await JwksServer.start([key]);
  verifier = await createOidcVerifier({
    providers: [{ provider: 'github-actions', audience: 'cavra', jwksUri: jwks.jwksUri }],
    trust: { providers: ['github-actions'], repositories: ['acme/*'], refs: ['refs/heads/main'] },
    now: () => NOW,
  });
});
afterAll(() => jwks.stop());

const SCENARIOS: Record<RunnerAuthErrorCode, () => unknown> = {
  missing_auth: () => verifyRunnerAuth(EvaluateRequestCodec.fromJSON({ session_id: 's' }), keyring),
  unsupported_algorithm: async () => verifyRunnerAuth(oidc(await token(CLAIMS)), keyring),
  unknown_key: () =>
    verifyRunnerAuth(
      signed(signRunnerClaims(REQUEST, { keyId: 'retired', secret: SECRET, now: NOW })),
      keyring,
    ),
  bad_encoding: () => {
    const request = signed(sign());
    const mac = String(request.runner_auth?.signature).split(':')[1] as string;
    (request.runner_auth as { signature: string }).signature = Buffer.from(mac, 'base64url').toString(
      'base64',
    );
    return verifyRunnerAuth(request, keyring);
  },
  scheme_not_enabled: () => {
    const request = signed(sign());
    const mac = String(request.runner_auth?.signature).split(':')[1] as string;
    (request.runner_auth as { signature: string }).signature = Buffer.from(mac, 'base64url').toString('hex');
    return verifyRunnerAuth(request, keyring);
  },
  bad_signature: () => {
    const json = EvaluateRequestCodec.toJSON(signed(sign()));
    return verifyRunnerAuth(EvaluateRequestCodec.fromJSON({ ...json, target: 'rm -rf /' }), keyring, {
      now: at('2026-11-25T10:01:00Z'),
    });
  },
  expired: () => verifyRunnerAuth(signed(sign()), keyring, { now: at('2026-11-25T11:00:00Z') }),
  not_yet_valid: () => verifyRunnerAuth(signed(sign()), keyring, { now: at('2026-11-25T09:00:00Z') }),
  ttl_too_long: () => verifyRunnerAuth(signed(sign({}, 3600)), keyring, { now: at('2026-11-25T10:01:00Z') }),
  replayed: () => {
    const options = { now: at('2026-11-25T10:01:00Z'), replayCache: new ReplayCache() };
    const request = signed(sign());
    verifyRunnerAuth(request, keyring, options);
    return verifyRunnerAuth(request, keyring, options);
  },
  replay_cache_full: () => {
    const options = { now: at('2026-11-25T10:01:00Z'), replayCache: new ReplayCache({ maxEntries: 1 }) };
    verifyRunnerAuth(signed(sign({ session_id: 'a' })), keyring, options);
    return verifyRunnerAuth(signed(sign({ session_id: 'b' })), keyring, options);
  },
  claim_mismatch: async () => verifier.verify(oidc(await token(CLAIMS), { ...GITHUB, sha: 'other' })),
  missing_claim: async () => verifier.verify(oidc(await token({ ...CLAIMS, sha: undefined }))),
  untrusted_provider: async () => verifier.verify(oidc(await token(CLAIMS), { provider: 'gitlab-ci' })),
  untrusted_repository: async () => verifier.verify(oidc(await token({ ...CLAIMS, repository: 'evil/app' }))),
  untrusted_ref: async () => verifier.verify(oidc(await token({ ...CLAIMS, ref: 'refs/heads/dev' }))),
  bad_token: async () => {
    const [header, payload] = (await token(CLAIMS)).split('.');
    const forged = secretsOf(`${header}.${payload}.%%%not-base64url%%%`);
    return verifier.verify(
      EvaluateRequestCodec.fromJSON({
        runner_auth: { algorithm: 'OIDC-JWT', signature: forged, identity: { ...IDENTITY } },
      }),
    );
  },
  wrong_issuer: async () => verifier.verify(oidc(await token({ ...CLAIMS, iss: 'https://evil.example' }))),
  wrong_audience: async () => verifier.verify(oidc(await token({ ...CLAIMS, aud: 'other' }))),
  disallowed_algorithm: async () => {
    const [, payload, signature] = (await token(CLAIMS)).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    return verifier.verify(oidc(secretsOf(`${header}.${payload}.${signature}`)));
  },
  jwks_unavailable: () =>
    requestCiOidcToken({
      audience: 'cavra',
      env: {
        GITHUB_ACTIONS: 'true',
        ACTIONS_ID_TOKEN_REQUEST_URL: `${jwks.origin}/not-here`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: JOB_TOKEN,
      },
    }),
  invalid_config: () => createKeyring([{ keyId: 'short', secret: Buffer.from(SHORT_SECRET) }]),
};

const MESSAGES: Record<RunnerAuthErrorCode, string> = {
  missing_auth: 'request carries no runner_auth',
  unsupported_algorithm: 'runner_auth algorithm is not HMAC-SHA256',
  unknown_key: "unknown HMAC key id 'retired'",
  bad_encoding:
    'signature must be CAVRA-RUNNER-HMAC-V1: followed by the 32-byte HMAC in unpadded base64url (43 characters)',
  scheme_not_enabled:
    "signature is in the identity-only scheme cavra.runner-auth.v1 (hex), which HMAC key 'ci-runner-2026-q2' is not enabled for; sign with CAVRA-RUNNER-HMAC-V1, or mark the key with scheme cavra.runner-auth.v1",
  bad_signature: 'signature does not match the signed request fields',
  expired: 'runner claims have expired',
  not_yet_valid: 'runner claims are issued in the future',
  ttl_too_long: 'validity window is longer than 600 seconds',
  replayed: 'this signature was already used',
  replay_cache_full: 'too many live signatures to remember; retry shortly',
  claim_mismatch: "token claim 'sha' does not match runner_auth.identity.sha",
  missing_claim: 'token has no claim for identity sha',
  untrusted_provider: "provider 'gitlab-ci' is not configured",
  untrusted_repository: "repository 'evil/app' is not trusted",
  untrusted_ref: "ref 'refs/heads/dev' is not trusted",
  bad_token: 'token is malformed',
  wrong_issuer: 'token issuer is not the configured issuer',
  wrong_audience: 'token audience is not the configured audience',
  disallowed_algorithm: 'token algorithm is not one of RS256',
  jwks_unavailable: 'CI OIDC token endpoint answered HTTP 404',
  invalid_config: "HMAC key 'short' is shorter than 32 bytes",
};

async function raise(scenario: () => unknown): Promise<RunnerAuthError> {
  try {
    await scenario();
  } catch (error) {
    if (error instanceof RunnerAuthError) return error;
    throw error;
  }
  throw new Error('the scenario did not fail');
}

describe('every RunnerAuthError is public-safe', () => {
  it('has a scenario for every code', () => {
    expect(Object.keys(SCENARIOS).sort()).toEqual([...RUNNER_AUTH_ERROR_CODES].sort());
  });

  const raised = new Map<RunnerAuthErrorCode, RunnerAuthError>();

  it.each(RUNNER_AUTH_ERROR_CODES)('%s', async (code) => {
    const error = await raise(SCENARIOS[code]);
    raised.set(code, error);
    expect([error.code, error.message, error.cause]).toEqual([code, MESSAGES[code], undefined]);
  });

  it('shows no secret, token or signature of any scenario in any error', () => {
    expect(raised.size).toBe(RUNNER_AUTH_ERROR_CODES.length);
    for (const error of raised.values()) {
      const shown = [error.message, String(error), JSON.stringify(error), error.stack ?? ''].join('\n');
      for (const value of forbidden) expect(shown).not.toContain(value);
    }
  });
});

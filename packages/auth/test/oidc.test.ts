import { createHmac } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvaluateRequestCodec, type RunnerIdentityInit } from '@cavra/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attachOidcToken,
  createOidcVerifier,
  createRunnerAuthenticator,
  type OidcVerifier,
  RunnerAuthError,
} from '../src/index.js';
import { JwksServer, mint, type SigningKey, signingKey } from './support/jwks-server.js';

const NOW = new Date('2026-11-25T10:00:00Z');
const iat = NOW.getTime() / 1000;
const ISSUER = 'https://token.actions.githubusercontent.com';

const GITHUB_CLAIMS = {
  iss: ISSUER,
  aud: 'cavra',
  sub: 'repo:acme/app:ref:refs/heads/main',
  iat,
  nbf: iat,
  exp: iat + 300,
  repository: 'acme/app',
  ref: 'refs/heads/main',
  sha: 'abc123',
  workflow: 'Release Governance',
  run_id: '123456',
  run_attempt: '1',
  actor: 'octocat',
};
const GITHUB_IDENTITY: RunnerIdentityInit = {
  provider: 'github-actions',
  repository: 'acme/app',
  ref: 'refs/heads/main',
  sha: 'abc123',
  workflow: 'Release Governance',
  run_id: '123456',
};

let rsa: SigningKey;
let ec: SigningKey;
let jwks: JwksServer;
let verifier: OidcVerifier;

beforeAll(async () => {
  rsa = await signingKey('rsa-1', 'RS256');
  ec = await signingKey('ec-1', 'ES256');
  jwks = await JwksServer.start([rsa, ec]);
  verifier = await github();
});
afterAll(() => jwks.stop());

function github(overrides: Record<string, unknown> = {}, now = NOW) {
  return createOidcVerifier({
    providers: [
      {
        provider: 'github-actions',
        audience: 'cavra',
        jwksUri: jwks.jwksUri,
        algorithms: ['RS256', 'ES256'],
        ...overrides,
      },
    ],
    trust: {
      providers: ['github-actions'],
      repositories: ['acme/*'],
      refs: ['refs/heads/main', 'refs/tags/v*'],
    },
    now: () => now,
  });
}

const request = (token: string, identity: RunnerIdentityInit = GITHUB_IDENTITY) =>
  attachOidcToken(
    { session_id: 's', action_type: 'git_push', target: 'main', policy_pack: 'p' },
    token,
    identity,
  );

async function failure(promise: Promise<unknown>): Promise<[string, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RunnerAuthError) return [error.code, error.message];
    throw error;
  }
  throw new Error('expected a RunnerAuthError');
}

describe('OIDC-JWT verification against a JWKS on loopback', () => {
  it('verifies RS256 and ES256 tokens and returns the identity from the token', async () => {
    for (const key of [rsa, ec]) {
      const runner = await verifier.verify(request(await mint(key, GITHUB_CLAIMS)));
      expect(runner).toEqual({
        algorithm: 'OIDC-JWT',
        keyId: key.kid,
        identity: {
          provider: 'github-actions',
          repository: 'acme/app',
          workflow: 'Release Governance',
          runId: '123456',
          runAttempt: '1',
          ref: 'refs/heads/main',
          sha: 'abc123',
          actor: 'octocat',
          job: '',
          runnerName: '',
        },
        issuedAt: '2026-11-25T10:00:00Z',
        expiresAt: '2026-11-25T10:05:00Z',
        issuer: ISSUER,
        subject: 'repo:acme/app:ref:refs/heads/main',
      });
    }
  });

  it('fetches the key set once and again when a rotated key appears', async () => {
    const local = await github();
    const before = jwks.requests;
    await local.verify(request(await mint(rsa, GITHUB_CLAIMS)));
    await local.verify(request(await mint(rsa, GITHUB_CLAIMS)));
    expect(jwks.requests - before).toBe(1);
    const rotated = await signingKey('rsa-2', 'RS256');
    jwks.keys = [rotated, rsa, ec];
    // jose refetches on an unknown kid only after its cooldown; a fresh verifier shows the new key is served.
    const fresh = await github();
    expect((await fresh.verify(request(await mint(rotated, GITHUB_CLAIMS)))).keyId).toBe('rsa-2');
    jwks.keys = [rsa, ec];
  });

  const cases: readonly [string, () => Promise<string>, RunnerIdentityInit, string, string][] = [
    [
      'expired',
      () => mint(rsa, { ...GITHUB_CLAIMS, iat: iat - 900, nbf: iat - 900, exp: iat - 120 }),
      GITHUB_IDENTITY,
      'expired',
      'token has expired',
    ],
    [
      'not yet valid',
      () => mint(rsa, { ...GITHUB_CLAIMS, nbf: iat + 600 }),
      GITHUB_IDENTITY,
      'not_yet_valid',
      "token 'nbf' is in the future",
    ],
    [
      'wrong issuer',
      () => mint(rsa, { ...GITHUB_CLAIMS, iss: 'https://evil.example' }),
      GITHUB_IDENTITY,
      'wrong_issuer',
      'token issuer is not the configured issuer',
    ],
    [
      'wrong audience',
      () => mint(rsa, { ...GITHUB_CLAIMS, aud: 'someone-else' }),
      GITHUB_IDENTITY,
      'wrong_audience',
      'token audience is not the configured audience',
    ],
    [
      'missing exp',
      () => mint(rsa, { ...GITHUB_CLAIMS, exp: undefined }),
      GITHUB_IDENTITY,
      'missing_claim',
      "token has no 'exp' claim",
    ],
    [
      'missing sha claim',
      () => mint(rsa, { ...GITHUB_CLAIMS, sha: undefined }),
      GITHUB_IDENTITY,
      'missing_claim',
      'token has no claim for identity sha',
    ],
    [
      'ref mismatch',
      () => mint(rsa, GITHUB_CLAIMS),
      { ...GITHUB_IDENTITY, ref: 'refs/heads/dev' },
      'claim_mismatch',
      "token claim 'ref' does not match runner_auth.identity.ref",
    ],
    [
      'run id mismatch',
      () => mint(rsa, GITHUB_CLAIMS),
      { ...GITHUB_IDENTITY, run_id: '999' },
      'claim_mismatch',
      "token claim 'run_id' does not match runner_auth.identity.run_id",
    ],
    [
      'untrusted repository',
      () => mint(rsa, { ...GITHUB_CLAIMS, repository: 'evil/app' }),
      { ...GITHUB_IDENTITY, repository: 'evil/app' },
      'untrusted_repository',
      'repository is not trusted',
    ],
    [
      'untrusted ref',
      () => mint(rsa, { ...GITHUB_CLAIMS, ref: 'refs/heads/dev' }),
      { ...GITHUB_IDENTITY, ref: 'refs/heads/dev' },
      'untrusted_ref',
      'ref is not trusted',
    ],
    [
      'unknown provider',
      () => mint(rsa, GITHUB_CLAIMS),
      { ...GITHUB_IDENTITY, provider: 'gitlab-ci' },
      'untrusted_provider',
      "provider 'gitlab-ci' is not configured",
    ],
    [
      'unknown kid',
      async () => mint(await signingKey('stranger', 'RS256'), GITHUB_CLAIMS),
      GITHUB_IDENTITY,
      'unknown_key',
      'no key of the provider JWKS matches the token',
    ],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await mint(rsa, GITHUB_CLAIMS)).split('.');
        const payload = Buffer.from(JSON.stringify({ ...GITHUB_CLAIMS, repository: 'acme/other' })).toString(
          'base64url',
        );
        return `${h}.${payload}.${s}`;
      },
      { ...GITHUB_IDENTITY, repository: 'acme/other' },
      'bad_signature',
      'token signature does not verify',
    ],
    [
      'alg none',
      async () => {
        const h = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        return `${h}.${Buffer.from(JSON.stringify(GITHUB_CLAIMS)).toString('base64url')}.`;
      },
      GITHUB_IDENTITY,
      'disallowed_algorithm',
      'token algorithm is not one of RS256, ES256',
    ],
    [
      'HS256 signed with the public key',
      async () => {
        const h = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' })).toString(
          'base64url',
        );
        const p = Buffer.from(JSON.stringify(GITHUB_CLAIMS)).toString('base64url');
        const mac = createHmac('sha256', JSON.stringify(rsa.jwk)).update(`${h}.${p}`).digest('base64url');
        return `${h}.${p}.${mac}`;
      },
      GITHUB_IDENTITY,
      'disallowed_algorithm',
      'token algorithm is not one of RS256, ES256',
    ],
    [
      'not a JWT',
      async () => 'not-a-jwt',
      GITHUB_IDENTITY,
      'bad_token',
      'runner_auth.signature is not a JWT',
    ],
  ];

  it.each(cases)('rejects %s', async (_name, token, identity, code, message) => {
    let built: ReturnType<typeof request>;
    const value = await token();
    try {
      built = request(value, identity);
    } catch {
      // attachOidcToken refuses non-JWTs itself; build the request by hand to reach the verifier.
      built = EvaluateRequestCodec.fromJSON({
        session_id: 's',
        runner_auth: { algorithm: 'OIDC-JWT', key_id: '', signature: value, identity },
      });
    }
    const result = await failure(verifier.verify(built));
    expect(result).toEqual([code, message]);
    expect(result[1]).not.toContain(value);
  });

  it('reports an unreachable JWKS as jwks_unavailable', async () => {
    const down = await JwksServer.start([rsa]);
    const uri = down.jwksUri;
    await down.stop();
    const local = await github({ jwksUri: uri });
    expect(await failure(local.verify(request(await mint(rsa, GITHUB_CLAIMS))))).toEqual([
      'jwks_unavailable',
      'provider JWKS is unavailable',
    ]);
  });

  it('verifies against a local JWKS file for air-gapped runners', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-jwks-'));
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [ec.jwk] }));
    const local = await github({ jwksFile: join(dir, 'jwks.json'), jwksUri: undefined });
    expect((await local.verify(request(await mint(ec, GITHUB_CLAIMS)))).keyId).toBe('ec-1');
    expect(await failure(local.verify(request(await mint(rsa, GITHUB_CLAIMS))))).toEqual([
      'unknown_key',
      'no key of the provider JWKS matches the token',
    ]);
  });

  it('refuses unsafe configuration', async () => {
    await expect(github({ algorithms: ['RS256', 'HS256'] })).rejects.toThrow(
      "provider 'github-actions': only asymmetric algorithms may be allowed",
    );
    await expect(github({ audience: '' })).rejects.toThrow("provider 'github-actions' needs an audience");
    await expect(
      createOidcVerifier({
        providers: [{ provider: 'azure-pipelines', audience: 'x' }],
        trust: { providers: [], repositories: ['*'] },
      }),
    ).rejects.toThrow("provider 'azure-pipelines' needs an issuer");
    await expect(
      createOidcVerifier({ providers: [], trust: { providers: ['github-actions'], repositories: [] } }),
    ).rejects.toThrow('trust policy lists no repositories: nothing would be trusted');
  });
});

describe('provider profiles', () => {
  it('maps GitLab CI and Azure Pipelines claims onto RunnerIdentity', async () => {
    const local = await createOidcVerifier({
      providers: [
        { provider: 'gitlab-ci', audience: 'cavra', issuer: 'https://gitlab.example', jwksUri: jwks.jwksUri },
        {
          provider: 'azure-pipelines',
          audience: 'api://AzureADTokenExchange',
          issuer: 'https://vstoken.dev.azure.com/org-1',
          jwksUri: jwks.jwksUri,
        },
      ],
      trust: {
        providers: ['gitlab-ci', 'azure-pipelines'],
        repositories: ['acme/app', 'https://dev.azure.com/acme/app/_git/app'],
      },
      now: () => NOW,
    });
    const base = { iat, exp: iat + 300 };
    const gitlab = await local.verify(
      request(
        await mint(rsa, {
          ...base,
          iss: 'https://gitlab.example',
          aud: 'cavra',
          project_path: 'acme/app',
          ref: 'v1.2.0',
          ref_type: 'tag',
          sha: 'abc',
          pipeline_id: '77',
          job_id: '901',
          user_login: 'dev',
        }),
        { provider: 'gitlab-ci', repository: 'acme/app', ref: 'refs/tags/v1.2.0' },
      ),
    );
    expect(gitlab.identity).toMatchObject({
      repository: 'acme/app',
      ref: 'refs/tags/v1.2.0',
      sha: 'abc',
      runId: '77',
      job: '901',
      actor: 'dev',
    });
    const azure = await local.verify(
      request(
        await mint(rsa, {
          ...base,
          iss: 'https://vstoken.dev.azure.com/org-1',
          aud: 'api://AzureADTokenExchange',
          sub: 'p://acme/app/release',
          rpo_uri: 'https://dev.azure.com/acme/app/_git/app',
          rpo_ref: 'refs/heads/main',
          rpo_ver: 'def',
          run_id: '55',
        }),
        { provider: 'azure-pipelines', workflow: 'release' },
      ),
    );
    expect(azure.identity).toMatchObject({
      repository: 'https://dev.azure.com/acme/app/_git/app',
      workflow: 'release',
      ref: 'refs/heads/main',
      sha: 'def',
      runId: '55',
    });
  });
});

describe('createRunnerAuthenticator', () => {
  it('dispatches by algorithm and refuses algorithms that are not enabled', async () => {
    const authenticator = await createRunnerAuthenticator(
      {
        oidc: {
          providers: [{ provider: 'github-actions', audience: 'cavra', jwksUri: jwks.jwksUri }],
          trust: { providers: ['github-actions'], repositories: ['acme/app'] },
        },
      },
      { now: () => NOW },
    );
    expect((await authenticator.authenticate(request(await mint(rsa, GITHUB_CLAIMS)))).algorithm).toBe(
      'OIDC-JWT',
    );
    const hmac = EvaluateRequestCodec.fromJSON({
      runner_auth: { algorithm: 'HMAC-SHA256', key_id: 'k', signature: 'x' },
    });
    expect(await failure(authenticator.authenticate(hmac))).toEqual([
      'unsupported_algorithm',
      'runner_auth algorithm is not enabled on this daemon',
    ]);
    expect(await failure(authenticator.authenticate(EvaluateRequestCodec.fromJSON({})))).toEqual([
      'missing_auth',
      'request carries no runner_auth',
    ]);
  });
});

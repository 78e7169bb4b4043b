import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EvaluateRequestCodec, type RunnerIdentityInit } from '@cavra/contracts';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  attachOidcToken,
  createOidcVerifier,
  createRunnerAuthenticator,
  type OidcVerifier,
  type OidcVerifierOptions,
  PROVIDER_PROFILES,
  RunnerAuthError,
} from '../src/index.js';
import { type JwksBehaviour, JwksServer, mint, type SigningKey, signingKey } from './support/jwks-server.js';

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
const GITLAB_CLAIMS = {
  iss: 'https://gitlab.example',
  aud: 'cavra',
  sub: 'project_path:acme/app:ref_type:tag:ref:v1.2.0',
  iat,
  exp: iat + 300,
  project_path: 'acme/app',
  ref: 'v1.2.0',
  ref_type: 'tag',
  sha: 'abc',
  pipeline_id: '77',
  job_id: '901',
  user_login: 'dev',
};
const AZURE_CLAIMS = {
  iss: 'https://vstoken.dev.azure.com/org-1',
  aud: 'api://AzureADTokenExchange',
  sub: 'p://acme/app/release',
  iat,
  exp: iat + 300,
  org_id: 'org-1',
  def_id: '12',
  rpo_uri: 'https://dev.azure.com/acme/app/_git/app',
  rpo_ref: 'refs/heads/main',
  rpo_ver: 'def',
  run_id: '55',
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

function github(
  overrides: Record<string, unknown> = {},
  now = NOW,
  options: Partial<OidcVerifierOptions> = {},
) {
  return createOidcVerifier({
    ...options,
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
        requestBound: false,
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
        verifiedFields: ['provider', 'repository', 'workflow', 'runId', 'runAttempt', 'ref', 'sha', 'actor'],
        issuedAt: '2026-11-25T10:00:00Z',
        expiresAt: '2026-11-25T10:05:00Z',
        issuer: ISSUER,
        subject: 'repo:acme/app:ref:refs/heads/main',
      });
    }
  });

  it('verifies a plain object as it verifies the decoded message', async () => {
    const token = await mint(rsa, GITHUB_CLAIMS);
    const plain = {
      session_id: 's',
      action_type: 'git_push',
      target: 'main',
      policy_pack: 'p',
      runner_auth: { algorithm: 'OIDC-JWT', signature: token, identity: { provider: 'github-actions' } },
    };
    expect(await verifier.verify(plain)).toEqual(await verifier.verify(request(token)));
    expect(
      await failure(
        verifier.verify({ runner_auth: { algorithm: 'OIDC-JWT', identity: { provider: 'github-actions' } } }),
      ),
    ).toEqual(['bad_token', 'runner_auth.signature is not a JWT']);
  });

  it('fetches the key set once, and again when a token names a rotated-in key after the cooldown', async () => {
    const local = await github({}, NOW, { jwksCooldownMs: 0 });
    const before = jwks.requests;
    await local.verify(request(await mint(rsa, GITHUB_CLAIMS)));
    await local.verify(request(await mint(ec, GITHUB_CLAIMS)));
    expect(jwks.requests - before).toBe(1);
    const rotated = await signingKey('rsa-2', 'RS256');
    jwks.keys = [rotated, ec];
    try {
      // The same verifier: the unknown kid makes jose fetch the key set again (no cooldown here).
      expect((await local.verify(request(await mint(rotated, GITHUB_CLAIMS)))).keyId).toBe('rsa-2');
      expect(jwks.requests - before).toBe(2);
    } finally {
      jwks.keys = [rsa, ec];
    }
  });

  it('does not refetch for an unknown kid within the cooldown (default 30 s)', async () => {
    const local = await github();
    await local.verify(request(await mint(rsa, GITHUB_CLAIMS)));
    const before = jwks.requests;
    const rotated = await signingKey('rsa-3', 'RS256');
    jwks.keys = [rotated, rsa, ec];
    try {
      expect(await failure(local.verify(request(await mint(rotated, GITHUB_CLAIMS))))).toEqual([
        'unknown_key',
        'no key of the provider JWKS matches the token',
      ]);
      expect(jwks.requests - before).toBe(0);
    } finally {
      jwks.keys = [rsa, ec];
    }
  });

  it('refuses a retired key once the cached key set has expired', async () => {
    const local = await github({}, NOW, { jwksCacheMaxAgeMs: 0 });
    expect((await local.verify(request(await mint(rsa, GITHUB_CLAIMS)))).keyId).toBe('rsa-1');
    jwks.keys = [ec];
    try {
      expect(await failure(local.verify(request(await mint(rsa, GITHUB_CLAIMS))))).toEqual([
        'unknown_key',
        'no key of the provider JWKS matches the token',
      ]);
    } finally {
      jwks.keys = [rsa, ec];
    }
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
      "repository 'evil/app' is not trusted",
    ],
    [
      'untrusted ref',
      () => mint(rsa, { ...GITHUB_CLAIMS, ref: 'refs/heads/dev' }),
      { ...GITHUB_IDENTITY, ref: 'refs/heads/dev' },
      'untrusted_ref',
      "ref 'refs/heads/dev' is not trusted",
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
      'issued in the future (iat beyond the skew, no nbf)',
      () => mint(rsa, { ...GITHUB_CLAIMS, nbf: undefined, iat: iat + 120, exp: iat + 420 }),
      GITHUB_IDENTITY,
      'not_yet_valid',
      "token 'iat' is in the future",
    ],
    [
      'missing iat',
      () => mint(rsa, { ...GITHUB_CLAIMS, iat: undefined }),
      GITHUB_IDENTITY,
      'missing_claim',
      "token has no 'iat' claim",
    ],
    [
      'missing iss',
      () => mint(rsa, { ...GITHUB_CLAIMS, iss: undefined }),
      GITHUB_IDENTITY,
      'missing_claim',
      "token has no 'iss' claim",
    ],
    [
      'missing aud',
      () => mint(rsa, { ...GITHUB_CLAIMS, aud: undefined }),
      GITHUB_IDENTITY,
      'missing_claim',
      "token has no 'aud' claim",
    ],
    [
      'a multi-line identity claim',
      () => mint(rsa, { ...GITHUB_CLAIMS, workflow: 'Release\nGovernance' }),
      { ...GITHUB_IDENTITY, workflow: undefined },
      'bad_token',
      "token claim 'workflow' must be a single line of at most 256 bytes without control characters",
    ],
    [
      'RS256 header naming the EC key',
      async () => mint({ ...rsa, kid: 'ec-1' }, GITHUB_CLAIMS),
      GITHUB_IDENTITY,
      'unknown_key',
      'no key of the provider JWKS matches the token',
    ],
    [
      'PS256 (asymmetric but not allowed)',
      async () => {
        const h = Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'JWT', kid: 'rsa-1' })).toString(
          'base64url',
        );
        return `${h}.${Buffer.from(JSON.stringify(GITHUB_CLAIMS)).toString('base64url')}.c2ln`;
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
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [ec.jwk] }));
    const local = await github({ jwksFile: join(dir, 'jwks.json'), jwksUri: undefined });
    expect((await local.verify(request(await mint(ec, GITHUB_CLAIMS)))).keyId).toBe('ec-1');
    expect(await failure(local.verify(request(await mint(rsa, GITHUB_CLAIMS))))).toEqual([
      'unknown_key',
      'no key of the provider JWKS matches the token',
    ]);
  });

  it('accepts a token issued in the future within the skew', async () => {
    const runner = await verifier.verify(
      request(await mint(rsa, { ...GITHUB_CLAIMS, nbf: undefined, iat: iat + 30, exp: iat + 330 })),
    );
    expect(runner.issuedAt).toBe('2026-11-25T10:00:30Z');
  });

  it('refuses a token that lives longer than the maximum lifetime (default 6 h), however valid otherwise', async () => {
    const tenYears = 10 * 365 * 86_400;
    expect(
      await failure(verifier.verify(request(await mint(rsa, { ...GITHUB_CLAIMS, exp: iat + tenYears })))),
    ).toEqual(['ttl_too_long', 'token lifetime (exp - iat) is longer than 21600 seconds']);
    const six = await verifier.verify(request(await mint(rsa, { ...GITHUB_CLAIMS, exp: iat + 21_600 })));
    expect(six.expiresAt).toBe('2026-11-25T16:00:00Z');
    const hourly = await github({}, NOW, { maxTokenLifetimeSeconds: 3600 });
    expect(
      await failure(hourly.verify(request(await mint(rsa, { ...GITHUB_CLAIMS, exp: iat + 3601 })))),
    ).toEqual(['ttl_too_long', 'token lifetime (exp - iat) is longer than 3600 seconds']);
    await expect(github({}, NOW, { maxTokenLifetimeSeconds: 0 })).rejects.toThrow(
      'maxTokenLifetimeSeconds must be a positive integer',
    );
  });

  it('refuses unsafe configuration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-jwks-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'not-a-set.json'), JSON.stringify({ keys: 'none' }));
    await expect(github({ jwksFile: join(dir, 'not-a-set.json') })).rejects.toThrow(
      "provider 'github-actions': its JWKS file cannot be read as a JSON Web Key Set",
    );
    await expect(github({ jwksUri: 'not a url' })).rejects.toThrow(
      "provider 'github-actions': jwksUri is not a URL",
    );
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

describe('JWKS fetching is bounded and fails closed', () => {
  let bad: JwksServer;
  beforeAll(async () => {
    bad = await JwksServer.start([rsa]);
  });
  afterAll(() => bad.stop());

  const at = (behaviour: JwksBehaviour, options: Partial<OidcVerifierOptions> = {}) => {
    bad.behaviour = behaviour;
    return github({ jwksUri: bad.jwksUri }, NOW, options);
  };

  it.each([
    ['hang', 'provider JWKS did not answer in time'],
    ['stall', 'provider JWKS did not answer in time'],
    ['error', 'provider JWKS is unavailable'],
  ] as const)('%s: jwks_unavailable', async (behaviour, message) => {
    const local = await at(behaviour, { jwksTimeoutMs: 200 });
    expect(await failure(local.verify(request(await mint(rsa, GITHUB_CLAIMS))))).toEqual([
      'jwks_unavailable',
      message,
    ]);
  });

  it.each(['oversized-declared', 'oversized-chunked'] as const)(
    '%s: a key set larger than jwksMaxBytes is refused',
    async (behaviour) => {
      bad.padBytes = 4096;
      try {
        const local = await at(behaviour, { jwksMaxBytes: 4096 });
        expect(await failure(local.verify(request(await mint(rsa, GITHUB_CLAIMS))))).toEqual([
          'jwks_unavailable',
          'provider JWKS response is larger than 4096 bytes',
        ]);
        // The same padded key set within the limit verifies: the bound, not the padding, refused it.
        const roomy = await at(behaviour, { jwksMaxBytes: 65_536 });
        expect((await roomy.verify(request(await mint(rsa, GITHUB_CLAIMS)))).keyId).toBe('rsa-1');
      } finally {
        bad.padBytes = 0;
      }
    },
  );

  it('refuses JWKS settings that are not non-negative integers', async () => {
    await expect(github({}, NOW, { jwksCooldownMs: -1 })).rejects.toThrow(
      'jwks cooldownMs must be a non-negative integer',
    );
  });
});

describe('issuer defaults', () => {
  it('derives the JWKS location of a self-hosted GitHub or GitLab issuer from the issuer', async () => {
    const gheIssuer = `${jwks.origin}/_services/token`;
    const local = await createOidcVerifier({
      providers: [
        { provider: 'github-actions', audience: 'cavra', issuer: gheIssuer },
        { provider: 'gitlab-ci', audience: 'cavra', issuer: jwks.origin },
      ],
      trust: { providers: ['github-actions', 'gitlab-ci'], repositories: ['acme/app'] },
      now: () => NOW,
    });
    await local.verify(request(await mint(rsa, { ...GITHUB_CLAIMS, iss: gheIssuer })));
    expect(jwks.paths.at(-1)).toBe('/_services/token/.well-known/jwks');
    await local.verify(
      request(
        await mint(rsa, {
          ...GITLAB_CLAIMS,
          iss: jwks.origin,
        }),
        { provider: 'gitlab-ci' },
      ),
    );
    expect(jwks.paths.at(-1)).toBe('/oauth/discovery/keys');
  });

  it('uses the hosted issuers and their JWKS by default and needs both for Azure', async () => {
    expect(
      Object.values(PROVIDER_PROFILES).map((profile) => [
        profile.provider,
        profile.defaultIssuer,
        profile.defaultIssuer && profile.jwksUri?.(profile.defaultIssuer),
        profile.algorithms,
      ]),
    ).toEqual([
      [
        'github-actions',
        'https://token.actions.githubusercontent.com',
        'https://token.actions.githubusercontent.com/.well-known/jwks',
        ['RS256'],
      ],
      ['gitlab-ci', 'https://gitlab.com', 'https://gitlab.com/oauth/discovery/keys', ['RS256']],
      ['azure-pipelines', undefined, undefined, ['RS256']],
    ]);
    await expect(
      createOidcVerifier({
        providers: [
          {
            provider: 'azure-pipelines',
            audience: 'api://AzureADTokenExchange',
            issuer: 'https://vstoken.dev.azure.com/org-1',
          },
        ],
        trust: { providers: ['azure-pipelines'], repositories: ['*'] },
      }),
    ).rejects.toThrow("provider 'azure-pipelines' needs jwksUri or jwksFile");
  });
});

describe('provider profiles', () => {
  let profiles: OidcVerifier;
  beforeAll(async () => {
    profiles = await createOidcVerifier({
      providers: [
        { provider: 'github-actions', audience: 'cavra', jwksUri: jwks.jwksUri },
        { provider: 'gitlab-ci', audience: 'cavra', issuer: 'https://gitlab.example', jwksUri: jwks.jwksUri },
        {
          provider: 'azure-pipelines',
          audience: 'api://AzureADTokenExchange',
          issuer: 'https://vstoken.dev.azure.com/org-1',
          jwksUri: jwks.jwksUri,
        },
      ],
      trust: {
        providers: ['github-actions', 'gitlab-ci', 'azure-pipelines'],
        repositories: ['acme/app', 'https://dev.azure.com/acme/app/_git/app'],
      },
      now: () => NOW,
    });
  });

  it('maps GitLab CI claims: project_path, ref + ref_type, sha, pipeline_id, job_id, user_login', async () => {
    const runner = await profiles.verify(
      request(await mint(rsa, GITLAB_CLAIMS), {
        provider: 'gitlab-ci',
        repository: 'acme/app',
        ref: 'refs/tags/v1.2.0',
        runner_name: 'shared-runner-3',
      }),
    );
    expect([runner.identity, runner.verifiedFields]).toEqual([
      {
        provider: 'gitlab-ci',
        repository: 'acme/app',
        workflow: '',
        runId: '77',
        runAttempt: '',
        ref: 'refs/tags/v1.2.0',
        sha: 'abc',
        actor: 'dev',
        job: '901',
        runnerName: 'shared-runner-3',
      },
      ['provider', 'repository', 'runId', 'ref', 'sha', 'actor', 'job'],
    ]);
    const branch = await profiles.verify(
      request(await mint(rsa, { ...GITLAB_CLAIMS, ref: 'main', ref_type: 'branch' }), {
        provider: 'gitlab-ci',
      }),
    );
    expect(branch.identity.ref).toBe('refs/heads/main');
  });

  it('refuses a GitLab ref without a ref_type of branch or tag', async () => {
    const gitlab = { provider: 'gitlab-ci' };
    expect(
      await failure(
        profiles.verify(request(await mint(rsa, { ...GITLAB_CLAIMS, ref_type: undefined }), gitlab)),
      ),
    ).toEqual(['missing_claim', "token has no 'ref_type' claim"]);
    expect(
      await failure(
        profiles.verify(request(await mint(rsa, { ...GITLAB_CLAIMS, ref_type: 'commit' }), gitlab)),
      ),
    ).toEqual(['bad_token', "token claim 'ref_type' is neither 'branch' nor 'tag'"]);
  });

  it('maps Azure Pipelines claims: rpo_uri, rpo_ref, rpo_ver, run_id and the pipeline from sub', async () => {
    const runner = await profiles.verify(
      request(await mint(rsa, AZURE_CLAIMS), {
        provider: 'azure-pipelines',
        workflow: 'release',
        run_attempt: '2',
        actor: 'dev@example.com',
      }),
    );
    expect([runner.identity, runner.verifiedFields, runner.subject]).toEqual([
      {
        provider: 'azure-pipelines',
        repository: 'https://dev.azure.com/acme/app/_git/app',
        workflow: 'release',
        runId: '55',
        runAttempt: '2',
        ref: 'refs/heads/main',
        sha: 'def',
        actor: 'dev@example.com',
        job: '',
        runnerName: '',
      },
      // run_attempt and actor are the runner's word: Azure's token has no claim for them.
      ['provider', 'repository', 'workflow', 'runId', 'ref', 'sha'],
      'p://acme/app/release',
    ]);
  });

  const mismatches: readonly [string, Record<string, unknown>, RunnerIdentityInit, string, string][] = [
    ['github-actions', GITHUB_CLAIMS, { repository: 'acme/other' }, 'repository', 'repository'],
    ['github-actions', GITHUB_CLAIMS, { workflow: 'Other' }, 'workflow', 'workflow'],
    ['github-actions', GITHUB_CLAIMS, { run_id: '9' }, 'run_id', 'run_id'],
    ['github-actions', GITHUB_CLAIMS, { run_attempt: '2' }, 'run_attempt', 'run_attempt'],
    ['github-actions', GITHUB_CLAIMS, { ref: 'refs/heads/dev' }, 'ref', 'ref'],
    ['github-actions', GITHUB_CLAIMS, { sha: 'fff' }, 'sha', 'sha'],
    ['github-actions', GITHUB_CLAIMS, { actor: 'mallory' }, 'actor', 'actor'],
    ['gitlab-ci', GITLAB_CLAIMS, { repository: 'acme/other' }, 'project_path', 'repository'],
    ['gitlab-ci', GITLAB_CLAIMS, { ref: 'refs/heads/v1.2.0' }, 'ref', 'ref'],
    ['gitlab-ci', GITLAB_CLAIMS, { sha: 'fff' }, 'sha', 'sha'],
    ['gitlab-ci', GITLAB_CLAIMS, { run_id: '9' }, 'pipeline_id', 'run_id'],
    ['gitlab-ci', GITLAB_CLAIMS, { job: '9' }, 'job_id', 'job'],
    ['gitlab-ci', GITLAB_CLAIMS, { actor: 'mallory' }, 'user_login', 'actor'],
    ['azure-pipelines', AZURE_CLAIMS, { repository: 'https://x/_git/y' }, 'rpo_uri', 'repository'],
    ['azure-pipelines', AZURE_CLAIMS, { ref: 'refs/heads/dev' }, 'rpo_ref', 'ref'],
    ['azure-pipelines', AZURE_CLAIMS, { sha: 'fff' }, 'rpo_ver', 'sha'],
    ['azure-pipelines', AZURE_CLAIMS, { run_id: '9' }, 'run_id', 'run_id'],
    ['azure-pipelines', AZURE_CLAIMS, { workflow: 'deploy' }, 'sub', 'workflow'],
  ];

  it.each(mismatches)(
    '%s: claim %s disagreeing with the request is named',
    async (provider, claims, stated, claim, field) => {
      expect(
        await failure(profiles.verify(request(await mint(rsa, claims), { provider, ...stated }))),
      ).toEqual(['claim_mismatch', `token claim '${claim}' does not match runner_auth.identity.${field}`]);
    },
  );

  const required: readonly [string, Record<string, unknown>, string, string][] = [
    ['github-actions', GITHUB_CLAIMS, 'repository', 'repository'],
    ['github-actions', GITHUB_CLAIMS, 'ref', 'ref'],
    ['github-actions', GITHUB_CLAIMS, 'sha', 'sha'],
    ['github-actions', GITHUB_CLAIMS, 'workflow', 'workflow'],
    ['github-actions', GITHUB_CLAIMS, 'run_id', 'run_id'],
    ['gitlab-ci', GITLAB_CLAIMS, 'project_path', 'repository'],
    ['gitlab-ci', GITLAB_CLAIMS, 'ref', 'ref'],
    ['gitlab-ci', GITLAB_CLAIMS, 'sha', 'sha'],
    ['gitlab-ci', GITLAB_CLAIMS, 'pipeline_id', 'run_id'],
    ['azure-pipelines', AZURE_CLAIMS, 'rpo_uri', 'repository'],
    ['azure-pipelines', AZURE_CLAIMS, 'rpo_ref', 'ref'],
    ['azure-pipelines', AZURE_CLAIMS, 'rpo_ver', 'sha'],
    ['azure-pipelines', AZURE_CLAIMS, 'run_id', 'run_id'],
  ];

  it.each(required)('%s: a token without %s is refused', async (provider, claims, claim, field) => {
    expect(
      await failure(
        profiles.verify(request(await mint(rsa, { ...claims, [claim]: undefined }), { provider })),
      ),
    ).toEqual(['missing_claim', `token has no claim for identity ${field}`]);
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

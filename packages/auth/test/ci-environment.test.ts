import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachOidcToken, identityFromCiEnvironment, requestCiOidcToken } from '../src/index.js';
import { mint, signingKey } from './support/jwks-server.js';

const seen: { method?: string; url?: string; authorization?: string }[] = [];
const server = createServer((request, response) => {
  seen.push({ method: request.method, url: request.url, authorization: request.headers.authorization });
  if (request.url?.startsWith('/broken')) return void response.writeHead(500).end();
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify(request.method === 'POST' ? { oidcToken: 'azure-token' } : { value: 'github-token' }),
  );
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('identityFromCiEnvironment', () => {
  it('reads GitHub Actions, GitLab CI and Azure Pipelines variables', () => {
    expect(
      identityFromCiEnvironment({
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'acme/app',
        GITHUB_WORKFLOW: 'Release',
        GITHUB_RUN_ID: '1',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_REF: 'refs/heads/main',
        GITHUB_SHA: 'abc',
        GITHUB_ACTOR: 'octocat',
        GITHUB_JOB: 'release',
        RUNNER_NAME: 'r1',
      }),
    ).toEqual({
      provider: 'github-actions',
      repository: 'acme/app',
      workflow: 'Release',
      run_id: '1',
      run_attempt: '2',
      ref: 'refs/heads/main',
      sha: 'abc',
      actor: 'octocat',
      job: 'release',
      runner_name: 'r1',
    });
    expect(
      identityFromCiEnvironment({
        GITLAB_CI: 'true',
        CI_PROJECT_PATH: 'acme/app',
        CI_PIPELINE_ID: '77',
        CI_COMMIT_TAG: 'v1.0.0',
        CI_COMMIT_SHA: 'def',
        CI_JOB_ID: '9',
      }),
    ).toEqual({
      provider: 'gitlab-ci',
      repository: 'acme/app',
      run_id: '77',
      ref: 'refs/tags/v1.0.0',
      sha: 'def',
      job: '9',
    });
    expect(
      identityFromCiEnvironment({
        TF_BUILD: 'True',
        BUILD_REPOSITORY_URI: 'https://dev.azure.com/acme/app/_git/app',
        BUILD_BUILDID: '55',
        BUILD_SOURCEBRANCH: 'refs/heads/main',
        BUILD_SOURCEVERSION: 'fed',
      }),
    ).toEqual({
      provider: 'azure-pipelines',
      repository: 'https://dev.azure.com/acme/app/_git/app',
      run_id: '55',
      ref: 'refs/heads/main',
      sha: 'fed',
    });
    expect(identityFromCiEnvironment({})).toBeUndefined();
  });
});

describe('requestCiOidcToken', () => {
  it('asks GitHub with the audience, reads GitLab id_tokens, posts to Azure', async () => {
    expect(
      await requestCiOidcToken({
        audience: 'cavra',
        env: {
          GITHUB_ACTIONS: 'true',
          ACTIONS_ID_TOKEN_REQUEST_URL: `${base}/token?api=1`,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-token',
        },
      }),
    ).toBe('github-token');
    expect(seen.at(-1)).toEqual({
      method: 'GET',
      url: '/token?api=1&audience=cavra',
      authorization: 'Bearer req-token',
    });
    expect(
      await requestCiOidcToken({
        audience: 'cavra',
        env: { GITLAB_CI: 'true', CAVRA_ID_TOKEN: 'gitlab-token' },
      }),
    ).toBe('gitlab-token');
    expect(
      await requestCiOidcToken({
        audience: 'cavra',
        env: { TF_BUILD: 'True', SYSTEM_OIDCREQUESTURI: `${base}/oidc`, SYSTEM_ACCESSTOKEN: 'job-token' },
      }),
    ).toBe('azure-token');
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/oidc?api-version=7.1-preview.1',
      authorization: 'Bearer job-token',
    });
  });

  it('explains what is missing and never echoes tokens', async () => {
    await expect(
      requestCiOidcToken({ audience: 'cavra', env: { GITHUB_ACTIONS: 'true' } }),
    ).rejects.toMatchObject({
      code: 'invalid_config',
      message: 'GitHub Actions OIDC is not available: grant the job `permissions: id-token: write`',
    });
    await expect(requestCiOidcToken({ audience: 'cavra', env: { GITLAB_CI: 'true' } })).rejects.toThrow(
      'GitLab CI OIDC token not found: declare id_tokens: CAVRA_ID_TOKEN',
    );
    await expect(
      requestCiOidcToken({
        audience: 'cavra',
        env: {
          TF_BUILD: 'True',
          SYSTEM_OIDCREQUESTURI: `${base}/broken`,
          SYSTEM_ACCESSTOKEN: 'secret-job-token',
        },
      }),
    ).rejects.toMatchObject({
      code: 'jwks_unavailable',
      message: 'CI OIDC token endpoint answered HTTP 500',
    });
    await expect(requestCiOidcToken({ audience: 'cavra', env: {} })).rejects.toThrow(
      'not running in GitHub Actions, GitLab CI or Azure Pipelines',
    );
  });
});

describe('attachOidcToken', () => {
  it('puts the token in runner_auth with its kid and refuses a non-JWT', async () => {
    const token = await mint(await signingKey('kid-7', 'ES256'), { sub: 'x' });
    const request = attachOidcToken(
      { session_id: 's', runner_auth: { identity: { provider: 'x' } } },
      token,
      { provider: 'gitlab-ci' },
    );
    expect([
      request.runner_auth?.algorithm,
      request.runner_auth?.key_id,
      request.runner_auth?.signature,
    ]).toEqual(['OIDC-JWT', 'kid-7', token]);
    expect(() => attachOidcToken({}, 'garbage', undefined)).toThrow('the OIDC token is not a JWT');
  });
});

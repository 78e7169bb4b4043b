import {
  type EvaluateRequest,
  EvaluateRequestCodec,
  type EvaluateRequestInit,
  type RunnerIdentityInit,
} from '@cavra/contracts';
import { decodeProtectedHeader } from 'jose/decode/protected_header';
import { RunnerAuthError } from './runner-auth-error.js';

type Env = NodeJS.ProcessEnv;

const compact = (identity: Record<string, string | undefined>): RunnerIdentityInit =>
  Object.fromEntries(Object.entries(identity).filter(([, value]) => value)) as RunnerIdentityInit;

/**
 * The runner's identity from its CI environment variables (GitHub Actions, GitLab CI, Azure Pipelines), or
 * undefined outside CI. Values are claims: the daemon checks them against the OIDC token or the HMAC signature.
 */
export function identityFromCiEnvironment(env: Env = process.env): RunnerIdentityInit | undefined {
  if (env.GITHUB_ACTIONS === 'true') {
    return compact({
      provider: 'github-actions',
      repository: env.GITHUB_REPOSITORY,
      workflow: env.GITHUB_WORKFLOW,
      run_id: env.GITHUB_RUN_ID,
      run_attempt: env.GITHUB_RUN_ATTEMPT,
      ref: env.GITHUB_REF,
      sha: env.GITHUB_SHA,
      actor: env.GITHUB_ACTOR,
      job: env.GITHUB_JOB,
      runner_name: env.RUNNER_NAME,
    });
  }
  if (env.GITLAB_CI === 'true') {
    return compact({
      provider: 'gitlab-ci',
      repository: env.CI_PROJECT_PATH,
      workflow: env.CI_PIPELINE_NAME,
      run_id: env.CI_PIPELINE_ID,
      ref: env.CI_COMMIT_TAG
        ? `refs/tags/${env.CI_COMMIT_TAG}`
        : env.CI_COMMIT_BRANCH
          ? `refs/heads/${env.CI_COMMIT_BRANCH}`
          : undefined,
      sha: env.CI_COMMIT_SHA,
      actor: env.GITLAB_USER_LOGIN,
      job: env.CI_JOB_ID,
      runner_name: env.CI_RUNNER_DESCRIPTION,
    });
  }
  if (env.TF_BUILD?.toLowerCase() === 'true') {
    return compact({
      provider: 'azure-pipelines',
      repository: env.BUILD_REPOSITORY_URI,
      workflow: env.BUILD_DEFINITIONNAME,
      run_id: env.BUILD_BUILDID,
      run_attempt: env.SYSTEM_JOBATTEMPT,
      ref: env.BUILD_SOURCEBRANCH,
      sha: env.BUILD_SOURCEVERSION,
      actor: env.BUILD_REQUESTEDFOREMAIL,
      job: env.SYSTEM_JOBDISPLAYNAME,
      runner_name: env.AGENT_NAME,
    });
  }
  return undefined;
}

export interface RequestCiOidcTokenOptions {
  /** Audience to request (GitHub Actions only: GitLab sets it in `id_tokens`, Azure's is fixed by Azure). */
  readonly audience: string;
  readonly env?: Env;
  readonly fetch?: typeof fetch;
  /** GitLab: the `id_tokens` variable holding the token; default `CAVRA_ID_TOKEN`. */
  readonly gitlabTokenVariable?: string;
}

/** Obtains the CI provider's OIDC ID token for this job. Errors never include a token. */
export async function requestCiOidcToken(options: RequestCiOidcTokenOptions): Promise<string> {
  const env = options.env ?? process.env;
  const fetchFn = options.fetch ?? fetch;
  if (env.GITHUB_ACTIONS === 'true') {
    const url = env.ACTIONS_ID_TOKEN_REQUEST_URL;
    const bearer = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
    if (!url || !bearer) {
      throw new RunnerAuthError(
        'invalid_config',
        'GitHub Actions OIDC is not available: grant the job `permissions: id-token: write`',
      );
    }
    const request = new URL(url);
    request.searchParams.set('audience', options.audience);
    const body = await fetchJson(fetchFn, request, { headers: { authorization: `Bearer ${bearer}` } });
    return tokenFrom(body, 'value');
  }
  if (env.GITLAB_CI === 'true') {
    const variable = options.gitlabTokenVariable ?? 'CAVRA_ID_TOKEN';
    const token = env[variable];
    if (!token)
      throw new RunnerAuthError(
        'invalid_config',
        `GitLab CI OIDC token not found: declare id_tokens: ${variable}`,
      );
    return token;
  }
  if (env.TF_BUILD?.toLowerCase() === 'true') {
    const uri = env.SYSTEM_OIDCREQUESTURI;
    const bearer = env.SYSTEM_ACCESSTOKEN;
    if (!uri || !bearer) {
      throw new RunnerAuthError(
        'invalid_config',
        'Azure Pipelines OIDC is not available: map SYSTEM_ACCESSTOKEN into the step env',
      );
    }
    const request = new URL(uri);
    request.searchParams.set('api-version', '7.1-preview.1');
    const body = await fetchJson(fetchFn, request, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    });
    return tokenFrom(body, 'oidcToken');
  }
  throw new RunnerAuthError('invalid_config', 'not running in GitHub Actions, GitLab CI or Azure Pipelines');
}

async function fetchJson(fetchFn: typeof fetch, url: URL, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchFn(url, { ...init, signal: AbortSignal.timeout(10_000) });
  } catch {
    throw new RunnerAuthError('jwks_unavailable', 'CI OIDC token endpoint is unreachable');
  }
  if (!response.ok)
    throw new RunnerAuthError('jwks_unavailable', `CI OIDC token endpoint answered HTTP ${response.status}`);
  return response.json().catch(() => undefined);
}

function tokenFrom(body: unknown, field: string): string {
  const token = (body as Record<string, unknown> | undefined)?.[field];
  if (typeof token !== 'string' || token === '')
    throw new RunnerAuthError('bad_token', `CI OIDC response has no ${field}`);
  return token;
}

/**
 * A copy of the request carrying the token as `OIDC-JWT` runner_auth: key_id is the token's `kid`, signature the
 * token, identity the given one (default: from the CI environment).
 */
export function attachOidcToken(
  request: EvaluateRequestInit,
  token: string,
  identity: RunnerIdentityInit | undefined = identityFromCiEnvironment(),
): EvaluateRequest {
  let kid = '';
  try {
    const header = decodeProtectedHeader(token);
    kid = typeof header.kid === 'string' ? header.kid : '';
  } catch {
    throw new RunnerAuthError('bad_token', 'the OIDC token is not a JWT');
  }
  // Whatever runner_auth the request had is replaced.
  const { runner_auth: _replaced, ...fields } = request;
  const json = EvaluateRequestCodec.toJSON(EvaluateRequestCodec.fromJSON(fields));
  return EvaluateRequestCodec.fromJSON({
    ...json,
    runner_auth: { algorithm: 'OIDC-JWT', key_id: kid, signature: token, ...(identity ? { identity } : {}) },
  });
}

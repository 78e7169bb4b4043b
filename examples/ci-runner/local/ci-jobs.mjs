// What each provider's job looks like to the runner (environment) and to the daemon (token claims), for a tag
// pipeline releasing v1.4.0 of acme/app. The local issuer serves the token endpoints the environments point at.
const SHA = '4f2d9c1e7b3a5d8f0c6e2a4b9d7f1e3c5a8b0d2f';
const REQUEST_TOKEN = 'local-request-token';

export function ciJobs(issuer) {
  return {
    'github-actions': {
      env: {
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'acme/app',
        GITHUB_WORKFLOW: 'Release Governance',
        GITHUB_RUN_ID: '9001',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_REF: 'refs/tags/v1.4.0',
        GITHUB_SHA: SHA,
        GITHUB_ACTOR: 'release-bot',
        GITHUB_JOB: 'release-governance',
        ACTIONS_ID_TOKEN_REQUEST_URL: `${issuer.url}/github-actions/token?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
      },
      endpoint: '/github-actions/token',
      claims: {
        sub: 'repo:acme/app:ref:refs/tags/v1.4.0',
        repository: 'acme/app',
        repository_owner: 'acme',
        ref: 'refs/tags/v1.4.0',
        ref_type: 'tag',
        event_name: 'push',
        job_workflow_ref: 'acme/app/.github/workflows/cavra-release-governance.yml@refs/tags/v1.4.0',
        sha: SHA,
        workflow: 'Release Governance',
        run_id: '9001',
        run_attempt: '1',
        actor: 'release-bot',
      },
    },
    'gitlab-ci': {
      env: {
        GITLAB_CI: 'true',
        CI_PROJECT_PATH: 'acme/app',
        CI_PIPELINE_ID: '7001',
        CI_COMMIT_TAG: 'v1.4.0',
        CI_COMMIT_SHA: SHA,
        GITLAB_USER_LOGIN: 'release-bot',
        CI_JOB_ID: '88',
      },
      // GitLab puts the token in the `id_tokens` variable itself: no endpoint.
      tokenVariable: 'CAVRA_ID_TOKEN',
      claims: {
        sub: 'project_path:acme/app:ref_type:tag:ref:v1.4.0',
        project_path: 'acme/app',
        namespace_path: 'acme',
        ref: 'v1.4.0',
        ref_type: 'tag',
        ref_protected: 'true',
        pipeline_source: 'push',
        sha: SHA,
        pipeline_id: '7001',
        job_id: '88',
        user_login: 'release-bot',
      },
    },
    'azure-pipelines': {
      env: {
        TF_BUILD: 'True',
        BUILD_REPOSITORY_URI: 'https://dev.azure.com/acme/app/_git/app',
        BUILD_DEFINITIONNAME: 'release',
        BUILD_BUILDID: '5001',
        BUILD_SOURCEBRANCH: 'refs/tags/v1.4.0',
        BUILD_SOURCEVERSION: SHA,
        SYSTEM_OIDCREQUESTURI: `${issuer.url}/azure-pipelines/oidctoken`,
        SYSTEM_ACCESSTOKEN: REQUEST_TOKEN,
      },
      endpoint: '/azure-pipelines/oidctoken',
      claims: {
        sub: 'p://acme/app/release',
        org_id: '00000000-0000-0000-0000-000000000000',
        prj_id: '11111111-1111-1111-1111-111111111111',
        def_id: '12',
        rpo_id: '22222222-2222-2222-2222-222222222222',
        rpo_uri: 'https://dev.azure.com/acme/app/_git/app',
        rpo_ref: 'refs/tags/v1.4.0',
        rpo_ver: SHA,
        run_id: '5001',
      },
    },
  };
}

export { REQUEST_TOKEN };

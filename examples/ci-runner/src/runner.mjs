import { identityFromCiEnvironment } from '@cavra/auth';
import { createClient, withRunnerAuth } from '@cavra/daemon-client';

/**
 * Sends typed release-governance evidence (see release-evidence.mjs) to the daemon, one release_governance_record
 * request per record, with runner authentication: `{ oidc: { audience } }` (the CI job's ID token, fetched the
 * way the provider hands it out: GitHub's ACTIONS_ID_TOKEN_REQUEST_URL, GitLab's `id_tokens` variable, Azure's
 * SYSTEM_OIDCREQUESTURI) or `{ hmac: { keyId, secret } }`. Resolves with the decisions; the caller decides what
 * blocks the pipeline.
 */
export async function sendReleaseEvidence({ socketPath, evidence, auth, env = process.env }) {
  const { client, identity } = runnerClient({ socketPath, auth, env });
  try {
    const decisions = [];
    for (const record of evidence) {
      decisions.push(
        await client.evaluate({
          session_id: `release-${record.release_channel}-${record.release_version}-${identity?.run_id ?? 'local'}`,
          agent_id: 'cavra-ci-runner',
          actor: identity?.actor ?? '',
          action_type: 'release_governance_record',
          target: record.metadata_kind,
          requested_operation: 'promote',
          policy_pack: 'cavra-ai-agent-baseline',
          release_governance: record,
        }),
      );
    }
    return decisions;
  } finally {
    await client.close();
  }
}

/**
 * A daemon client whose requests carry the CI job's runner authentication (`auth` as for sendReleaseEvidence), and
 * the job's identity read from the CI environment (undefined outside CI).
 */
export function runnerClient({ socketPath, auth, env = process.env }) {
  const identity = identityFromCiEnvironment(env);
  const settings = auth.oidc
    ? { oidc: { audience: auth.oidc.audience, fromEnvironment: true, env } }
    : { hmac: auth.hmac };
  const client = withRunnerAuth(
    createClient({ socketPath, timeoutMs: 10_000 }),
    settings,
    identity ? { identity } : {},
  );
  return { client, identity };
}

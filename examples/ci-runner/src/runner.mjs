import { identityFromCiEnvironment } from '@cavra/auth';
import { createClient, withRunnerAuth } from '@cavra/daemon-client';
import { releaseEvidence } from './release-evidence.mjs';

/**
 * Sends the release's evidence to the daemon, one release_governance_record request per record, with runner
 * authentication: `{ oidc: { audience } }` (the CI job's ID token) or `{ hmac: { keyId, secret } }`.
 * Resolves with the decisions; the caller decides what blocks the pipeline.
 */
export async function sendReleaseEvidence({ socketPath, release, auth, env = process.env }) {
  const identity = identityFromCiEnvironment(env);
  const settings = auth.oidc
    ? { oidc: { audience: auth.oidc.audience, fromEnvironment: true, env } }
    : { hmac: auth.hmac };
  const client = withRunnerAuth(
    createClient({ socketPath, timeoutMs: 10_000 }),
    settings,
    identity ? { identity } : {},
  );
  try {
    const decisions = [];
    for (const evidence of releaseEvidence(release)) {
      decisions.push(
        await client.evaluate({
          session_id: `release-${release.channel}-${release.version}-${identity?.run_id ?? 'local'}`,
          agent_id: 'cavra-ci-runner',
          actor: identity?.actor ?? '',
          action_type: 'release_governance_record',
          target: evidence.metadata_kind,
          requested_operation: 'promote',
          policy_pack: 'cavra-ai-agent-baseline',
          release_governance: evidence,
        }),
      );
    }
    return decisions;
  } finally {
    await client.close();
  }
}
